"""The reminder service: the plan as APScheduler jobs, every firing going through the outbox.

The plan (from the event.yaml files) is the truth; APScheduler's job store only keeps the timers, and
is re-synced from the plan at start, when a file changes, and on `workshop-bot reload`. The outbox is
the ledger: a message is added once per key and destination, so a job that runs twice, a restart, or
a re-plan can never send it twice. What fell due while the bot was down is sent on start if it is
less than REMINDER_GRACE late, and otherwise recorded as missed: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.config import Settings
from bot.knowledge.editions import Edition, Editions, Registry
from bot.outbox.sender import Sender
from bot.scheduler.messages import render_for
from bot.scheduler.planner import PlannedMessage, plan
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, OutboxStatus
from bot.storage.schedule import ScheduleRows

log = logging.getLogger(__name__)

_running: dict[str, ReminderService] = {}
RETRY_LATER = timedelta(minutes=1)
HORIZON = timedelta(days=2)  # timers kept in APScheduler; the rest of the plan waits its turn
RESYNC = timedelta(hours=1)  # re-plan at least this often, so the horizon moves on
RELOAD_FILE = "reload"  # `workshop-bot reload` touches BOT_DATA_DIR/reload


DeadlineMoved = Callable[[Edition, str, datetime, datetime], OutboxMessage | None]  # (edition, title, old, new)


@dataclass(frozen=True)
class Recurring:
    """A job on a trigger that queues an outbox row (the digest): a time that passed while the bot was
    down runs at start; the row's key makes each time go out once."""

    name: str
    trigger: BaseTrigger
    queue: Callable[[datetime], OutboxMessage | None]


def _fires_between(trigger: BaseTrigger, after: datetime, until: datetime) -> bool:
    """Whether `trigger` has a time in (after, until]."""
    upcoming = trigger.get_next_fire_time(None, after + timedelta(seconds=1))  # triggers count in whole seconds
    return upcoming is not None and upcoming <= until


def fire(service: str, key: str) -> None:
    """The job function APScheduler stores by reference: it finds the running service by name."""
    _running[service].fire(key)


