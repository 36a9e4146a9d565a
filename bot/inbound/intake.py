"""One received mail, whatever brought it (the SMTP/LMTP listener, an IMAP poll): read, judged, stored.

The mail is stored before anything is answered for it, raw bytes and all, with what became of it; what is
to be answered comes back as an InboundMail. Mail that could not be read is kept too, and still handed on
when it has a sender (who is told the organizers have it). A Message-ID stored already (the MTA
redelivered) is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from bot.config import Settings
from bot.inbound.authentication import authenticated
from bot.inbound.guards import refusal
from bot.inbound.mail import InboundMail
from bot.inbound.parse import Parsed, parse, unparsed
from bot.ops.metrics import INBOUND_MAIL
from bot.storage.db import Database
from bot.storage.inbound import InboundRows
from bot.storage.models import InboundStatus, utcnow

log = logging.getLogger("bot.inbound")
DAY = timedelta(days=1)


def failure(error: BaseException) -> str:
    """What went wrong storing a mail, fit for the log: SQLAlchemy's own message lists the statement's
    parameters, the mail among them, so only the database's message is kept."""
    return f"{type(error).__name__}: {getattr(error, 'orig', None) or error}"


def _answerable_address(parsed: Parsed, verified: bool) -> Parsed:
    """Whom a reply may go to: a Reply-To only when the From it stands beside was authenticated, or is
    the same address; otherwise From, so a forged Reply-To never turns the bot on a third party."""
    if verified or not parsed.from_address or parsed.sender.lower() == parsed.from_address.lower():
        return parsed
    return replace(parsed, sender=parsed.from_address)


class Intake:
    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.rows = InboundRows(db)
        self.replies_per_day = settings.inbound_replies_per_day
        self.replies_per_domain = settings.inbound_replies_per_domain
        self.trusted = settings.trusted_authserv_ids
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
        verified = authenticated(parsed.message, self.trusted)
        parsed = _answerable_address(parsed, verified)
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
                          tuple(parsed.references), parsed.question, now, status, authenticated=verified)

    def received(self, since: datetime, until: datetime) -> list[InboundMail]:
        """The mails stored from `since` until before `until` that were to be answered, as they were handed on:
        after a restart, those whose answer a stop cut short are handed on again (answering is once per
        Message-ID)."""
        return [self._mail(row.id, row.message_id, row.sender, row.sender_name, row.subject,
                           tuple(row.references.split()), row.question, row.received_at, InboundStatus(row.status),
                           authenticated=self._authenticated(row.id))
                for row in self.rows.answerable(since, until)]

    def _authenticated(self, mail_id: int) -> bool:
        """As when it arrived: the stored mail's own Authentication-Results, read again."""
        stored = self.rows.get(mail_id)
        if stored is None or not self.trusted:
            return False
        message = BytesParser(policy=policy.default).parsebytes(stored.raw, headersonly=True)
        return isinstance(message, EmailMessage) and authenticated(message, self.trusted)

    def _mail(self, mail_id: int, message_id: str, sender: str, sender_name: str | None, subject: str,
              references: tuple[str, ...], question: str, received_at: datetime,
              status: InboundStatus, *, authenticated: bool = False) -> InboundMail:
        return InboundMail(id=mail_id, message_id=message_id, sender=sender, sender_name=sender_name,
                           subject=subject, references=references, question=question,
                           context=tuple(self.rows.questions_of(references)), received_at=received_at,
                           status=status, authenticated=authenticated)

    def _over_limit(self, sender: str, now: datetime) -> str | None:
        """Counted by address whatever its case (`Victim@` is `victim@`), and by domain."""
        if not sender:
            return None
        if self.rows.answerable_from(sender, now - DAY) >= self.replies_per_day:
            return f"more than {self.replies_per_day} mails from {sender} in 24 hours"
        domain = sender.rpartition("@")[2]
        if self.rows.answerable_from_domain(domain, now - DAY) >= self.replies_per_domain:
            return f"more than {self.replies_per_domain} mails from @{domain} in 24 hours"
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
