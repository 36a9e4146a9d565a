"""The storage operations on each engine the bot runs on, and what two writers at once get on PostgreSQL.

Each racer below has its own Database (its own engine and connections), as replicas of the bot would: on
PostgreSQL they really run at once, and every race has exactly one winner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from bot.storage.announcements import AnnouncementRows
from bot.storage.db import Database
from bot.storage.digest_review import DigestReviewRows
from bot.storage.models import Announcement, AnnouncementStatus, EscalationStatus, OutboxStatus
from bot.storage.outbox import OutboxRows
from bot.storage.schedule import ScheduleRows
from bot.storage.url import DatabaseUrlError, engine_url

T = TypeVar("T")
RACERS = 8
SLOT = datetime(2030, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url) -> Database:
    return Database(database_url)


def race(url: str, attempt: Callable[[Database], T], racers: int = RACERS) -> list[T]:
    """What each of `racers` processes' attempt returned, all started at once."""
    databases = [Database(url, pool_size=1) for _ in range(racers)]
    start, results, errors = threading.Barrier(racers), [], []

    def run(db: Database) -> None:
        start.wait()
        try:
            results.append(attempt(db))
        except Exception as error:  # reported below: a race must not fail, only lose
            errors.append(error)

    threads = [threading.Thread(target=run, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for db in databases:
        db.engine.dispose()
    assert not errors and not any(thread.is_alive() for thread in threads), errors
    return results


def add_message(db: Database, key: str = "reminder:1", body: str = "Submit!"):
    return OutboxRows(db).insert(key=key, destination="slack:CANN", kind="reminder", edition="2030",
                                 due_at=SLOT, body=body)


def test_postgresql_urls_as_people_write_them_use_psycopg():
    assert engine_url("postgresql://bot:secret@db.example.org/bot").drivername == "postgresql+psycopg"
    assert engine_url("postgres://bot@db.example.org/bot").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+psycopg://bot@db.example.org/bot").drivername == "postgresql+psycopg"
    assert engine_url("sqlite:////var/lib/bot/bot.db").drivername == "sqlite"


@pytest.mark.parametrize("url, said", [
    ("localhost/bot", "DATABASE_URL is not a database URL"),
    ("postgresql+nodriver://db/bot", "DATABASE_URL names a database SQLAlchemy does not know"),
    ("mssql+pymssql://db/bot", "workshop-bot stores its data in PostgreSQL"),
])
def test_an_unusable_database_url_is_refused_naming_it(url, said):
    with pytest.raises(DatabaseUrlError, match=said):
        Database(url)


def test_a_message_is_recorded_once(db):
    first = db.record_question(via="mention", channel_id="CPUB", message_ts="1.0", text="When?", public=True)
    assert first is not None
    assert db.record_question(via="app_mention", channel_id="CPUB", message_ts="1.0", text="When?") is None
    assert db.record_question(via="console", text="When?") not in (None, first)  # no channel: never a duplicate


def test_voting_again_changes_the_vote(db):
    question = db.record_question(via="dm", channel_id="D1", message_ts="1.0", text="Where?")
    db.add_feedback(question, "U1", helpful=True)
    db.add_feedback(question, "U1", helpful=False)
    db.add_feedback(question, "U2", helpful=False)
    stats = db.stats()
    assert (stats.helpful, stats.not_helpful) == (0, 2)


def test_datetimes_come_back_equal_and_in_utc(db):
    """The test databases on PostgreSQL run in America/Los_Angeles: what comes back is still UTC."""
    moment = datetime(2030, 5, 4, 9, 30, 15, 123456, tzinfo=UTC)
    row = OutboxRows(db).insert(key="k", destination="email:list@example.org", kind="digest", edition=None,
                                due_at=moment.astimezone(datetime.now().astimezone().tzinfo), body="b")
    [again] = OutboxRows(db).of_key("k")
    assert row is not None and again.due_at == moment and again.due_at.utcoffset() == timedelta(0)
    assert again.created_at.tzinfo is not None and again.created_at.utcoffset() == timedelta(0)
    ScheduleRows(db, "reminders").beat(moment)
    assert ScheduleRows(db, "reminders").last_beat() == moment
    assert OutboxRows(db).sent_before("digest", moment + timedelta(microseconds=1)) == 0


def test_an_outbox_row_is_added_once_claimed_once_and_settled(db):
    outbox = OutboxRows(db)
    row = add_message(db)
    assert row is not None and row.status == OutboxStatus.PENDING and row.attempts == 0
    assert add_message(db, body="again") is None
    claimed = outbox.claim(row.id)
    assert claimed is not None and claimed.status == OutboxStatus.SENDING and claimed.attempts == 1
    assert outbox.claim(row.id) is None
    outbox.release(row.id, "timeout")
    assert outbox.claim(row.id).attempts == 2
    outbox.finish(row.id, OutboxStatus.SENT, external_id="1.0")
    assert outbox.sent_keys(["reminder:1", "other"]) == {"reminder:1"}
    assert outbox.claim(row.id) is None


def test_an_escalation_is_closed_once(db):
    question = db.record_question(via="mention", channel_id="CPUB", message_ts="1.0", text="Visa letter?")
    escalation, created = db.escalate(question, "U1")
    assert created and db.escalate(question, "U2")[1] is False
    closed = db.close_escalation(escalation.id, EscalationStatus.ANSWERED, "UORG", "Write to visa@")
    assert closed is not None and closed.status == EscalationStatus.ANSWERED and closed.closed_at.tzinfo == UTC
    assert db.close_escalation(escalation.id, EscalationStatus.RESOLVED, "UORG2") is None


def test_a_digest_review_is_stored_once_per_slot(db):
    review = DigestReviewRows(db)
    first = review.record(SLOT, [("When is the deadline?", ["deadline"]), ("Where?", ["venue", "where"])])
    again = review.record(SLOT, [("Something else", ["else"])])
    assert [e.wording for e in first] == [e.wording for e in again] == ["When is the deadline?", "Where?"]
    review.exclude(first[1].id, "UORG")
    assert review.reviewed(SLOT).allows(["deadline"]) and not review.reviewed(SLOT).allows(["where"])
    assert review.of_slot(SLOT + timedelta(days=1)) == []


def test_a_moved_deadline_is_seen_once(db):
    rows = ScheduleRows(db, "reminders")
    due = datetime(2030, 5, 1, 23, 59, tzinfo=UTC)
    assert rows.moves({("2030", "submission"): due, ("2030", "camera"): due}) == []
    assert rows.moves({("2030", "submission"): due}) == []
    [move] = rows.moves({("2030", "submission"): due + timedelta(days=7), ("2030", "camera"): due})
    assert (move.edition, move.deadline, move.old, move.new) == ("2030", "submission", due, due + timedelta(days=7))
    assert rows.moves({("2030", "submission"): due + timedelta(days=7)}) == []


def test_a_draft_is_decided_once(db):
    rows = AnnouncementRows(db)
    draft = rows.create(Announcement(template="extension", variables="{}", text="Extended", destinations="slack",
                                     send_at=SLOT, created_by="bot", status=AnnouncementStatus.DRAFT), "draft", {})
    assert rows.decide(draft.id, "UORG", approve=True).status == AnnouncementStatus.READY
    assert rows.decide(draft.id, "UORG2", approve=False) is None


# On PostgreSQL: replicas racing for the same thing.

def test_replicas_recording_the_same_message_one_wins(postgres_url):
    Database(postgres_url).engine.dispose()
    ids = race(postgres_url, lambda db: db.record_question(via="mention", channel_id="C", message_ts="9.0", text="?"))
    assert len([i for i in ids if i is not None]) == 1


def test_replicas_adding_and_claiming_the_same_outbox_row_one_wins(postgres_url):
    Database(postgres_url).engine.dispose()
    added = [row for row in race(postgres_url, add_message) if row is not None]
    assert len(added) == 1
    claimed = [row for row in race(postgres_url, lambda db: OutboxRows(db).claim(added[0].id)) if row is not None]
    assert len(claimed) == 1 and claimed[0].attempts == 1


def test_askers_escalating_the_same_question_make_one_escalation(postgres_url):
    db = Database(postgres_url)
    question = db.record_question(via="dm", channel_id="D", message_ts="1.0", text="?")
    made = race(postgres_url, lambda racer: racer.escalate(question, "U1"))
    assert sorted(created for _, created in made) == [False] * (RACERS - 1) + [True]
    assert len({escalation.id for escalation, _ in made}) == 1


def test_organizers_closing_the_same_escalation_one_wins(postgres_url):
    db = Database(postgres_url)
    escalation, _ = db.escalate(db.record_question(via="dm", channel_id="D", message_ts="1.0", text="?"), "U1")
    closed = race(postgres_url, lambda racer: racer.close_escalation(escalation.id, EscalationStatus.RESOLVED, "U"))
    assert len([c for c in closed if c is not None]) == 1


def test_replicas_reviewing_the_same_slot_store_one_review(postgres_url):
    Database(postgres_url).engine.dispose()
    reviews = race(postgres_url, lambda db: DigestReviewRows(db).record(
        SLOT, [(f"Question {n} from {threading.get_ident()}", [f"k{n}"]) for n in range(1, 4)]))
    wordings = {tuple(e.wording for e in review) for review in reviews}
    assert len(wordings) == 1 and len(next(iter(wordings))) == 3


def test_replicas_planning_at_once_see_a_move_once(postgres_url):
    due = datetime(2030, 5, 1, 23, 59, tzinfo=UTC)
    keys = [("2030", f"deadline-{n}") for n in range(5)]
    ScheduleRows(Database(postgres_url), "reminders").moves(dict.fromkeys(keys, due))
    moves = race(postgres_url, lambda db: ScheduleRows(db, "reminders").moves(dict.fromkeys(keys, due + timedelta(1))))
    assert sorted(move.deadline for found in moves for move in found) == [deadline for _, deadline in keys]
    firsts = race(postgres_url, lambda db: ScheduleRows(db, "reminders").moves({("2031", "new"): due}))
    assert firsts == [[]] * RACERS


def test_organizers_deciding_the_same_draft_one_decides(postgres_url):
    draft = AnnouncementRows(Database(postgres_url)).create(Announcement(
        template="extension", variables="{}", text="Extended", destinations="slack", send_at=SLOT,
        created_by="bot", status=AnnouncementStatus.DRAFT), "draft", {})
    decided = race(postgres_url, lambda db: AnnouncementRows(db).decide(draft.id, "UORG", approve=True))
    assert len([d for d in decided if d is not None]) == 1


def test_a_transaction_left_idle_by_a_frozen_replica_is_ended_by_the_server(postgres_url):
    """Its row locks would otherwise stall every other replica for as long as it stays frozen."""
    from sqlalchemy import text

    from bot.storage.db import IDLE_IN_TRANSACTION_MS

    with Database(postgres_url).engine.connect() as connection:
        shown = connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one()
    assert shown == f"{IDLE_IN_TRANSACTION_MS // 1000}s"
