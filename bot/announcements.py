"""Announcements organizers trigger: rendered from `prompts/announcements/`, sent through the outbox,
recorded with an audit trail, and indexed so the assistant answers from them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import TemplateError, meta

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.knowledge.chunks import Chunk
from bot.knowledge.editions import Edition, Editions
from bot.deliveries import PermanentError
from bot.deliveries.email import address, compose, message_id
from bot.scheduler.messages import email_body
from bot.scheduler.outbox import Outbox
from bot.scheduler.sender import Sender
from bot.storage.db import Database
from bot.storage.models import Announcement, AuditEntry, OutboxMessage
from bot.templates import environment, long_date, render

if TYPE_CHECKING:  # the store pulls in Chroma; the reminder service starts without it
    from bot.index.store import KnowledgeStore

DESTINATIONS = {"slack", "email"}


def announcement_body(prompts_dir: Path, template: str, destination: str, variables: dict[str, str],
                      references: str | None = None) -> str:
    if destination == "email":
        body = json.loads(email_body(prompts_dir, f"announcements/{template}", **variables))
        return json.dumps({**body, "references": references} if references else body)
    return render(prompts_dir, f"announcements/{template}.slack.md.j2", **variables)


class AnnouncementError(ValueError):
    """A template, variable or destination that won't do; the message says which."""


@dataclass
class Prepared:
    template: str
    variables: dict[str, str]
    destinations: list[str]  # "slack:<channel>", "email"
    send_at: datetime
    edition: str | None
    text: str  # the Slack rendering, for previews
    corrects: int | None = None  # the announcement this one corrects (emails reference it)


def templates(prompts_dir: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in (prompts_dir / "announcements").glob("*.slack.md.j2"))


def variables_of(prompts_dir: Path, template: str) -> set[str]:
    env = environment(prompts_dir)
    source = env.loader.get_source(env, f"announcements/{template}.slack.md.j2")[0]
    return meta.find_undeclared_variables(env.parse(source))


def prepare(settings: Settings, editions: Editions, template: str, variables: dict[str, str], to: list[str],
            at: datetime | None = None) -> Prepared:
    """Check everything an announcement needs before anything is stored or sent."""
    if template not in templates(settings.prompts_dir):
        raise AnnouncementError(f"no template '{template}' (known: {', '.join(templates(settings.prompts_dir))})")
    unknown = set(to) - DESTINATIONS
    if unknown or not to:
        raise AnnouncementError(f"destinations must be among {sorted(DESTINATIONS)}, got {to}")
    missing = variables_of(settings.prompts_dir, template) - set(variables) - {"now"}
    if missing:
        raise AnnouncementError(f"template '{template}' needs --var for: {', '.join(sorted(missing))}")
    edition = editions.default
    event = edition.event if edition else None
    channel = (event.slack.announcements if event and event.slack else None) or settings.announcements_channel
    destinations = [*([f"slack:{channel}" if channel else "slack"] if "slack" in to else []),
                    *(["email"] if "email" in to else [])]
    text = render(settings.prompts_dir, f"announcements/{template}.slack.md.j2", **variables)
    _check_destinations(settings, edition, template, variables, destinations)
    return Prepared(template, variables, destinations, at or datetime.now(UTC), edition.id if edition else None, text)


def _check_destinations(settings: Settings, edition: Edition | None, template: str, variables: dict[str, str],
                        destinations: list[str]) -> None:
    """Build what each destination will be sent, as its delivery will: a newline in the subject or a
    missing MAILING_LIST is refused now, not after Slack already has the announcement."""
    for destination in destinations:
        try:
            body = announcement_body(settings.prompts_dir, template, destination, variables)
            if destination == "email":
                compose(OutboxMessage(key="announcement:check", destination=destination, kind="announcement",
                                      body=body), settings, edition.contact if edition else None)
        except (TemplateError, PermanentError) as error:
            raise AnnouncementError(f"{destination.partition(':')[0]}: {error}") from error
        if destination == "slack" and settings.slack_bot_token:
            raise AnnouncementError("slack: no channel: set ANNOUNCEMENTS_CHANNEL or the edition's slack.announcements")


