"""Outbox messages to the mailing list: SMTP (certificates verified), or .eml files by default.

Every email is multipart/alternative (text and HTML), or multipart/mixed with that alternative first when
it carries attachments (a deadline's calendar event), with a Message-ID derived from the outbox key,
so a retry resends the same message and list archives and readers can de-duplicate it. One message
may take SMTP_DEADLINE seconds in all; a server slower than that is a transient failure.
"""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from bot.text.addresses import LIST_URL_SCHEMES, list_url, mailbox, mailboxes
from bot.config import Settings
from bot.deliveries import Destination, PermanentError, TransientError
from bot.deliveries.attachments import attachments_of
from bot.deliveries.dkim_signing import DkimSigner
from bot.deliveries.list_headers import list_headers
from bot.deliveries.layout import letterhead
from bot.deliveries.letter import configured, fill, letter, safe_header
from bot.deliveries.reply import compose_reply
from bot.ops.private import private_folder, write_private
from bot.storage.models import OutboxMessage

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SOCKET_TIMEOUT = 30.0  # seconds for each socket operation; SMTP_DEADLINE bounds them all together
log = logging.getLogger(__name__)

AUTOMATIC_KINDS = frozenset({"digest", "deadline_reminder", "program_day", "session_reminder"})  # not by a person


def _list_url(settings: Settings, name: str) -> str | None:
    value = getattr(settings, name)
    return configured(list_url, name.upper(), value, LIST_URL_SCHEMES[name]) if value else None


def compose(row: OutboxMessage, settings: Settings, reply_to: str | None,
            list_name: str | None = None) -> EmailMessage:
    """The email for an outbox row whose body is {"subject", "text", "html"} (JSON), in the common
    layout: the workshop's name (`list_name`, also List-Id's description) heads it, and the edition's
    contact (`reply_to`; MAIL_REPLY_TO wins for replies) is named in its footer."""
    content = json.loads(row.body)
    attachments = attachments_of(content)
    recipients = configured(mailboxes, "MAILING_LIST", settings.mailing_list)
    if not recipients:
        raise PermanentError("MAILING_LIST is not set: nowhere to send")
    mail = letter(row, settings, recipients, "mail to the list needs a sender address")
    if settings.mail_reply_to:
        mail["Reply-To"] = configured(mailbox, "MAIL_REPLY_TO", settings.mail_reply_to)
    elif reply_to:
        mail["Reply-To"] = configured(mailbox, "the edition's contact", reply_to)
    if content.get("references"):
        mail["In-Reply-To"] = mail["References"] = safe_header(content["references"])
    if row.kind in AUTOMATIC_KINDS:
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the list
    for name, value in list_headers(recipients[0], list_name,
                                    unsubscribe_url=_list_url(settings, "list_unsubscribe_url"),
                                    help_url=_list_url(settings, "list_help_url"),
                                    archive_url=_list_url(settings, "list_archive_url")).items():
        mail[name] = value
    fill(mail, content, letterhead(settings, list_name, reply_to), settings)
    for attachment in attachments:  # the message becomes multipart/mixed, the alternative its first part
        maintype, subtype = attachment.content_type.split("/")
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename,
                            params={"charset": "utf-8"} if attachment.is_text else None)
    return mail


def wire_bytes(mail: EmailMessage, signer: DkimSigner | None) -> bytes:
    """The message as it is sent and filed: CRLF line ends, DKIM-signed when configured."""
    raw = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
    return signer.sign(raw) if signer else raw


class Timer(Protocol):
    def start(self) -> None: ...
    def cancel(self) -> None: ...


TimerFactory = Callable[[float, Callable[[], None]], Timer]


def daemon_timer(seconds: float, action: Callable[[], None]) -> Timer:
    """Calls `action` after `seconds` on a thread of its own, which never holds the process open."""
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    return timer


