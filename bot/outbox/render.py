"""What an outbox row carries: one message rendered for one destination, from `prompts/`.

`<name>.slack.md.j2` for Slack; for email, `<name>.email.subject.txt.j2`, `.email.txt.j2` and
`.email.html.j2` together, as a JSON object the email delivery composes into a message, with any
attachments after them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bot.deliveries import Destination, Medium
from bot.deliveries.attachments import Attachment
from bot.templates import render as render_template

EMAIL_PARTS = (("subject", "subject.txt.j2"), ("text", "txt.j2"), ("html", "html.j2"))


def email_parts(prompts_dir: Path, name: str, **context: object) -> dict[str, str]:
    return {part: render_template(prompts_dir, f"{name}.email.{suffix}", **context).strip()
            for part, suffix in EMAIL_PARTS}


def render(prompts_dir: Path, name: str, destination: Destination, *, references: str | None = None,
           attachments: Sequence[Attachment] = (), **context: object) -> str:
    """The body of `name` (e.g. `messages/deadline_reminder`, `announcements/general`) for `destination`;
    an email may reference an earlier one's Message-ID (a correction), so mail clients thread them, and
    carry attachments (Slack gets none)."""
    if destination.medium == Medium.EMAIL:
        body: dict[str, object] = dict(email_parts(prompts_dir, name, **context))
        if references:
            body["references"] = references
        if attachments:
            body["attachments"] = [attachment.to_json() for attachment in attachments]
        return json.dumps(body)
    return render_template(prompts_dir, f"{name}.slack.md.j2", **context)
