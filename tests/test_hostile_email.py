"""Hostile mail servers and private data: a slow server never hangs sending; what the bot writes is its own."""

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.index.store import KnowledgeStore
from bot.index.watch import IndexLock, request_ingest
from bot.storage.db import Database

from .conftest import KNOWLEDGE, REPO
from .smtp_harness import trickling_smtp
from .test_email import mail_settings, queued, sender


@pytest.mark.slow  # waits on servers that trickle
@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_a_server_that_trickles_its_replies_is_given_up_on_and_retried_later(tmp_path, smtp_server, security):
    """Each reply comes a byte at a time, well within any socket timeout: only SMTP_DEADLINE ends the
    conversation. Its clock is the server's: the time is up once a conversation trickles, not after so
    many seconds, so a busy machine cannot turn the deadline into some other failure."""
    with trickling_smtp(security) as slow:
        settings = mail_settings(tmp_path, "127.0.0.1", slow.port, smtp_security=security)
        outbox, row = queued(settings)
        outcome: list[str | None] = []
        sending = threading.Thread(target=lambda: outcome.append(sender(settings, outbox, timer=slow.clock())
                                                                 .send(row.id)), daemon=True)
        sending.start()
        sending.join(timeout=120)  # an upper bound: each of the 2 attempts ends once its server trickles
        assert outcome == ["pending"], "still sending after 2 minutes"
        [pending] = outbox.of_key(row.key)
        assert pending.status == "pending" and pending.attempts == 1
        assert pending.last_error == f"SMTP did not finish within SMTP_DEADLINE ({settings.smtp_deadline:g} s)"
        assert slow.wait_all_closed() == 2  # both attempts hung up, nothing left half-open

    host, port, mailbox = smtp_server  # the next try, with a server that answers
    settings = mail_settings(tmp_path, host, port)
    assert sender(settings, outbox).send(row.id) == "sent"
    assert [m["Subject"] for m in mailbox.wait()] == ["Poster session moves"]
    assert outbox.of_key(row.key)[0].status == "sent"


def modes(root: Path) -> dict[str, int]:
    """Permission bits of `root` and of everything below it, by path relative to `root`."""
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


def not_private(root: Path) -> dict[str, str]:
    return {path: oct(mode) for path, mode in modes(root).items()
            if mode != (0o700 if (root / path).is_dir() else 0o600)}


@pytest.fixture
def permissive_umask():
    """The umask most systems start with (0644 files): the bot must not rely on a stricter one."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_database_the_index_and_the_mail_are_private_whatever_the_umask(tmp_path, embeddings, permissive_umask):
    settings = mail_settings(tmp_path)  # no SMTP server: mail is written to .eml files
    outbox, row = queued(settings)
    outbox.db.record_question(via="dm", user_id="U1", channel_id="D1", message_ts="1.0", text="my private question")
    assert sender(settings, outbox).send(row.id) == "sent"
    KnowledgeStore(settings, embeddings)
    assert IndexLock(settings).acquire()
    request_ingest(settings, [tmp_path], [])

    data = settings.bot_data_dir
    written = modes(data)
    assert {"bot.db", "bot.db-wal", "bot.db-shm", "chroma", "chroma/chroma.sqlite3", "outbox/mail", "index.lock",
            "ingest-request.json"} <= set(written)
    assert [p for p in written if p.endswith(".eml")] == ["outbox/mail/000001-announcement.eml"]
    assert not_private(data) == {}


def test_what_an_earlier_version_left_readable_is_made_private(tmp_path, permissive_umask):
    settings = mail_settings(tmp_path)
    Database.from_settings(settings).record_question(via="dm", user_id="U1", text="my private question")
    data = settings.bot_data_dir
    for path, mode in [(data, 0o755), (data / "bot.db", 0o644), (data / "bot.db-wal", 0o644)]:
        path.chmod(mode)
    Database.from_settings(settings)
    assert not_private(data) == {}


@pytest.mark.slow
def test_every_file_a_command_writes_is_private_chromas_own_included(tmp_path, permissive_umask):
    """The command started from a shell whose umask lets everyone read: `ingest --rebuild` writes the
    index (Chroma's segment files too), the lock and the database."""
    data = tmp_path / "data"
    env = {**os.environ, "BOT_DATA_DIR": str(data), "KNOWLEDGE_DIR": str(KNOWLEDGE)}
    done = subprocess.run([sys.executable, "-m", "bot", "ingest", "--rebuild"], cwd=REPO, env=env, timeout=600,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert any(p.suffix == ".bin" for p in (data / "chroma").rglob("*"))  # the vectors: written by Chroma itself
    assert "bot.db" in modes(data) and not_private(data) == {}
