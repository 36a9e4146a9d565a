"""Compose and check an announcement before anything is stored or sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import TemplateError

from bot.announcements.calendar import extension_attachments
from bot.announcements.templates import fields_of, templates
from bot.config import Settings
from bot.deliveries import EMAIL, Destination, Medium, PermanentError
from bot.deliveries.email import compose
from bot.events.channels import channel_of
from bot.knowledge.editions import Edition, Editions
from bot.outbox.render import render
from bot.storage.models import OutboxMessage


class AnnouncementError(ValueError):
    """A template, variable or destination that won't do; the message says which, and `about` names it
    (`template`, `to`, or a field), so a form can show the message next to what needs changing."""

    def __init__(self, message: str, about: str = "template") -> None:
        super().__init__(message)
        self.about = about


@dataclass
class Prepared:
    template: str
    variables: dict[str, str]
    destinations: list[Destination]
    send_at: datetime
    edition: str | None
    text: str  # the Slack rendering, for previews
    corrects: int | None = None  # the announcement this one corrects (emails reference it)
    email: dict[str, str] | None = None  # the email's subject, text and html, for previews


def body(prompts_dir: Path, template: str, destination: Destination, variables: dict[str, str],
         references: str | None = None, *, edition: Edition | None = None, at: datetime | None = None) -> str:
    """The announcement for `destination`; an email about a deadline of `edition` carries its calendar
    event, stamped `at` (the send time: queuing it again gives the same body)."""
    attachments = (extension_attachments(prompts_dir, template, variables, edition, at or datetime.now(UTC))
                   if destination.medium == Medium.EMAIL else [])
    return render(prompts_dir, f"announcements/{template}", destination, references=references,
                  attachments=attachments, **variables)


def prepare(settings: Settings, editions: Editions, template: str, variables: dict[str, str], to: list[str],
            at: datetime | None = None) -> Prepared:
    """Check everything an announcement needs before anything is stored or sent."""
    known = templates(settings.prompts_dir)
    if template not in known:
        raise AnnouncementError(f"no template '{template}' (known: {', '.join(known)})")
    media = {m.value for m in Medium}
    if not to or set(to) - media:
        raise AnnouncementError(f"destinations must be among {sorted(media)}, got {to}", "to")
    missing = sorted(fields_of(settings.prompts_dir, template).required - set(variables))
    if missing:
        raise AnnouncementError(f"template '{template}' needs --var for: {', '.join(missing)}", missing[0])
    edition = editions.default
    destinations = [*([Destination.slack(channel_of(edition.event if edition else None, settings))]
                      if Medium.SLACK in to else []),
                    *([EMAIL] if Medium.EMAIL in to else [])]
    text = body(settings.prompts_dir, template, Destination.slack(None), variables)
    send_at = at or datetime.now(UTC)
    email = _check_destinations(settings, edition, template, variables, destinations, send_at)
    return Prepared(template, variables, destinations, send_at, edition.id if edition else None, text, email=email)


def _check_destinations(settings: Settings, edition: Edition | None, template: str, variables: dict[str, str],
                        destinations: list[Destination], at: datetime) -> dict[str, str] | None:
    """Build what each destination will be sent, as its delivery will: a newline in the subject or a
    missing MAILING_LIST is refused now, not after Slack already has the announcement. The email's
    parts, if it goes by email."""
    email = None
    for destination in destinations:
        try:
            rendered = body(settings.prompts_dir, template, destination, variables, edition=edition, at=at)
            if destination.medium == Medium.EMAIL:
                compose(OutboxMessage(key="announcement:check", destination=str(destination), kind="announcement",
                                      body=rendered), settings, edition.contact if edition else None,
                        edition.label if edition else None)
                email = json.loads(rendered)
        except (TemplateError, PermanentError) as error:
            raise AnnouncementError(f"{destination.medium}: {error}", "to") from error
        if destination.medium == Medium.SLACK and not destination.channel and settings.slack_bot_token:
            raise AnnouncementError("slack: no channel: set ANNOUNCEMENTS_CHANNEL or the edition's slack.announcements",
                                    "to")
    return email
