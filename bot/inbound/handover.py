"""Handing a stored mail to the answering side on worker threads: answering takes seconds (retrieval, a
model), and whatever received the mail (an SMTP session, a mailbox poll) goes on meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.inbound.mail import InboundMail

log = logging.getLogger("bot.inbound")


class Handover:
    def __init__(self, on_mail: Callable[[InboundMail], None], workers: int = 2) -> None:
        self.on_mail = on_mail
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbound-answer")

    def submit(self, mail: InboundMail) -> None:
        self._workers.submit(self._hand_on, mail)

    def close(self) -> None:
        """Wait for the mails handed on already."""
        self._workers.shutdown(wait=True)

    def _hand_on(self, mail: InboundMail) -> None:
        try:
            self.on_mail(mail)
        except Exception:  # the mail is stored: organizers still see it, and the next mail is answered as usual
            log.exception("mail %s (row %d) was stored but not answered", mail.message_id, mail.id)