def record(db: Database, outbox: Outbox, prepared: Prepared, actor: str, prompts_dir: Path,
           mail_from: str | None = None) -> Announcement:
    """Store the announcement and its outbox rows, and write the audit entry.

    A correction's email gets its own Message-ID and references the original's, so mail clients
    thread them and nobody mistakes the correction for a duplicate.
    """
    with db.session() as s:
        announcement = Announcement(template=prepared.template, variables=json.dumps(prepared.variables),
                                    text=prepared.text, destinations=",".join(prepared.destinations),
                                    edition=prepared.edition, send_at=prepared.send_at, created_by=actor)
        s.add(announcement)
        s.flush()
        s.add(AuditEntry(actor=actor, action="announce", details=json.dumps({
            "announcement": announcement.id, "template": prepared.template, "to": prepared.destinations,
            "at": prepared.send_at.isoformat(), "corrects": prepared.corrects})))
    references = (message_id(f"announcement:{prepared.corrects}→email", address(mail_from))
                  if prepared.corrects and mail_from else None)
    for destination in prepared.destinations:
        body = announcement_body(prompts_dir, prepared.template, destination, prepared.variables, references)
        outbox.add(key=f"announcement:{announcement.id}", destination=destination, kind="announcement",
                   edition=prepared.edition, due_at=prepared.send_at, body=body)
    return announcement


def announcement_chunk(announcement: Announcement, url: str | None) -> Chunk:
    """Sent announcements are passages too, dated, so the assistant answers from the latest news."""
    day = long_date(announcement.send_at)
    return Chunk(
        id=f"announcement/{announcement.id}",
        text=f"Announcement › {day}\n{announcement.text}",
        metadata={"kind": "announcement", "edition": announcement.edition or "", "title": "Announcement",
                  "source": f"announcement/{announcement.id}", "section": day, "url": url or "", "page_hash": "",
                  "position": 0},
    )


def indexer(db: Database, store: KnowledgeStore, base_url: str | None):
    """The `on_sent` hook of a Sender: index an announcement once it has gone out."""
    def index(row: OutboxMessage) -> None:
        if row.kind != "announcement":
            return
        announcement_id = int(row.key.split(":")[1])
        with db.session() as s:
            announcement = s.get(Announcement, announcement_id)
            if announcement is None or announcement.indexed:
                return
            announcement.indexed = True
            store.upsert([announcement_chunk(announcement, base_url)])
            store.bump_generation()
            s.add(AuditEntry(actor="bot", action="sent", details=json.dumps({
                "announcement": announcement_id, "to": row.destination, "external_id": row.external_id})))
    return index


def send_now(sender: Sender, outbox: Outbox, announcement: Announcement) -> list[str]:
    """Send an announcement's due rows from this process; what's left is sent by the running bot."""
    return [sender.send(row.id) or "taken" for row in outbox.of_key(f"announcement:{announcement.id}")
            if row.due_at <= datetime.now(UTC)]



def draft_extension(settings: Settings, db: Database, outbox: Outbox, edition_id: str, edition_label: str,
                    title: str, old: datetime, new: datetime, channel: str | None) -> OutboxMessage | None:
    """A deadline moved: draft the announcement and ask the organizers to approve it in one click."""
    variables = {"deadline": title, "new_date": long_date(new), "old_date": long_date(old)}
    text = render(settings.prompts_dir, "announcements/deadline_extended.slack.md.j2", **variables)
    with db.session() as s:
        draft = Announcement(template="deadline_extended", variables=json.dumps(variables), text=text,
                             destinations=f"slack:{channel}" if channel else "slack", edition=edition_id,
                             send_at=datetime.now(UTC), created_by="bot", status="draft")
        s.add(draft)
        s.flush()
        s.add(AuditEntry(actor="bot", action="draft", details=json.dumps({"announcement": draft.id, **variables})))
    if not settings.organizers_channel:
        return None
    notice = render(settings.prompts_dir, "slack/extension_draft.md.j2", deadline=title, edition=edition_label,
                    old=old, new=new, text=text)
    return outbox.add(key=f"draft:{draft.id}", destination=f"slack:{settings.organizers_channel}",
                      kind="extension_draft", edition=edition_id, due_at=datetime.now(UTC), body=notice)


def decide(settings: Settings, db: Database, outbox: Outbox, announcement_id: int, by: str,
           approve: bool) -> list[OutboxMessage] | None:
    """Approve (queue it for sending) or dismiss a draft; None if it was already decided."""
    with db.session() as s:
        draft = s.get(Announcement, announcement_id)
        if draft is None or draft.status != "draft":
            return None
        draft.status, draft.send_at = ("ready" if approve else "dismissed"), datetime.now(UTC)
        s.add(AuditEntry(actor=by, action="approve" if approve else "dismiss",
                         details=json.dumps({"announcement": announcement_id})))
    if not approve:
        return []
    variables = json.loads(draft.variables)
    rows = []
    for destination in draft.destinations.split(","):
        body = announcement_body(settings.prompts_dir, draft.template, destination, variables)
        row = outbox.add(key=f"announcement:{draft.id}", destination=destination, kind="announcement",
                         edition=draft.edition, due_at=draft.send_at, body=body)
        rows += [row] if row else []
    return rows
