"""A real SMTP server for the suite: aiosmtpd on 127.0.0.1, STARTTLS with a test CA the client trusts,
AUTH required, and 4xx / 5xx answers on demand."""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
import time
from dataclasses import dataclass, field

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .slack_harness import free_port

USER, PASSWORD = "bot", "s3cret"


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)  # replies for the next DATA commands, e.g. "451 later"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")


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
