"""One layout for every email: the workshop's name at the top, the message, and a footer that says
why the reader gets it, whom to ask, and how to leave; HTML with its CSS inlined (mail clients drop
<style>), plain text wrapped at 72 columns with the `-- ` signature delimiter."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import css_inline
from markupsafe import Markup

from bot.config import Settings
from bot.templates import render

WIDTH = 72
BULLET = re.compile(r"^(\s*(?:[*-]|\d+\.|[A-Z]:)\s+|\s+)")


@dataclass(frozen=True)
class Letterhead:
    workshop: str
    contact: str | None
    list_address: str | None
    unsubscribe: str | None  # a URL, or the list's unsubscribe address


def letterhead(settings: Settings, workshop: str | None, contact: str | None) -> Letterhead:
    first = settings.list_address
    unsubscribe = settings.list_unsubscribe_url or (first.replace("@", "+unsubscribe@", 1) if first else None)
    return Letterhead(workshop or "The workshop", contact, first, unsubscribe)


def wrap(text: str, width: int = WIDTH) -> str:
    """Each line at most `width` columns where it can be (a long URL stays whole), list items and
    indented lines keeping their indent."""
    lines = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        lead = BULLET.match(line)
        indent = " " * len(lead.group(1)) if lead else ""
        lines.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def framed(subject: str, text: str, html: str, head: Letterhead, settings: Settings) -> tuple[str, str]:
    """(plain text, HTML document) of a message in the common layout."""
    preheader = next((line.strip() for line in text.splitlines() if line.strip() and line.strip() != subject), "")
    document = render(settings.prompts_dir, "email/layout.html.j2", subject=subject, preheader=preheader[:120],
                      body=Markup(html), head=head)  # the body: our own templates, autoescaped already
    plain = render(settings.prompts_dir, "email/layout.txt.j2", body=text, head=head)
    return wrap(plain) + "\n", css_inline.inline(document)
