"""One received mail, whatever brought it (the SMTP/LMTP listener, an IMAP poll): read, judged, stored.

The mail is stored before anything is answered for it, raw bytes and all, with what became of it; what is
to be answered comes back as an InboundMail. Mail that could not be read is kept too, and still handed on
when it has a sender (who is told the organizers have it). A Message-ID stored already (the MTA
redelivered) is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import Settings
from bot.inbound.guards import refusal
from bot.inbound.mail import InboundMail
from bot.inbound.parse import Parsed, parse, unparsed
from bot.metrics import INBOUND_MAIL
from bot.storage.db import Database
from bot.storage.inbound import InboundRows
from bot.storage.models import InboundStatus, utcnow

log = logging.getLogger("bot.inbound")
DAY = timedelta(days=1)


def failure(error: BaseException) -> str:
    """What went wrong storing a mail, fit for the log: SQLAlchemy's own message lists the statement's
    parameters, the mail among them, so only the database's message is kept."""
    return f"{type(error).__name__}: {getattr(error, 'orig', None) or error}"


class Intake:
    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.rows = InboundRows(db)
        self.replies_per_day = settings.inbound_replies_per_day
        self.own_address = settings.mail_from or ""
        self.clock = clock

    def receive(self, raw: bytes, envelope_sender: str) -> InboundMail | None:
        """Store the mail; what to answer, or None (ignored, without a sender, or seen before)."""
        now = self.clock()
        envelope_sender = envelope_sender.strip("<> ")
        try:
            parsed = parse(raw, envelope_sender)
        except Exception as error:  # a mail that breaks the parser is still kept for organizers
            parsed = unparsed(raw, envelope_sender, f"unparseable: {type(error).__name__}")
        reason = (refusal(parsed.message, envelope_sender, self.own_address)
                  or self._over_limit(parsed.sender, now))
        if reason:
            status = InboundStatus.IGNORED
        elif parsed.problems:
            status, reason = InboundStatus.UNREADABLE, "; ".join(parsed.problems)
        else:
            status = InboundStatus.QUESTION if parsed.question else InboundStatus.EMPTY
        mail_id = self.rows.add(message_id=parsed.message_id, sender=parsed.sender, sender_name=parsed.sender_name,
                                subject=parsed.subject, references=" ".join(parsed.references),
                                question=parsed.question, status=status, reason=reason, raw=raw, received_at=now)
        if mail_id is None:
            log.info("mail %s received again: already stored", parsed.message_id)
            INBOUND_MAIL.labels(outcome="duplicate").inc()
            return None
        self._count(status, parsed, reason)
        if status is InboundStatus.IGNORED or not parsed.sender:
            return None
        return self._mail(mail_id, parsed.message_id, parsed.sender, parsed.sender_name, parsed.subject,
                          tuple(parsed.references), parsed.question, now, status)

    def received(self, since: datetime, until: datetime) -> list[InboundMail]:
        """The mails stored from `since` until before `until` that were to be answered, as they were handed on:
        after a restart, those whose answer a stop cut short are handed on again (answering is once per
        Message-ID)."""
        return [self._mail(row.id, row.message_id, row.sender, row.sender_name, row.subject,
                           tuple(row.references.split()), row.question, row.received_at, InboundStatus(row.status))
                for row in self.rows.answerable(since, until)]

    def _mail(self, mail_id: int, message_id: str, sender: str, sender_name: str | None, subject: str,
              references: tuple[str, ...], question: str, received_at: datetime,
              status: InboundStatus) -> InboundMail:
        return InboundMail(id=mail_id, message_id=message_id, sender=sender, sender_name=sender_name,
                           subject=subject, references=references, question=question,
                           context=tuple(self.rows.questions_of(references)), received_at=received_at,
                           status=status)

    def _over_limit(self, sender: str, now: datetime) -> str | None:
        if sender and self.rows.answerable_from(sender, now - DAY) >= self.replies_per_day:
            return f"more than {self.replies_per_day} mails from {sender} in 24 hours"
        return None

    def _count(self, status: InboundStatus, parsed: Parsed, reason: str | None) -> None:
        """Counted by outcome; logged by Message-ID and sender, never with the mail's text."""
        INBOUND_MAIL.labels(outcome=status).inc()
        if status is InboundStatus.IGNORED:
            log.info("mail %s from %s ignored: %s", parsed.message_id, parsed.sender or "<>", reason)
        elif status is InboundStatus.UNREADABLE:
            log.warning("mail %s from %s kept unread: %s", parsed.message_id, parsed.sender or "<>", reason)
        else:
            log.info("mail %s from %s received: %s", parsed.message_id, parsed.sender, status)
