"""The database (SQLite under BOT_DATA_DIR, or any SQLAlchemy URL) and the operations on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random

from bot.config import Settings
from bot.ops.private import private_file, private_folder
from bot.storage import conflicts
from bot.storage.models import (
    Base,
    Escalation,
    EscalationStatus,
    FaqEntry,
    Feedback,
    Question,
    utcnow,
)
from bot.storage.url import engine_url


_QUESTIONS = cast(Table, Question.__table__)
_FEEDBACK = cast(Table, Feedback.__table__)
UPDATE_QUESTION = update(_QUESTIONS).where(_QUESTIONS.c.id == bindparam("question_id"))


class _Inserts:
    """Built once per database: a statement object keeps its cache key, so running it again skips SQLAlchemy's
    coercion and key generation (two thirds of what these writes cost in Python). The columns written are the
    parameters' keys. Each loses cleanly on its unique key: on PostgreSQL the loser waits for the winner's
    commit and then does nothing, where an IntegrityError would also abort its transaction. RETURNING says
    who won (a CursorResult's rowcount is only kept for UPDATE and DELETE)."""

    def __init__(self, dialect: str) -> None:
        self.question = conflicts.insert(dialect, _QUESTIONS).on_conflict_do_nothing(
            index_elements=["channel_id", "message_ts"]).returning(_QUESTIONS.c.id)
        vote = conflicts.insert(dialect, _FEEDBACK)
        self.vote = vote.on_conflict_do_update(index_elements=["question_id", "user_id"],
                                               set_={"helpful": vote.excluded.helpful})


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url.get_secret_value()  # to SQLAlchemy only, whose URL masks it in a repr
    private_folder(settings.bot_data_dir)
    return f"sqlite:///{settings.bot_data_dir / 'bot.db'}"


def _private_sqlite(database: str | None) -> None:
    """A SQLite file made 0600 before the first connection: its -wal and -shm files take its mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_file(path)
    for journal in (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")):
        if journal.exists():  # left by an earlier version, with the umask's mode
            private_file(journal)


@dataclass
class Stats:
    asked: int
    answered: int
    helpful: int
    not_helpful: int
    escalated: int
    open_escalations: int
    unanswered: list[Question]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


# Our transactions are a few statements each: one idle in the middle for longer belongs to a process that
# froze or hung, and the server ends it rather than let its locks stall the other replicas.
IDLE_IN_TRANSACTION_MS = 10_000


def open_engine(url: str, pool_size: int = 20) -> Engine:
    """The engine of DATABASE_URL (DatabaseUrlError when it cannot be one), its schema not looked at yet."""
    target = engine_url(url)
    connect_args = {}
    if target.get_backend_name() == "postgresql":  # a frozen replica's open transaction would hold its row locks
        connect_args["options"] = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    engine = create_engine(target, pool_size=pool_size, max_overflow=pool_size, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _private_sqlite(engine.url.database)
        event.listen(engine, "connect", _sqlite_pragmas)
        _write_ahead_log(engine)
    return engine


def _write_ahead_log(engine: Engine) -> None:
    """WAL is a property of the file, set once. Switching needs the file to itself, and SQLite answers
    "database is locked" at once, without the busy timeout, while another process opens it too (replicas
    starting together): so it is tried again, for as long as the busy timeout would wait."""
    for attempt in Retrying(retry=retry_if_exception(_locked), stop=stop_after_delay(5),
                            wait=wait_random(0.01, 0.1), reraise=True):
        with attempt, engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def _locked(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and "locked" in str(error.orig)


class Database:
    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.engine = open_engine(url, pool_size)
        from bot.storage.migrate import upgrade  # Alembic: half a second of imports, for whoever opens a database

        upgrade(self.engine)
        self._inserts = _Inserts(self.engine.dialect.name)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings), pool_size=2 * settings.slack_workers)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A transaction of one statement, without the ORM: what every answered question does (claim its
        event, record it, store its answer and where it went) is one short write each, so the writers,
        who take turns on SQLite, hold its lock only while the statement runs."""
        with self.engine.begin() as connection:
            yield connection

    def record_question(self, **fields) -> int | None:
        """The new question's id, or None when this message was already taken: Slack sent it again (a retry
        after a slow acknowledgement, across restarts too), or sent it both as `message` and `app_mention`.
        This one statement is the claim: whoever records the message answers it."""
        with self.statement() as c:
            return c.execute(self._inserts.question, fields).scalar_one_or_none()

    def _update(self, model: type[Base], row_id: int, fields: dict):
        with self.session() as s:
            row = s.get(model, row_id)
            for key, value in fields.items():
                setattr(row, key, value)
            return row

    def update_question(self, question_id: int, **fields) -> None:
        with self.statement() as c:
            c.execute(UPDATE_QUESTION, {"question_id": question_id, **fields})

    def question(self, question_id: int) -> Question | None:
        with self.session() as s:
            return s.get(Question, question_id)

    def thread_history(self, channel_id: str, thread_ts: str) -> list[Question]:
        """Questions asked in a thread the bot answered, oldest first (the root message included)."""
        with self.session() as s:
            rows = s.scalars(
                select(Question)
                .where(Question.channel_id == channel_id)
                .where((Question.message_ts == thread_ts) | (Question.thread_ts == thread_ts))
                .order_by(Question.id)
            )
            return list(rows)

    def add_feedback(self, question_id: int, user_id: str, helpful: bool) -> None:
        """One vote per user and question; voting again changes it."""
        with self.statement() as c:
            c.execute(self._inserts.vote, {"question_id": question_id, "user_id": user_id, "helpful": helpful})

    def escalate(self, question_id: int, requested_by: str) -> tuple[Escalation, bool]:
        """The escalation of a question, and whether it was created now (asking twice is one)."""
        with self.session() as s:
            created = s.scalars(conflicts.insert(self.engine.dialect.name, Escalation)
                                .values(question_id=question_id, requested_by=requested_by)
                                .on_conflict_do_nothing(index_elements=["question_id"]).returning(Escalation)).first()
            if created is not None:
                return created, True
            return s.scalars(select(Escalation).filter_by(question_id=question_id)).one(), False

    def update_escalation(self, escalation_id: int, **fields) -> Escalation:
        return self._update(Escalation, escalation_id, fields)

    def close_escalation(self, escalation_id: int, status: EscalationStatus, by: str,
                         answer: str | None = None) -> Escalation | None:
        """Close an open escalation; None when someone else closed it first (one conditional UPDATE:
        two organizers at the same moment cannot both close it)."""
        with self.session() as s:
            closed = cast(CursorResult, s.execute(  # an UPDATE's result is a CursorResult: it has a rowcount
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.OPEN)
                .values(status=status, closed_by=by, closed_at=utcnow(), answer=answer)))
            return s.get(Escalation, escalation_id) if closed.rowcount == 1 else None

    def escalation(self, escalation_id: int) -> Escalation | None:
        with self.session() as s:
            return s.get(Escalation, escalation_id)

    def add_faq(self, question: str, answer: str, edition: str | None, answered_by: str, url: str | None) -> FaqEntry:
        with self.session() as s:
            entry = FaqEntry(question=question, answer=answer, edition=edition, answered_by=answered_by, url=url)
            s.add(entry)
        return entry

    def faq_entries(self) -> list[FaqEntry]:
        with self.session() as s:
            return list(s.scalars(select(FaqEntry).order_by(FaqEntry.id)))

    def public_answered_between(self, since: datetime, until: datetime) -> list[tuple[Question, str | None]]:
        """Questions asked in public in [since, until) that the bot answered or an organizer did, oldest
        first, each with the organizer's answer if there is one. What was asked privately never is."""
        with self.session() as s:
            rows = s.execute(
                select(Question, Escalation.answer)
                .outerjoin(Escalation, (Escalation.question_id == Question.id)
                           & (Escalation.status == EscalationStatus.ANSWERED))
                .where(Question.created_at >= since, Question.created_at < until, Question.public.is_(True),
                       Question.answered.is_(True) | Escalation.answer.is_not(None))
                .order_by(Question.id))
            return [(question, answer) for question, answer in rows]

    def stats(self, since: datetime | None = None, unanswered_limit: int = 10) -> Stats:
        with self.session() as s:
            def count(*where) -> int:
                query = select(func.count()).select_from(Question).where(*where)
                if since is not None:
                    query = query.where(Question.created_at >= since)
                return s.scalar(query) or 0

            def votes(helpful: bool) -> int:
                return s.scalar(select(func.count()).select_from(Feedback).where(Feedback.helpful == helpful)) or 0

            unanswered = s.scalars(
                select(Question).where(Question.answered.is_(False)).order_by(Question.id.desc()).limit(unanswered_limit)
            )
            return Stats(
                asked=count(),
                answered=count(Question.answered.is_(True)),
                helpful=votes(True),
                not_helpful=votes(False),
                escalated=s.scalar(select(func.count()).select_from(Escalation)) or 0,
                open_escalations=s.scalar(
                    select(func.count()).select_from(Escalation).where(Escalation.status == EscalationStatus.OPEN))
                or 0,
                unanswered=list(unanswered),
            )


def _sqlite_pragmas(connection, _record) -> None:
    """A busy timeout and no fsync per commit (WAL keeps that safe): threads write concurrently, quickly."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes of the process
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
