"""The outbox's metrics, counted in the database at each scrape: every replica, and a restarted one,
reports the same numbers (so sum them with max(), not sum()). A few COUNT queries on indexed columns."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import Database
from bot.storage.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

REMINDER_KINDS = ("deadline_reminder", "session_reminder", "program_day")  # the planner's kinds
TIMERS_TABLE = "apscheduler_jobs"  # the reminder service's timers: one per reminder planned within its horizon


def medium(destination: str) -> str:
    """`slack:C123` → slack; `email` → email."""
    return destination.partition(":")[0]


class OutboxCollector(Collector):
    """Reads the database `watch` was last given; nothing before that (the database loads after the
    server listens)."""

    def __init__(self) -> None:
        self.db: Database | None = None

    def watch(self, db: Database | None) -> None:
        self.db = db

    def describe(self) -> list[Metric]:
        return []  # names vary with nothing, and registering must not query a database

    def collect(self) -> Iterator[Metric]:
        if self.db is None:
            return
        try:
            yield from self._collect(self.db)
        except SQLAlchemyError as error:  # the scrape still shows the process's own metrics
            log.warning("outbox metrics not read: %s", error)

    def _collect(self, db: Database) -> Iterator[Metric]:
        rows: Counter[tuple[str, str, str]] = Counter()
        with db.session() as s:
            for status, kind, destination, count in s.execute(
                    select(OutboxMessage.status, OutboxMessage.kind, OutboxMessage.destination, func.count())
                    .group_by(OutboxMessage.status, OutboxMessage.kind, OutboxMessage.destination)):
                rows[status, kind, medium(destination)] += count
            oldest = s.scalar(select(func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= utcnow()))
            planned = (s.scalar(text(f"SELECT count(*) FROM {TIMERS_TABLE}"))
                       if inspect(s.connection()).has_table(TIMERS_TABLE) else 0)
        yield from _outbox(rows, oldest)
        yield from _by_kind(rows, planned or 0)


def _sum(rows: Counter[tuple[str, str, str]], status: str, kinds: tuple[str, ...] = (), via: str = "") -> int:
    return sum(n for (s, k, m), n in rows.items()
               if s == status and (not kinds or k in kinds) and (not via or m == via))


def _outbox(rows: Counter[tuple[str, str, str]], oldest: datetime | None) -> Iterator[Metric]:
    media = sorted({m for _, _, m in rows} | {"slack", "email"})
    for status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
        gauge = GaugeMetricFamily(f"workshop_bot_outbox_{status}", f"Outbox messages {status}, by medium",
                                  labels=["medium"])
        for via in media:
            gauge.add_metric([via], _sum(rows, status, via=via))
        yield gauge
    yield GaugeMetricFamily("workshop_bot_outbox_oldest_pending_age_seconds",
                            "How long the oldest due, unsent outbox message has waited (0: none waits)",
                            value=(utcnow() - oldest).total_seconds() if oldest else 0.0)


def _by_kind(rows: Counter[tuple[str, str, str]], planned: int) -> Iterator[Metric]:
    yield GaugeMetricFamily("workshop_bot_reminders_planned", "Reminders with a timer set (the next two days)",
                            value=planned)
    counters = [("workshop_bot_reminders_sent", "Reminders sent (one per destination)", OutboxStatus.SENT,
                 REMINDER_KINDS, ""),
                ("workshop_bot_reminders_missed", "Reminders that fell due while the bot was down, too late to send",
                 OutboxStatus.MISSED, REMINDER_KINDS, ""),
                ("workshop_bot_emails_sent", "Emails sent", OutboxStatus.SENT, (), "email"),
                ("workshop_bot_emails_failed", "Emails that could not be delivered", OutboxStatus.FAILED, (), "email"),
                ("workshop_bot_digests_sent", "Digests sent (one per destination)", OutboxStatus.SENT, ("digest",), "")]
    for name, documentation, status, kinds, via in counters:
        yield CounterMetricFamily(name, documentation, value=_sum(rows, status, kinds, via))


OUTBOX_METRICS = OutboxCollector()
REGISTRY.register(OUTBOX_METRICS)
