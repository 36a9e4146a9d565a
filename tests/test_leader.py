"""Replicas on one database: the one holding the lease runs the reminder service; when it dies, another
takes over once the lease expires, and at once when it shuts down cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.deliveries import Medium
from bot.runtime import Runtime
from bot.scheduler.leader import Leader, dead, holder_id
from bot.scheduler.service import ReminderService
from bot.slack.client import slack_delivery
from bot.storage.db import Database
from bot.storage.lease import LeaseRows

from .conftest import make_settings
from .reminder_harness import write_event
from .slack_emulator import BOT_TOKEN
from .waiting import wait_until

NAME = "reminders"


class Replica:
    """One process's share of a replica: its own runtime (database engine included) and Leader; `took`
    records when each of its reminder services was made, i.e. when it took the lease."""

    def __init__(self, settings) -> None:
        self.runtime = Runtime(settings, deliveries={Medium.SLACK: slack_delivery(settings)})
        self.took: list[datetime] = []
        self.leader = Leader(LeaseRows(self.runtime.db), settings.leader_lease, self._make)

    def _make(self) -> ReminderService:
        self.took.append(datetime.now(UTC))
        return self.runtime.reminder_service()

    @property
    def timers(self) -> list[str]:
        service = self.leader.service
        assert isinstance(service, ReminderService) and service.scheduler.running
        return [job.id for job in service.scheduler.get_jobs(jobstore="default")]


@pytest.fixture
def replicas(tmp_path, knowledge_copy, slack_emulator):
    """Makes replicas sharing one SQLite database, each with the given lease; all stopped at the end."""
    made: list[Replica] = []
    write_event(knowledge_copy, datetime.now(UTC) + timedelta(hours=1), ["30m"])  # one timer, half an hour away

    def replica(lease: float) -> Replica:
        settings = make_settings(tmp_path / "data", knowledge_copy, slack_bot_token=BOT_TOKEN,
                                 slack_api_url=slack_emulator.url, reload_interval=0.3, leader_lease=lease)
        made.append(Replica(settings))
        return made[-1]

    yield replica
    for each in made:
        each.leader.stop()


def lease_of(replica: Replica) -> tuple[str, datetime]:
    held = LeaseRows(replica.runtime.db).holder(NAME)
    assert held is not None
    return held


def test_of_two_replicas_one_runs_the_reminders_and_keeps_its_lease(replicas):
    first, second = replicas(3.0), replicas(3.0)
    first.leader.start()
    second.leader.start()
    assert first.leader.leading and not second.leader.leading  # the first took it at start, as a single bot does
    [timer] = first.timers
    _, expires = lease_of(first)
    wait_until(lambda: lease_of(first)[1] > expires + timedelta(seconds=1), 30, what="the lease renewed twice")
    assert first.leader.leading and not second.leader.leading and lease_of(first)[0] == first.leader.holder
    assert len(first.took) == 1 and second.took == []
    assert timer.split(":")[2] == "30m"


def test_a_dead_leaders_lease_is_taken_once_it_expires(replicas):
    lease = 3.0
    first, second = replicas(lease), replicas(lease)
    first.leader.start()
    second.leader.start()
    first.leader.stop(release=False)  # as if killed: nothing runs, the lease stays until it expires
    holder, expires = lease_of(first)
    assert holder == first.leader.holder and not first.leader.leading
    wait_until(lambda: second.leader.leading, 10 * lease, what="the second replica leading")
    [took] = second.took
    print(f"taken over {(took - expires).total_seconds():.2f} s after the dead leader's lease expired")
    assert took >= expires  # never while the dead one's lease ran
    assert [timer.split(":")[2] for timer in second.timers] == ["30m"]  # the plan, picked up


def test_a_leader_shutting_down_hands_over_at_once(replicas):
    lease = 9.0  # the other replica tries every 3 s: it leads long before the lease would have expired
    first, second = replicas(lease), replicas(lease)
    first.leader.start()
    second.leader.start()
    _, expires = lease_of(first)
    first.leader.stop()
    assert LeaseRows(first.runtime.db).holder(NAME) is None
    wait_until(lambda: second.leader.leading, 10 * lease, what="the second replica leading")
    [took] = second.took
    assert took < expires
    assert [timer.split(":")[2] for timer in second.timers] == ["30m"]


class HeldAtStart:
    """A real reminder service whose start waits to be let through, as one settling a crash waits on Slack."""

    def __init__(self, service: ReminderService) -> None:
        self.service, self.go = service, threading.Event()

    def start(self) -> None:
        assert self.go.wait(60)
        self.service.start()

    def stop(self) -> None:
        self.service.stop()


def test_a_service_slow_to_start_keeps_its_lease_meanwhile(replicas):
    lease = 1.5
    first, second = replicas(lease), replicas(lease)
    held = HeldAtStart(first.runtime.reminder_service())
    first.leader.make = lambda: held
    starting = threading.Thread(target=first.leader.start)
    starting.start()
    wait_until(lambda: LeaseRows(first.runtime.db).holder(NAME), 30, what="the lease taken")
    second.leader.start()
    _, expires = lease_of(first)
    wait_until(lambda: lease_of(first)[1] > expires + timedelta(seconds=3 * lease), 60,
               what="the lease renewed for three leases' time")
    assert lease_of(first)[0] == first.leader.holder and not second.leader.leading
    held.go.set()
    starting.join(60)
    assert first.leader.leading and not second.leader.leading
    assert held.service.scheduler.running


def test_a_lease_left_by_a_dead_process_on_this_host_is_taken_at_once(tmp_path):
    rows = LeaseRows(Database(f"sqlite:///{tmp_path / 'bot.db'}"))
    me, host = holder_id(), socket.gethostname()
    exited = subprocess.Popen([sys.executable, "-c", ""])
    exited.wait()
    holders = {
        "gone": f"{host}:{exited.pid}:0000",  # its process has exited
        "earlier life": f"{host}:{os.getpid()}:0000",  # this pid, not this process's: a restarted container's pid 1
        "elsewhere": f"elsewhere:{exited.pid}:0000",  # another machine's: alive as far as we know
        "alive": holder_id(),  # another holder in this very process
    }
    for name, holder in holders.items():
        assert rows.acquire(name, holder, 3600)
    taken = {name: rows.acquire(name, me, 60, gone=dead) for name in holders}
    assert taken == {"gone": True, "earlier life": True, "elsewhere": False, "alive": False}


@pytest.mark.parametrize("left", ["none", "expired"])
def test_of_many_processes_trying_at_once_exactly_one_takes_the_lease(tmp_path, left):
    """Each with its own engine, as processes have: the conditional statements let one through."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    if left == "expired":
        assert LeaseRows(Database(url)).acquire(NAME, "somewhere:1:dead", -1)
    contenders = [LeaseRows(Database(url)) for _ in range(8)]
    start, results = threading.Barrier(len(contenders)), {}

    def contend(index: int) -> None:
        start.wait()
        results[index] = contenders[index].acquire(NAME, f"host:{index}:0000", 60)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(contenders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    [winner] = [index for index, won in results.items() if won]
    assert len(results) == len(contenders) and contenders[0].holder(NAME)[0] == f"host:{winner}:0000"
