"""Two `serve` replicas on one database (SQLite or PostgreSQL) and one Chroma server: one runs the
reminders; Slack's events, and its retries, go to either. The leader is killed (-9) between two
reminders: the other takes over, and every reminder is posted once, every event answered once.

Killed, the leader's process is gone, and the survivor (on the same host) takes its lease at once.
Frozen (SIGSTOP), as a replica on another machine that stops answering, its lease has to expire first:
a reminder falls due while it does, and the survivor sends it once it leads."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.runtime import Runtime
from bot.storage.db import Database
from bot.storage.lease import LeaseRows

from .conftest import make_settings
from .reminder_harness import keys_posted, write_event
from .slack_harness import BotProcess, HttpBot
from .waiting import wait_past, wait_until

pytestmark = pytest.mark.slow  # bot processes, a Chroma server, kill -9, real-time reminders

LEASE = 3  # seconds: the survivor tries every second
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def replied_in_thread(emulator, ts: str) -> int:
    return len([c for c in emulator.of("chat.postMessage") if c.body.get("thread_ts") == ts])


@pytest.mark.parametrize("end", ["killed", "frozen"])
def test_two_replicas_the_leader_lost_between_reminders(tmp_path, chroma_server, slack_emulator, database_url, end):
    """Reminders are planned from the moment both replicas are ready, so a slow start changes nothing."""
    if end == "frozen" and database_url.startswith("sqlite"):
        pytest.skip("SQLite's locks belong to the process: one frozen inside a write holds them until it dies, "
                    "so surviving a frozen replica takes PostgreSQL (which ends its idle transaction)")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    database = database_url  # a SQLite file both replicas open, or a PostgreSQL database
    shared = {"DATABASE_URL": database, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server),
              "LEADER_LEASE": str(LEASE)}
    replicas = [BotProcess.launch(tmp_path / f"data-{name}", knowledge, slack_emulator, **shared) for name in "ab"]
    try:
        for replica in replicas:
            replica.wait_until("/readyz")  # a follower is ready too
        leases = LeaseRows(Database(database))

        def leader() -> BotProcess | None:
            held = leases.holder("reminders")
            return next((r for r in replicas if held and held[0].split(":")[1] == str(r.process.pid)), None)

        first = wait_until(leader, 60, what="one replica holding the lease")
        survivor = replicas[1 - replicas.index(first)]

        due = datetime.now(UTC) + timedelta(seconds=40)
        offsets = ["36s", "30s", "28s", "20s", "12s"]  # at +4, +10, +12 (while the lease changes hands), +20, +28
        write_event(knowledge, due, offsets)  # the leader re-plans within RELOAD_INTERVAL

        with httpx.Client(timeout=30) as client:
            settings = make_settings(tmp_path / "client")
            ctx = Runtime(settings).slack  # what HttpBot reads for settle(), never called here
            to = [HttpBot(slack_emulator, ctx, f"http://127.0.0.1:{r.port}/slack/events", client) for r in replicas]
            asked = []
            for i in range(4):  # each replica gets events, the other their retries
                ts = f"1700000{i:03d}.000100"
                event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> When is the deadline? ({i})",
                         "ts": ts, "channel": "C1"}
                assert to[i % 2].event(event, event_id=f"EvReplica{i}").status_code == 200
                assert to[1 - i % 2].event(event, event_id=f"EvReplica{i}", headers=RETRY).status_code == 200
                asked.append((event, f"EvReplica{i}"))
            wait_until(lambda: all(replied_in_thread(slack_emulator, e["ts"]) for e, _ in asked), 120,
                       what="every event answered")

            slack_emulator.wait_for("chat.postMessage", 2, timeout=120, where=lambda c: c.body.get("channel") == "CANN")
            if end == "killed":
                first.kill()  # SIGKILL: its lease is left behind
            else:
                first.process.send_signal(signal.SIGSTOP)  # alive, silent: its lease has to expire
            lost = time.monotonic()
            wait_until(lambda: leader() is survivor, 60, every=0.02, what="the survivor holding the lease")
            print(f"takeover: the survivor held the lease {time.monotonic() - lost:.2f} s after the leader was "
                  f"{end} (LEADER_LEASE={LEASE})")
            first.kill()  # frozen: never to wake up

            for event, event_id in asked:  # Slack retries again, now all to the survivor
                assert to[replicas.index(survivor)].event(event, event_id=event_id, headers=RETRY).status_code == 200
            ts = "1700000999.000100"
            late = {"type": "app_mention", "user": "U1", "text": "<@UBOT> Where is the workshop?", "ts": ts,
                    "channel": "C1"}
            assert to[replicas.index(survivor)].event(late, event_id="EvReplicaLate").status_code == 200
            assert to[replicas.index(survivor)].event(late, event_id="EvReplicaLate", headers=RETRY).status_code == 200
            asked.append((late, "EvReplicaLate"))

            slack_emulator.wait_for("chat.postMessage", len(offsets), timeout=120,
                                    where=lambda c: c.body.get("channel") == "CANN")
            wait_until(lambda: replied_in_thread(slack_emulator, ts), 120, what="the late event answered")
            wait_past(due - timedelta(seconds=12) + timedelta(seconds=2))
    finally:
        for replica in replicas:
            replica.kill()  # stopped before counting: no later post can come
    posted = keys_posted(slack_emulator)
    assert sorted(key.split(":")[2] for key in posted) == sorted(offsets)
    assert len(posted) == len(set(posted)) == len(offsets)
    assert {event["ts"]: replied_in_thread(slack_emulator, event["ts"]) for event, _ in asked} == {
        event["ts"]: 1 for event, _ in asked}
