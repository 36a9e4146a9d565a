"""What a question may show when it is quoted to the mailing list: no one's name, handle, email
address or phone number, whatever the asker typed."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HANDLE = re.compile(r"(?<![\w@])@[\w.-]+")  # @name, as Slack shows a mention once read
# A phone number: 9 or more digits in groups, optionally with a + country code; dates and times
# (2025-08-29, 23:59) have fewer digits or a different shape and are left alone.
PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ()./-]{7,}\d(?![\w-])")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "my name is Ana Lopez", "I'm Ana", "this is Ana from …": a name introduced as one.
INTRODUCED = re.compile(r"\b((?i:my name is|i am|i'm|this is))\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*")
SIGN_OFF = re.compile(r"([,.!]?\s*(?:thanks|thank you|cheers|best|regards)[,!.]?)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*"
                      r"\s*[.!]?\s*$", re.IGNORECASE)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    return "[phone]" if digits >= 9 and not ISO_DATE.match(text.strip()) else text


def redact(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    text = HANDLE.sub("someone", text)
    text = PHONE.sub(_phone, text)
    text = INTRODUCED.sub(lambda m: f"{m.group(1)} [name]", text)
    return SIGN_OFF.sub(lambda m: m.group(1).rstrip(",") + ".", text).strip()
