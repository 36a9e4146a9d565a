"""Slack mrkdwn, the text format of every message the bot posts: escape what others wrote, and show times
in each reader's own zone. Templates use it as filters, so it sits below both them and the Slack app."""

from __future__ import annotations

import re
from datetime import UTC, datetime

UTC_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC")
SECTION_LIMIT = 3000  # characters of text in one section block
# `<!date^…|fallback>`, `<https://…|label>`, `<https://…>`, `<@U123>`: Slack's angle-bracket tokens.
TOKEN = re.compile(r"<(?P<target>[^<>|]*)(?:\|(?P<label>[^<>]*))?>")


def escape(text: str) -> str:
    """Only &, < and > are special in mrkdwn; escaped, no ping, link or mention can be injected."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def local_time(moment: datetime, fallback: str) -> str:
    """`<!date^…>`: Slack renders it in the reader's time zone; `fallback` where it can't."""
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{escape(fallback)}>"


def localize_utc(text: str) -> str:
    """Every `YYYY-MM-DD HH:MM UTC` in an (escaped) text becomes a local-time token."""
    def token(match: re.Match[str]) -> str:
        moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}:00+00:00").astimezone(UTC)
        return local_time(moment, match.group(0)) + " (your time)"
    return UTC_MOMENT.sub(token, text)


def link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape(label)}>"


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def plain(text: str) -> str:
    """A Slack message as a person reads it on a terminal: a date token as its fallback text, a link as
    its label and address, Slack's escapes undone."""
    def shown(match: re.Match[str]) -> str:
        target, label = match.group("target"), match.group("label")
        if target.startswith("!date^"):
            return label or target
        if label and target.startswith(("http://", "https://", "mailto:")):
            return f"{label} ({target.removeprefix('mailto:')})"
        return label or target
    return TOKEN.sub(shown, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
