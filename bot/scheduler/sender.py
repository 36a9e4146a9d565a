"""Send one outbox row: claim it, deliver with backoff, record the outcome, report a permanent failure."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.config import Settings
from bot.deliveries import Delivery, PermanentError, TransientError
from bot.scheduler.outbox import Outbox
from bot.storage.models import OutboxMessage
from bot.templates import render

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, settings: Settings, outbox: Outbox, deliveries: dict[str, Delivery], *,
                 attempts: int = 4) -> None:
        self.settings, self.outbox, self.deliveries, self.attempts = settings, outbox, deliveries, attempts
        self.on_sent: Callable[[OutboxMessage], None] | None = None  # e.g. index a sent announcement

    def delivery(self, row: OutboxMessage) -> Delivery | None:
        return self.deliveries.get(row.destination.split(":")[0])

    def send(self, row_id: int) -> str | None:
        """'sent', 'failed', 'retry' (transient: left pending), or None if another sender has it."""
        row = self.outbox.claim(row_id)
        if row is None:
            return None
        delivery = self.delivery(row)
        try:
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
            return "retry"
        except PermanentError as error:
            self.outbox.finish(row.id, "failed", error=str(error))
            self.report(row, str(error))
            return "failed"
        except Exception as error:  # a bug in a delivery must not leave the row in 'sending' until a restart
            log.exception("sending %s → %s", row.key, row.destination)
            self.outbox.finish(row.id, "failed", error=f"unexpected error: {error!r}")
            self.report(row, f"unexpected error: {error!r}")
            return "failed"
        self.outbox.finish(row.id, "sent", external_id=external_id)
        if self.on_sent is not None:
            try:
                self.on_sent(row)
            except Exception:  # the message went out; a follow-up step must not undo that
                log.exception("after sending %s", row.key)
        return "sent"

    def report(self, row: OutboxMessage, error: str) -> None:
        """A permanent failure goes to the log and to the organizers' channel, never only to a table."""
        log.error("could not deliver %s to %s: %s", row.key, row.destination, error)
        slack = self.deliveries.get("slack")
        channel = self.settings.organizers_channel
        if slack is None or not channel or row.destination == f"slack:{channel}":
            return
        text = render(self.settings.prompts_dir, "slack/delivery_failed.md.j2", row=row, error=error)
        notice = OutboxMessage(key=f"failure:{row.key}", destination=f"slack:{channel}", kind="failure",
                               body=text, due_at=datetime.now(UTC), created_at=datetime.now(UTC))
        try:
            slack.send(notice)
        except (TransientError, PermanentError) as failure:
            log.error("could not tell the organizers either: %s", failure)
