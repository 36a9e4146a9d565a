"""A real SMTP server for the suite: aiosmtpd on 127.0.0.1, STARTTLS with a test CA the client trusts,
AUTH required, and 4xx / 5xx answers on demand. And a server too slow to ever finish a reply."""

from __future__ import annotations

import contextlib
import email
import functools
import email.policy
import itertools
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.deliveries.email import Timer, TimerFactory

from .slack_harness import free_port
from .waiting import wait_until

USER, PASSWORD = "bot", "s3cret"


@dataclass
class Received:
    """One message as the server got it: the envelope and the bytes of DATA, untouched."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)  # replies for the next DATA commands, e.g. "451 later"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def raw(self) -> list[bytes]:
        """Each message as it came over the wire."""
        with self.lock:
            return [r.raw for r in self.received]

    def wait(self, count: int = 1, timeout: float = 20) -> list:
        def arrived() -> list:
            with self.lock:
                return list(self.messages) if len(self.messages) >= count else []

        return wait_until(arrived, timeout, what=f"{count} message(s) received")

    def wait_raw(self, count: int = 1, timeout: float = 20) -> list[Received]:
        self.wait(count, timeout)
        with self.lock:
            return list(self.received)


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server(tmp_path, monkeypatch):
    """(host, port, mailbox); the bot's TLS client trusts the test CA through SSL_CERT_FILE."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=server_context,
                            require_starttls=True, auth_required=True, authenticator=authenticate)
    controller.start()
    yield "127.0.0.1", port, mailbox
    controller.stop()


MAILING_LIST = "mlforsystems@googlegroups.com"


@pytest.fixture
def mail_env(settings, smtp_server, monkeypatch) -> Mailbox:
    """The command line configured for the test's knowledge, data and SMTP server; returns the mailbox."""
    host, port, mailbox = smtp_server
    for name, value in {"BOT_DATA_DIR": settings.bot_data_dir, "KNOWLEDGE_DIR": settings.knowledge_dir,
                        "SMTP_HOST": host, "SMTP_PORT": port, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD,
                        "MAIL_FROM": "bot@mlforsystems.org", "MAILING_LIST": MAILING_LIST}.items():
        monkeypatch.setenv(name, str(value))
    return mailbox


class TricklingSMTP:
    """An SMTP server on 127.0.0.1 that sends its replies one byte at a time, forever.

    Every byte comes well within any socket timeout, so only an overall deadline ends a conversation.
    `none`: the greeting never ends (endless "220-" lines). `starttls`: greeting and EHLO come at once,
    then the TLS handshake trickles (a record header announcing 16 KB, then zeros). `ssl`: the
    handshake trickles from the first byte.
    """

    def __init__(self, security: str, interval: float = 0.05) -> None:
        self.security, self.interval = security, interval
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.opened = self.closed = 0
        self.trickled: list[int] = []  # bytes sent one at a time, by connection
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # stopped
            with self.lock:
                self.opened += 1
                self.trickled.append(0)
                number = len(self.trickled) - 1
            threading.Thread(target=self._serve, args=(connection, number), daemon=True).start()

    def _serve(self, connection: socket.socket, number: int) -> None:
        try:
            with connection, connection.makefile("rb") as commands:
                if self.security == "starttls":
                    connection.sendall(b"220 trickle.example ESMTP\r\n")
                    commands.readline()  # EHLO
                    connection.sendall(b"250-trickle.example\r\n250 STARTTLS\r\n")
                    commands.readline()  # STARTTLS
                    connection.sendall(b"220 go ahead\r\n")
                endless = (itertools.cycle(b"220-still thinking\r\n") if self.security == "none"
                           else itertools.chain(b"\x16\x03\x03\x40\x00", itertools.repeat(0)))
                for byte in endless:
                    if self.stopping.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
                    with self.lock:
                        self.trickled[number] += 1
        except OSError:
            pass  # the client hung up
        finally:
            with self.lock:
                self.closed += 1

    def trickling(self, connection: int, enough: int = 5) -> bool:
        """Whether the `connection`-th conversation (from 0) is well into its endless trickle."""
        with self.lock:
            return len(self.trickled) > connection and self.trickled[connection] >= enough

    def clock(self) -> TimerFactory:
        """A clock for the client's SMTP_DEADLINE: the n-th conversation's time is up once the server has
        trickled into it for a while. The deadline is reached by that condition, however busy the machine."""
        made = itertools.count()

        def timer(seconds: float, expire: Callable[[], None]) -> Timer:
            return ConditionTimer(functools.partial(self.trickling, next(made)), expire)

        return timer

    def wait_all_closed(self, timeout: float = 30) -> int:
        """How many connections there were, once the clients closed every one of them."""
        def all_closed() -> int:
            with self.lock:
                return self.opened if self.opened and self.closed == self.opened else 0

        return wait_until(all_closed, timeout, what="every connection closed")

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone would not
        self.listener.close()


class ConditionTimer:
    """A timer whose time is up when `condition` holds, not after some seconds."""

    def __init__(self, condition: Callable[[], bool], action: Callable[[], None]) -> None:
        self.condition, self.action = condition, action
        self.cancelled = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.cancelled.wait(0.01):
            if self.condition():
                self.action()
                return

    def cancel(self) -> None:
        self.cancelled.set()


@contextmanager
def trickling_smtp(security: str) -> Iterator[TricklingSMTP]:
    server = TricklingSMTP(security)
    try:
        yield server
    finally:
        server.stop()
