"""Questions by email read from a mailbox: a real IMAP server (pymap, in memory) holding the mail."""

from __future__ import annotations

import imaplib
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.inbound.imap import MailboxPoller, envelope_sender
from bot.inbound.intake import Intake
from bot.inbound.mail import InboundMail
from bot.storage.db import Database
from bot.storage.inbound import InboundRows

from .conftest import make_settings
from .slack_harness import free_port
from .test_inbound_mail import BOT, QUESTION, mail
from .waiting import listening, wait_until

USER, PASSWORD = "questions", "s3cret"


@pytest.fixture
def imap_port() -> Iterator[int]:
    """An IMAP server on 127.0.0.1 with one empty mailbox (USER, PASSWORD)."""
    port = free_port()
    pymap = shutil.which("pymap", path=str(Path(sys.executable).parent)) or "pymap"
    process = subprocess.Popen([pymap, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
                                "--demo-user", USER, "--demo-password", PASSWORD],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: listening(port), 60, every=0.1, what="the IMAP server listening")
    yield port
    process.terminate()
    process.wait(timeout=10)


def deliver(port: int, *raws: bytes) -> None:
    """What the MTA does: put mail in the folder, unseen."""
    with imaplib.IMAP4("127.0.0.1", port) as client:
        client.login(USER, PASSWORD)
        for raw in raws:
            client.append("INBOX", "", None, raw)  # type: ignore[arg-type]


def unseen(port: int, criterion: str = "UNSEEN") -> list[bytes]:
    with imaplib.IMAP4("127.0.0.1", port) as client:
        client.login(USER, PASSWORD)
        client.select("INBOX", readonly=True)
        return client.search(None, criterion)[1][0].split()


class Handed(list):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, mail: InboundMail) -> None:
        with self.lock:
            self.append(mail)


@pytest.fixture
def poller_for(tmp_path, imap_port):
    made: list[MailboxPoller] = []

    def make(db: Database, **overrides) -> tuple[MailboxPoller, Handed]:
        settings = make_settings(tmp_path / "data", imap_host="127.0.0.1", imap_port=imap_port,
                                 imap_security="none", imap_user=USER, imap_password=PASSWORD,
                                 imap_poll_seconds=0.2, mail_from=BOT, **overrides)
        handed = Handed()
        poller = MailboxPoller(settings, Intake(db, settings), handed)
        made.append(poller)
        return poller, handed

    yield make
    for poller in made:
        poller.stop()


QUESTION_MAIL = b"Return-Path: <ada@example.org>\r\n" + mail()
BOUNCE = b"Return-Path: <>\r\n" + mail("Delivery failed.\n", sender="mailer@example.org",
                                       message_id="<bounce@example.org>")


def test_the_envelope_sender_is_the_return_path_else_from():
    assert envelope_sender(QUESTION_MAIL) == "ada@example.org"
    assert envelope_sender(BOUNCE) == ""
    assert envelope_sender(mail(sender="Grace <grace@example.org>")) == "grace@example.org"


@pytest.mark.slow
def test_unseen_mail_is_stored_byte_for_byte_marked_seen_and_handed_on(tmp_path, imap_port, poller_for):
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    deliver(imap_port, QUESTION_MAIL, BOUNCE)
    poller, handed = poller_for(db)

    assert poller.poll() == 2

    rows = InboundRows(db)
    question, bounce = rows.by_message_id("<q1@example.org>"), rows.by_message_id("<bounce@example.org>")
    assert question is not None and question.raw == QUESTION_MAIL and question.status == "question"
    assert bounce is not None and bounce.raw == BOUNCE and bounce.reason == "bounce (null sender <>)"
    assert unseen(imap_port) == []
    assert poller.poll() == 0  # read once
    poller.stop()  # waits for the mails handed on
    assert [(m.sender, m.question) for m in handed] == [("ada@example.org", f"Hello,\n\n{QUESTION}")]


@pytest.mark.slow
def test_mail_that_could_not_be_stored_stays_unseen_for_the_next_poll(tmp_path, imap_port, poller_for):
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    with db.statement() as c:
        c.execute(text("DROP TABLE inbound_mail"))
    deliver(imap_port, QUESTION_MAIL)
    poller, handed = poller_for(db)

    with pytest.raises(Exception, match="inbound_mail"):
        poller.poll()

    assert len(unseen(imap_port)) == 1 and handed == []


@pytest.mark.slow
def test_the_poller_reads_new_mail_as_it_arrives(tmp_path, imap_port, poller_for):
    poller, handed = poller_for(Database(f"sqlite:///{tmp_path / 'bot.db'}"))
    poller.start()

    deliver(imap_port, QUESTION_MAIL)

    wait_until(lambda: len(handed) == 1, 30, what="the mail read from the mailbox")
    poller.stop()
    assert handed[0].message_id == "<q1@example.org>"


@pytest.mark.slow
def test_mail_over_the_size_limit_is_not_read_but_left_flagged_for_organizers(tmp_path, imap_port, poller_for):
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    large = b"Return-Path: <ada@example.org>\r\n" + mail("x" * 5000 + "\n", message_id="<large@example.org>")
    deliver(imap_port, large, QUESTION_MAIL)
    poller, handed = poller_for(db, inbound_max_bytes=2000)

    assert poller.poll() == 2

    rows = InboundRows(db)
    assert rows.by_message_id("<large@example.org>") is None  # not read, as the listener refuses it with 552
    assert rows.by_message_id("<q1@example.org>") is not None
    assert unseen(imap_port) == [] and len(unseen(imap_port, "FLAGGED")) == 1
    poller.stop()
    assert [m.message_id for m in handed] == ["<q1@example.org>"]
