"""The bot's mail port: the MTA hands over mail for the workshop's address over LMTP (or SMTP), as it does to
Mailman, and each mail is stored before it is acknowledged.

A mail is 250 only once it is in the database: an MTA that hears 250 deletes its copy, so a mail that could
not be stored is answered 451 and the MTA tries again later. Mail larger than INBOUND_MAX_BYTES is refused
with 552 (in MAIL FROM when the client declares its SIZE, else at the end of DATA). What is to be answered
goes to `on_mail` on a worker thread, after the reply: answering takes seconds, and the session must not wait.
Over LMTP, DATA has one reply per recipient (RFC 2033), all the same: the mail is stored once, whoever it was for.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.config import Settings
from bot.inbound.handover import Handover
from bot.inbound.intake import Intake, failure
from bot.inbound.mail import InboundMail

log = logging.getLogger("bot.inbound")
STORED = "250 2.0.0 Stored"
NOT_STORED = "451 4.3.0 Could not store the mail, try again later"


class MailListener:
    """An LMTP or SMTP server on INBOUND_HOST:INBOUND_PORT (port 0: any free port, see `port`), in a thread."""

    def __init__(self, settings: Settings, intake: Intake, on_mail: Callable[[InboundMail], None],
                 workers: int = 2) -> None:
        if settings.inbound_port is None:
            raise ValueError("INBOUND_PORT is not set: there is no mail listener")
        self.intake = intake
        self.lmtp = settings.inbound_protocol == "lmtp"
        self._storing = ThreadPoolExecutor(max_workers=4, thread_name_prefix="inbound-store")
        self._handover = Handover(on_mail, workers)
        self._controller = _Controller(self, self.lmtp, hostname=settings.inbound_host, port=settings.inbound_port,
                                       data_size_limit=settings.inbound_max_bytes, server_hostname=socket.gethostname(),
                                       ready_timeout=10)

    @property
    def port(self) -> int:
        """The port the listener is bound to (the one chosen when INBOUND_PORT is 0)."""
        return self._controller.port

    def start(self) -> None:
        # aiosmtpd logs every line of DATA at DEBUG: the mail is private, and a debugging log must not hold it.
        session_log = logging.getLogger("mail.log")
        session_log.setLevel(max(session_log.getEffectiveLevel(), logging.INFO))
        self._controller.start()
        log.info("receiving mail over %s on %s:%d", "LMTP" if self.lmtp else "SMTP", self._controller.hostname,
                 self.port)

    def stop(self) -> None:
        """Stop listening, then wait for the mails being answered."""
        self._controller.stop(no_assert=True)
        self._storing.shutdown(wait=True)
        self._handover.close()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            mail = await asyncio.get_running_loop().run_in_executor(
                self._storing, self.intake.receive, raw, envelope.mail_from or "")
        except Exception as error:
            log.error("a mail from %s could not be stored (%s): the MTA is told to retry", envelope.mail_from or "<>",
                      failure(error))
            return self._reply(NOT_STORED, envelope)
        if mail is not None:
            self._handover.submit(mail)
        return self._reply(STORED, envelope)

    def _reply(self, status: str, envelope: Envelope) -> str:
        """One line, or over LMTP one per recipient."""
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos))) if self.lmtp else status


class _Controller(Controller):
    """aiosmtpd's controller, speaking LMTP or SMTP, and able to bind port 0."""

    def __init__(self, handler: MailListener, lmtp: bool, **kwargs: object) -> None:
        super().__init__(handler, **kwargs)  # type: ignore[arg-type]
        self.lmtp = lmtp

    def factory(self) -> SMTP:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):  # the port the system chose
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
