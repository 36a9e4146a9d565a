"""What an outbox row carries: one message rendered for one destination, from `prompts/`.

`<name>.slack.md.j2` for Slack; for email, `<name>.email.subject.txt.j2`, `.email.txt.j2` and
`.email.html.j2` together, as a JSON object the email delivery composes into a message.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.deliveries import Destination, Medium
from bot.templates import render as render_template

EMAIL_PARTS = (("subject", "subject.txt.j2"), ("text", "txt.j2"), ("html", "html.j2"))


def email_parts(prompts_dir: Path, name: str, **context: object) -> dict[str, str]:
    return {part: render_template(prompts_dir, f"{name}.email.{suffix}", **context).strip()
            for part, suffix in EMAIL_PARTS}


def render(prompts_dir: Path, name: str, destination: Destination, *, references: str | None = None,
           **context: object) -> str:
    """The body of `name` (e.g. `messages/deadline_reminder`, `announcements/general`) for `destination`;
    an email may reference an earlier one's Message-ID (a correction), so mail clients thread them."""
    if destination.medium == Medium.EMAIL:
        parts: dict[str, str] = email_parts(prompts_dir, name, **context)
        return json.dumps({**parts, "references": references} if references else parts)
    return render_template(prompts_dir, f"{name}.slack.md.j2", **context)