class ReminderService:
    """What is due is sent by `sender`; what a moved deadline calls for (a draft announcement) and the
    recurring jobs (the digest) are handed in by whoever builds the bot."""

    def __init__(self, settings: Settings, db: Database, registry: Registry, sender: Sender, *,
                 on_deadline_moved: DeadlineMoved | None = None, recurring: Sequence[Recurring] = (),
                 name: str = "reminders") -> None:
        self.settings, self.db, self.name = settings, db, name
        self.registry = registry  # the process's one view of the editions
        self.sender, self.outbox = sender, sender.outbox
        self.on_deadline_moved, self.recurring = on_deadline_moved, tuple(recurring)
        self.state = ScheduleRows(db, name)
        self.grace = timedelta(seconds=settings.reminder_grace)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=db.engine), "memory": MemoryJobStore()},
            timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._plan: dict[str, PlannedMessage] = {}
        self._lock = threading.RLock()
        self._fingerprint: tuple = ()
        self._synced_at = datetime.min.replace(tzinfo=UTC)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        _running[self.name] = self
        self.scheduler.start(paused=True)  # stored timers load, but nothing fires before the sync
        now = datetime.now(UTC)
        last_alive = self.state.last_beat()
        self.recover(now)
        self.sync(now)
        for job in self.recurring:
            if last_alive is not None and _fires_between(job.trigger, last_alive, now):
                self.run(job)  # its time passed while the bot was down
            self.scheduler.add_job(self.run, job.trigger, args=[job], id=job.name, jobstore="memory",
                                   replace_existing=True)
        self.scheduler.add_job(self.watch, "interval", seconds=self.settings.reload_interval, id="watch",
                               jobstore="memory", replace_existing=True)
        self.scheduler.resume()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if _running.get(self.name) is self:  # not a newer one started since (a replica leading again)
            del _running[self.name]

    # --- planning ---------------------------------------------------------------------------------

    def _files(self) -> tuple:
        editions = self.registry.refresh()
        files = sorted({e.folder.event_file for e in editions.items if e.folder and e.folder.event_file.is_file()})
        files += [p for p in [self.settings.bot_data_dir / RELOAD_FILE] if p.exists()]
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)

    def watch(self) -> None:
        """Re-plan when an event.yaml changed, on `reload`, and hourly; record that we are alive.

        A re-plan that fails is retried at the next check, and the heartbeat stays where the plan last
        stood: what falls due meanwhile is sent or recorded as missed once it succeeds. Queued
        announcements go out either way."""
        now = datetime.now(UTC)
        try:
            if self._files() != self._fingerprint or now - self._synced_at >= RESYNC:
                self.sync(now)
        finally:
            self._pick_up_outbox(now)
        self.state.beat(now)

    def sync(self, now: datetime | None = None) -> list[PlannedMessage]:
        """Re-plan from the files. A broken event.yaml keeps its edition's previous plan."""
        now = now or datetime.now(UTC)
        with self._lock:
            fingerprint = self._files()
            editions = self.registry.editions
            broken = {e.id for e in editions.items if e.event_error}
            for edition in editions.items:
                if edition.event_error:
                    log.error("%s; its reminders stay as they were", edition.event_error)
            self._notice_moves(editions, broken)
            planned = {m.key: m for m in plan(editions, self.settings)}
            planned |= {k: m for k, m in self._plan.items() if m.edition in broken}
            self._plan = planned
            # Anything due since shortly before the last heartbeat fell due while we were down (or just now).
            window_start = (self.state.last_beat() or now) - 2 * timedelta(seconds=self.settings.reload_interval)
            timers = {job.id for job in self.scheduler.get_jobs(jobstore="default")}
            soon = set()
            for message in planned.values():
                if now < message.due <= now + HORIZON:
                    soon.add(message.key)
                    if message.key not in timers:  # keys carry the revision: same key, same time
                        self.scheduler.add_job(fire, "date", run_date=message.due, id=message.key,
                                               args=[self.name, message.key])
                elif window_start < message.due <= now:
                    self._fall_due(message, now)
            for stale in timers - soon:
                self.scheduler.remove_job(stale)  # re-planned away, e.g. the deadline moved: never sent
            self._fingerprint = fingerprint  # only now: a sync that failed is tried again at the next check
            self._synced_at = now
            self.state.beat(now)
            return sorted(planned.values(), key=lambda m: m.due)

    def _notice_moves(self, editions: Editions, broken: set[str]) -> None:
        """A deadline whose due time changed since the last plan is handed to `on_deadline_moved`."""
        current = {e.id: (e, e.event) for e in editions.items if e.event is not None and e.id not in broken}
        moves = self.state.moves({(edition_id, d.id): event.due(d)
                                  for edition_id, (_, event) in current.items() for d in event.deadlines})
        if self.on_deadline_moved is None:
            return
        for move in moves:
            edition, event = current[move.edition]
            title = next(d.title for d in event.deadlines if d.id == move.deadline)
            row = self.on_deadline_moved(edition, title, move.old, move.new)
            if row is not None:
                self.dispatch(row.id)

    # --- firing -----------------------------------------------------------------------------------

    def fire(self, key: str) -> None:
        with self._lock:
            message = self._plan.get(key)
        if message is not None:
            self._fall_due(message, datetime.now(UTC))

    def _fall_due(self, message: PlannedMessage, now: datetime) -> None:
        status = OutboxStatus.PENDING if now - message.due <= self.grace else OutboxStatus.MISSED
        for destination in message.destinations:
            row = self.outbox.add(key=message.key, destination=destination, kind=message.kind,
                                  edition=message.edition, due_at=message.due, status=status,
                                  body=render_for(self.settings.prompts_dir, message, destination))
            if row is None:
                continue  # already sent, or being sent: once is enough
            if status == OutboxStatus.MISSED:
                log.warning("missed %s → %s: due %s, the bot was down until %s", message.key, destination,
                            message.due, now)
            else:
                self.dispatch(row.id)

    def dispatch(self, row_id: int) -> None:
        if self.sender.send(row_id) == OutboxStatus.PENDING:  # a transient failure: try again later
            self.scheduler.add_job(self.dispatch, "date", run_date=datetime.now(UTC) + RETRY_LATER,
                                   args=[row_id], jobstore="memory")

    def _pick_up_outbox(self, now: datetime) -> None:
        """Rows written by other processes (`announce`, or one left pending): send or time them."""
        for row in self.outbox.with_status(OutboxStatus.PENDING):
            if row.due_at <= now:
                self.dispatch(row.id)
            elif row.due_at <= now + HORIZON and not self.scheduler.get_job(f"outbox:{row.id}"):
                self.scheduler.add_job(self.dispatch, "date", run_date=row.due_at, args=[row.id],
                                       id=f"outbox:{row.id}", jobstore="memory")

    def run(self, job: Recurring) -> None:
        row = job.queue(datetime.now(UTC))
        if row is not None:
            self.dispatch(row.id)

    # --- restarts ---------------------------------------------------------------------------------

    def recover(self, now: datetime) -> None:
        """Settle what a crash left: `sending` rows are checked at the destination, `pending` resent."""
        for row in self.outbox.with_status(OutboxStatus.SENDING):
            delivery = self.sender.delivery(row)
            sent_as = delivery.already_sent(row) if delivery else None
            if sent_as:
                self.outbox.finish(row.id, OutboxStatus.SENT, external_id=sent_as)
            else:
                self.outbox.release(row.id, "interrupted by a restart")
        self._pick_up_outbox(now)
