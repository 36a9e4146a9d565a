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
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.config import Settings
from bot.deliveries import Delivery, PermanentError, TransientError
from bot.knowledge.editions import discover
from bot.scheduler.messages import render_message
from bot.scheduler.outbox import Outbox
from bot.scheduler.planner import PlannedMessage, plan
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, SchedulerState
from bot.templates import render

log = logging.getLogger(__name__)

_running: dict[str, ReminderService] = {}
RETRY_LATER = timedelta(minutes=1)
HORIZON = timedelta(days=2)  # timers kept in APScheduler; the rest of the plan waits its turn
RESYNC = timedelta(hours=1)  # re-plan at least this often, so the horizon moves on
RELOAD_FILE = "reload"  # `workshop-bot reload` touches BOT_DATA_DIR/reload


def fire(service: str, key: str) -> None:
    """The job function APScheduler stores by reference: it finds the running service by name."""
    _running[service].fire(key)


class ReminderService:
    def __init__(self, settings: Settings, db: Database, deliveries: dict[str, Delivery], *,
                 name: str = "reminders", send_attempts: int = 4) -> None:
        self.settings, self.db, self.deliveries, self.name = settings, db, deliveries, name
        self.outbox = Outbox(db)
        self.grace = timedelta(seconds=settings.reminder_grace)
        self.send_attempts = send_attempts
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
        self.recover(now)
        self.sync(now)
        self.scheduler.add_job(self.watch, "interval", seconds=self.settings.reload_interval, id="watch",
                               jobstore="memory", replace_existing=True)
        self.scheduler.resume()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        _running.pop(self.name, None)

    # --- planning ---------------------------------------------------------------------------------

    def _files(self) -> tuple:
        root = self.settings.knowledge_dir
        files = sorted(root.glob("*/event.yaml")) if root.is_dir() else []
        files += [p for p in [self.settings.bot_data_dir / RELOAD_FILE] if p.exists()]
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)

    def watch(self) -> None:
        """Re-plan when an event.yaml changed, on `reload`, and hourly; record that we are alive."""
        now = datetime.now(UTC)
        if self._files() != self._fingerprint or now - self._synced_at >= RESYNC:
            self.sync(now)
        self._beat(now)

    def sync(self, now: datetime | None = None) -> list[PlannedMessage]:
        """Re-plan from the files. A broken event.yaml keeps its edition's previous plan."""
        now = now or datetime.now(UTC)
        with self._lock:
            self._fingerprint = self._files()
            editions = discover(self.settings.knowledge_dir)
            broken = {e.id for e in editions.items if e.event_error}
            for edition in editions.items:
                if edition.event_error:
                    log.error("%s; its reminders stay as they were", edition.event_error)
            planned = {m.key: m for m in plan(editions, self.settings)}
            planned |= {k: m for k, m in self._plan.items() if m.edition in broken}
            self._plan = planned
            # Anything due since shortly before the last heartbeat fell due while we were down (or just now).
            window_start = (self._last_beat() or now) - 2 * timedelta(seconds=self.settings.reload_interval)
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
            self._synced_at = now
            self._beat(now)
            return sorted(planned.values(), key=lambda m: m.due)

    # --- firing -----------------------------------------------------------------------------------

    def fire(self, key: str) -> None:
        with self._lock:
            message = self._plan.get(key)
        if message is not None:
            self._fall_due(message, datetime.now(UTC))

    def _fall_due(self, message: PlannedMessage, now: datetime) -> None:
        status = "pending" if now - message.due <= self.grace else "missed"
        for destination in message.destinations:
            variant = "email_text" if destination == "email" else "slack"
            row = self.outbox.add(key=message.key, destination=destination, kind=message.kind,
                                  edition=message.edition, due_at=message.due, status=status,
                                  body=render_message(self.settings.prompts_dir, message, variant))
            if row is None:
                continue  # already sent, or being sent: once is enough
            if status == "missed":
                log.warning("missed %s → %s: due %s, the bot was down until %s", message.key, destination,
                            message.due, now)
            else:
                self.dispatch(row.id)

    def dispatch(self, row_id: int) -> None:
        row = self.outbox.claim(row_id)
        if row is None:
            return
        delivery = self.deliveries.get(row.destination.split(":")[0])
        try:
            if delivery is None:
                raise PermanentError(f"no delivery for '{row.destination}' is configured")
            for attempt in Retrying(stop=stop_after_attempt(self.send_attempts), reraise=True,
                                    wait=wait_exponential(multiplier=0.5, max=8),
                                    retry=retry_if_exception_type(TransientError)):
                with attempt:
                    external_id = delivery.send(row)
        except TransientError as error:
            self.outbox.release(row.id, str(error))
            log.warning("%s → %s failed (%s); trying again in %s", row.key, row.destination, error, RETRY_LATER)
            self.scheduler.add_job(self.dispatch, "date", run_date=datetime.now(UTC) + RETRY_LATER,
                                   args=[row.id], jobstore="memory")
        except PermanentError as error:
            self.outbox.finish(row.id, "failed", error=str(error))
            self.report(row, str(error))
        else:
            self.outbox.finish(row.id, "sent", external_id=external_id)

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

    # --- restarts ---------------------------------------------------------------------------------

    def recover(self, now: datetime) -> None:
        """Settle what a crash left: `sending` rows are checked at the destination, `pending` resent."""
        for row in self.outbox.with_status("sending"):
            delivery = self.deliveries.get(row.destination.split(":")[0])
            sent_as = delivery.already_sent(row) if delivery else None
            if sent_as:
                self.outbox.finish(row.id, "sent", external_id=sent_as)
            else:
                self.outbox.release(row.id, "interrupted by a restart")
        for row in self.outbox.with_status("pending"):
            if row.due_at <= now:
                self.dispatch(row.id)

    def _last_beat(self) -> datetime | None:
        with self.db.session() as s:
            state = s.get(SchedulerState, self.name)
            return state.heartbeat_at if state else None

    def _beat(self, now: datetime) -> None:
        with self.db.session() as s:
            state = s.get(SchedulerState, self.name)
            if state is None:
                s.add(SchedulerState(name=self.name, heartbeat_at=now))
            else:
                state.heartbeat_at = now