class Deadline:
    """Shuts the connection down when the time is up, whatever smtplib waits in.

    A socket timeout bounds each operation, so a server that sends a byte every few seconds never
    trips it. Shutting the socket down wakes any read or write on it, a TLS handshake's included.
    The clock is `timer`'s: a test ends the conversation on a condition instead of after some time.
    """

    def __init__(self, seconds: float, timer: TimerFactory = daemon_timer) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = timer(seconds, self._expire)

    def watch(self, sock: socket.socket) -> None:
        """Follow this connection (a duplicate descriptor: TLS later wraps `sock` into another object)."""
        with self._lock:
            self._connections.append(sock.dup())
            if self.expired:
                self._shut(self._connections[-1])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                self._shut(connection)

    @staticmethod
    def _shut(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the other end may have closed it already
            connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


class _WatchedSMTP(smtplib.SMTP):
    """smtplib's client, its connection handed to a Deadline as soon as it exists."""

    def __init__(self, deadline: Deadline, host: str, port: int, **options: Any) -> None:
        self.deadline = deadline
        super().__init__(host, port, **options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]  # private hook, not in typeshed
        self.deadline.watch(sock)
        return sock


class _WatchedSMTPSSL(smtplib.SMTP_SSL, _WatchedSMTP):
    """SMTP_SSL wraps the socket `_WatchedSMTP` made: the deadline also covers the TLS handshake."""

    def __init__(self, deadline: Deadline, host: str, port: int, **options: Any) -> None:
        self.deadline = deadline
        smtplib.SMTP_SSL.__init__(self, host, port, **options)


def failure(error: Exception, deadline: Deadline) -> TransientError | PermanentError:
    """What a failed SMTP conversation means: worth trying again later, or not."""
    if deadline.expired:
        return TransientError(f"SMTP did not finish within SMTP_DEADLINE ({deadline.seconds:g} s)")
    if isinstance(error, smtplib.SMTPResponseException):
        kind = TransientError if 400 <= error.smtp_code < 500 else PermanentError
        return kind(f"SMTP {error.smtp_code}: {error.smtp_error!r}")
    if isinstance(error, ssl.SSLError):  # a certificate that does not verify is a configuration problem
        return PermanentError(f"SMTP TLS: {error}")
    if isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException):
        return TransientError(f"SMTP unreachable: {error}")  # SMTPException is an OSError: asked for first
    return PermanentError(f"SMTP: {error}")  # e.g. all recipients refused, or no AUTH offered


class EmailDelivery:
    def __init__(self, settings: Settings, reply_to: str | None = None, list_name: str | None = None,
                 timer: TimerFactory = daemon_timer) -> None:
        self.settings = settings
        self.reply_to = reply_to  # the edition's contact
        self.list_name = list_name  # the workshop's name
        self.timer = timer  # what ends a conversation after SMTP_DEADLINE

    @property
    def folder(self) -> Path:
        return self.settings.bot_data_dir / "outbox" / "mail"

    @cached_property
    def signer(self) -> DkimSigner | None:
        return DkimSigner.from_settings(self.settings)

    def compose(self, message: OutboxMessage) -> EmailMessage:
        """To the list, or, for a row addressed to one person (a reply), to that person."""
        if Destination.parse(message.destination).channel:

            return compose_reply(message, self.settings, self.reply_to, self.list_name)
        return compose(message, self.settings, self.reply_to, self.list_name)

    def send(self, message: OutboxMessage) -> str | None:
        mail = self.compose(message)
        raw = wire_bytes(mail, self.signer)
        host = self.settings.smtp_host
        if not host:
            path = write_private(private_folder(self.folder) / f"{message.id:06d}-{message.kind}.eml", raw)
            log.warning("mail written to %s (set SMTP_HOST to send it)", path)
            return str(path)
        envelope_from = mail["From"].addresses[0].addr_spec
        recipients = [a.addr_spec for a in mail["To"].addresses]
        deadline = Deadline(self.settings.smtp_deadline, self.timer)
        try:
            with deadline, self._connect(deadline, host) as smtp:
                smtp.sendmail(envelope_from, recipients, raw)
        except (smtplib.SMTPException, OSError) as error:
            raise failure(error, deadline) from error
        return mail["Message-ID"]

    def _connect(self, deadline: Deadline, host: str) -> smtplib.SMTP:
        s = self.settings
        port = s.smtp_port or DEFAULT_PORTS[s.smtp_security]
        context = ssl.create_default_context()  # certificates and host names verified
        timeout = min(SOCKET_TIMEOUT, s.smtp_deadline)
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = _WatchedSMTPSSL(deadline, host, port, context=context, timeout=timeout)
        else:
            smtp = _WatchedSMTP(deadline, host, port, timeout=timeout)
        try:
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def already_sent(self, message: OutboxMessage) -> str | None:
        return None  # a list cannot be asked; the stable Message-ID lets readers' clients de-duplicate
