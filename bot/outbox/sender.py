"""Send one outbox row: claim it, deliver with backoff, record the outcome, report a permanent failure."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.config import Settings
from bot.deliveries import Delivery, Destination, Medium, PermanentError, TransientError
from bot.ops.metrics import REMINDER_LATENESS, SEND_SECONDS
from bot.outbox.keys import failure_key
from bot.outbox.ledger import Outbox
from bot.storage.metrics import REMINDER_KINDS, medium
from bot.storage.models import OutboxMessage, OutboxStatus
from bot.templates import render

log = logging.getLogger(__name__)

OnSent = Callable[[OutboxMessage], None]


class Sender:
    def __init__(self, settings: Settings, outbox: Outbox, deliveries: dict[Medium, Delivery], *,
                 attempts: int = 4, on_sent: OnSent | None = None) -> None:
        self.settings, self.outbox, self.deliveries, self.attempts = settings, outbox, deliveries, attempts
        self.on_sent = on_sent  # e.g. index a sent announcement

    def delivery(self, row: OutboxMessage) -> Delivery | None:
        return self.deliveries.get(Destination.parse(row.destination).medium)

    def send(self, row_id: int) -> OutboxStatus | None:
        """SENT, FAILED, PENDING (transient: left to try again), or None if another sender has it."""
        row = self.outbox.claim(row_id)
        if row is None:
            return None
        started = time.monotonic()
        try:
            delivery = self.delivery(row)
            if delivery is None:
                raise PermanentError(f"no delivery for '{row.destination}' is configured")
            for attempt in Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                                    wait=wait_exponential(multiplier=0.5, max=8),
                                    retry=retry_if_exception_type(TransientError)):
                with attempt:
                    external_id = delivery.send(row)
        except TransientError as error:
            self.outbox.release(row.id, str(error))
            log.warning("%s → %s failed (%s); will try again", row.key, row.destination, error)
            return OutboxStatus.PENDING
        except PermanentError as error:
            return self._failed(row, str(error))
        except Exception as error:  # a bug in a delivery must not leave the row in 'sending' until a restart
            log.exception("sending %s → %s", row.key, row.destination)
            return self._failed(row, f"unexpected error: {error!r}")
        self.outbox.finish(row.id, OutboxStatus.SENT, external_id=external_id)
        row.external_id = external_id
        SEND_SECONDS.labels(medium(row.destination)).observe(time.monotonic() - started)
        if row.kind in REMINDER_KINDS:
            REMINDER_LATENESS.observe(max(0.0, (datetime.now(UTC) - row.due_at).total_seconds()))
        if self.on_sent is not None:
            try:
                self.on_sent(row)
            except Exception:  # the message went out; a follow-up step must not undo that
                log.exception("after sending %s", row.key)
        return OutboxStatus.SENT

    def send_due(self, key: str) -> list[OutboxStatus | None]:
        """Send the rows of `key` that are due, from this process (e.g. an announcement just made)."""
        return [self.send(row.id) for row in self.outbox.of_key(key) if row.due_at <= datetime.now(UTC)]

    def _failed(self, row: OutboxMessage, error: str) -> OutboxStatus:
        self.outbox.finish(row.id, OutboxStatus.FAILED, error=error)
        self.report(row, error)
        return OutboxStatus.FAILED

    def report(self, row: OutboxMessage, error: str) -> None:
        """A permanent failure goes to the log and to the organizers' channel, never only to a table."""
        log.error("could not deliver %s to %s: %s", row.key, row.destination, error)
        slack = self.deliveries.get(Medium.SLACK)
        organizers = Destination.slack(self.settings.organizers_channel)
        if slack is None or not organizers.channel or row.destination == str(organizers):
            return
        text = render(self.settings.prompts_dir, "slack/delivery_failed.md.j2", row=row, error=error)
        notice = OutboxMessage(key=failure_key(row.key), destination=str(organizers), kind="failure",
                               body=text, due_at=datetime.now(UTC), created_at=datetime.now(UTC))
        try:
            slack.send(notice)
        except (TransientError, PermanentError) as failure:
            log.error("could not tell the organizers either: %s", failure)
