"""Deadlines as readers need them: local time in the event's zone, UTC, history, passed or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events.model import AOE, Deadline, Event, utc


@dataclass
class DeadlineFact:
    title: str
    local: datetime
    utc: datetime
    zone: str | None  # None: the pages give no time zone (the date is shown alone)
    previous: list[datetime]
    passed: bool
    url: str | None
    source_index: int | None = None  # the answer's citation number, once a page is found for it
    days: int | None = None  # a date-only deadline: whole days from today (AoE) to it, negative once past


def zone_label(event: Event) -> str:
    return "AoE (UTC−12)" if event.tz is AOE else event.timezone


def facts(event: Event, deadlines: list[Deadline], now: datetime | None = None) -> list[DeadlineFact]:
    """Facts of `deadlines`, soonest first; `passed` relative to `now` (never passed without one)."""
    result = []
    for deadline in sorted(deadlines, key=event.due):
        due = event.due(deadline)
        result.append(DeadlineFact(
            title=deadline.title,
            local=due,
            utc=utc(due),
            zone=zone_label(event),
            previous=event.previous_dues(deadline),
            passed=now is not None and due <= now,
            url=deadline.url,
        ))
    return result
