"""A received mail's bytes read into what answering it needs; broken mail is read as far as it goes, never raises.

The question is the new text of the body: text/plain when the mail has it, else its HTML as text; quoted
replies and signatures are cut off (mail-parser-reply knows the "On … wrote:" lines of many languages and
mail clients), attachments are never read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import errors, policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr

from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser

from bot.knowledge.html_text import parse_html, within_depth
from bot.knowledge.markup import NestingError

MESSAGE_ID = re.compile(r"<[^<>\s]{1,996}>")  # a longer one does not fit the column: the mail gets one from its bytes
REPLACEMENT = "\ufffd"  # what a byte the charset has no character for is decoded as
MAX_ADDRESS = 320  # RFC 3696's longest address, and the column's width
# Defects that mean the structure was not understood: the body found may be wrong or missing.
BROKEN = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect,
          errors.CloseBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect,
          errors.MissingHeaderBodySeparatorDefect, errors.InvalidMultipartContentTransferEncodingDefect)
REPLIES = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl", "pl", "sv"])
QUOTED_HTML = ("blockquote", "div.gmail_quote", "div.moz-cite-prefix", "div#appendonsend", "div#divRplyFwdMsg")


@dataclass(frozen=True)
class Parsed:
    message: EmailMessage  # for the guards, which read its headers
    message_id: str
    sender: str  # Reply-To, else From, else the envelope sender; "" when none is an address
    from_address: str  # From alone ("" when it is not an address): what authentication vouches for
    sender_name: str | None
    subject: str
    references: tuple[str, ...]
    question: str
    problems: tuple[str, ...]  # why it is unreadable, in part or whole; empty when it was read fine


def parse(raw: bytes, envelope_sender: str = "") -> Parsed:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default's message factory
    problems = [f"broken MIME: {type(defect).__name__}" for part in message.walk()
                for defect in part.defects if isinstance(defect, BROKEN)]
    sender, sender_name = _sender(message, envelope_sender)
    if not sender:
        problems.append("no sender address")
    question = _question(message, problems)
    from_address = parseaddr(_header(message, "From"))[1]
    return Parsed(message=message, message_id=_message_id(message, raw), sender=sender,
                  from_address=from_address if _address(from_address) else "", sender_name=sender_name,
                  subject=_header(message, "Subject"), references=_references(message), question=question,
                  problems=tuple(dict.fromkeys(problems)))


def unparsed(raw: bytes, envelope_sender: str, problem: str) -> Parsed:
    """A mail `parse` could not read at all: known only by its bytes and its envelope."""
    sender = envelope_sender if "@" in envelope_sender else ""
    return Parsed(message=EmailMessage(), message_id=_message_id(EmailMessage(), raw), sender=sender,
                  from_address="", sender_name=None, subject="", references=(), question="", problems=(problem,))


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded value, on one line, without NULs (which PostgreSQL's text refuses); "" when absent,
    and its raw text when it cannot be decoded."""
    try:
        value = str(message.get(name, ""))
    except (ValueError, LookupError, IndexError, AttributeError):  # the email package's parsers on hostile headers
        value = str(message.get_all(name, failobj=[""])[0])
    return " ".join(value.replace("\x00", "").split())


def _message_id(message: EmailMessage, raw: bytes) -> str:
    """The mail's Message-ID, or one made from its bytes: a redelivery without one is still the same mail."""
    found = MESSAGE_ID.search(_header(message, "Message-ID"))
    return found.group() if found else f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def _references(message: EmailMessage) -> tuple[str, ...]:
    ids = MESSAGE_ID.findall(_header(message, "References")) or MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    return tuple(dict.fromkeys(ids))


def _sender(message: EmailMessage, envelope_sender: str) -> tuple[str, str | None]:
    for name in ("Reply-To", "From"):
        display, address = parseaddr(_header(message, name))
        if _address(address):
            return address, display or None
    return (envelope_sender, None) if _address(envelope_sender) else ("", None)


def _address(text: str) -> bool:
    return "@" in text and len(text) <= MAX_ADDRESS and "\x00" not in text


def _question(message: EmailMessage, problems: list[str]) -> str:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, AttributeError) as error:
        problems.append(f"no body found: {error}")
        return ""
    if body is None:
        if message.get_content_maintype() != "multipart" and message.get_content_type() not in ("text/plain",
                                                                                                "text/html"):
            problems.append(f"no text body ({message.get_content_type()})")
        return ""
    text = _text(body, problems)
    if body.get_content_subtype() == "html":
        try:
            text = _html_text(text)
        except NestingError as error:
            problems.append(f"HTML body nested too deeply to be read: {error}")
            text = ""
    return _new_text(text)


def _text(part: MIMEPart, problems: list[str]) -> str:
    """The part's text; with an unknown or wrong charset, what UTF-8 (with replacement characters) makes of it."""
    payload = part.get_payload(decode=True)
    try:
        text = part.get_content()
    except (LookupError, UnicodeDecodeError, ValueError, AssertionError) as error:
        problems.append(f"undecodable text ({part.get_content_charset()!r}): {type(error).__name__}")
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if REPLACEMENT in text and isinstance(payload, bytes) and REPLACEMENT.encode() not in payload:
        problems.append(f"undecodable bytes in {part.get_content_charset('us-ascii')!r} text")
    return text


def _html_text(html: str) -> str:
    """What a reader sees of the HTML (the knowledge base's reading of pages), without the quoted mail a client
    puts below the answer. NestingError for markup no mail client writes."""
    soup = BeautifulSoup(within_depth(html), "lxml")
    for tag in soup.select(", ".join(QUOTED_HTML)):
        tag.decompose()
    lines: list[str] = []
    for section in parse_html(str(soup)).sections:
        lines.extend([*section.path[-1:], *section.lines])
    return "\n".join(lines)


def _new_text(text: str) -> str:
    """The text without the quoted reply, the "On … wrote:" line, the signature, or blank-line runs."""
    new = REPLIES.read(text=text.replace("\r\n", "\n")).replies
    body = new[0].body if new else text
    lines = [line.rstrip() for line in body.splitlines() if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).replace("\x00", "").strip()
