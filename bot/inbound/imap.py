"""Questions by email from a mailbox, where no MTA can deliver to the bot: every IMAP_POLL_SECONDS the unseen
mail of IMAP_FOLDER is read (needs the `imap` extra).

A mail is marked seen only once it is stored: a poll cut short (the database down, the connection lost)
leaves it unseen, and the next poll reads it again; a mail stored already is recognized by its Message-ID.
Its bytes are fetched as the server keeps them (BODY.PEEK[], which does not mark it seen), so what is stored
is the mail as it arrived. The envelope sender is the Return-Path the delivering MTA wrote (`<>` for a bounce).
"""

from __future__ import annotations

import logging
import re
import ssl
import threading
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from bot.config import Settings
from bot.inbound.handover import Handover
from bot.inbound.intake import Intake, failure
from bot.inbound.mail import InboundMail
from bot.ops.metrics import INBOUND_MAIL

log = logging.getLogger("bot.inbound")
TIMEOUT = 60  # seconds for one IMAP command


class MailboxPoller:
    def __init__(self, settings: Settings, intake: Intake, on_mail: Callable[[InboundMail], None]) -> None:
        if not (settings.imap_host and settings.imap_user and settings.imap_password):
            raise ValueError("IMAP_HOST, IMAP_USER and IMAP_PASSWORD are not set: there is no mailbox to poll")
        self.settings = settings
        self.intake = intake
        self._handover = Handover(on_mail)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="imap-poll", daemon=True)
        self._thread.start()
        log.info("reading mail from %s@%s:%d/%s every %g s", self.settings.imap_user, self.settings.imap_host,
                 self.settings.imap_port, self.settings.imap_folder, self.settings.imap_poll_seconds)

    def stop(self) -> None:
        """Stop after the mail being read, then wait for the mails being answered."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._handover.close()

    def poll(self) -> int:
        """Read the folder's unseen mail once: each stored, marked seen, and handed on. How many were read."""
        password = self.settings.imap_password.get_secret_value() if self.settings.imap_password else ""
        with self._mailbox().login(self.settings.imap_user or "", password, self.settings.imap_folder) as mailbox:
            uids = mailbox.uids(AND(seen=False))
            for uid in uids:
                if self._stopping.is_set():
                    break
                if (size := _size(mailbox, uid)) > self.settings.inbound_max_bytes:
                    self._too_large(mailbox, uid, size)
                    continue
                raw = _fetch(mailbox, uid)
                mail = self.intake.receive(raw, envelope_sender(raw))
                mailbox.flag(uid, MailMessageFlags.SEEN, True)
                if mail is not None:
                    self._handover.submit(mail)
        return len(uids)

    def _too_large(self, mailbox: BaseMailBox, uid: str, size: int) -> None:
        """As the listener refuses it with 552: not read. It stays in the mailbox, flagged for organizers,
        and seen, so that it is not read again."""
        log.warning("mail UID %s in %s is %d bytes, over INBOUND_MAX_BYTES (%d): left in the mailbox, flagged",
                    uid, self.settings.imap_folder, size, self.settings.inbound_max_bytes)
        INBOUND_MAIL.labels(outcome="too_large").inc()
        mailbox.flag(uid, [MailMessageFlags.FLAGGED, MailMessageFlags.SEEN], True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception as error:  # the server or the database away: the unseen mail waits for the next poll
                log.warning("reading mail from %s failed (%s); trying again in %g s", self.settings.imap_host,
                            failure(error), self.settings.imap_poll_seconds)
            self._stopping.wait(self.settings.imap_poll_seconds)

    def _mailbox(self) -> BaseMailBox:
        host, port = self.settings.imap_host or "", self.settings.imap_port
        if self.settings.imap_security == "none":
            return MailBoxUnencrypted(host, port, timeout=TIMEOUT)
        context = ssl.create_default_context()  # imaplib's own default does not verify the certificate
        if self.settings.imap_security == "starttls":
            return MailBoxStartTls(host, port, timeout=TIMEOUT, ssl_context=context)
        return MailBox(host, port, timeout=TIMEOUT, ssl_context=context)


def _size(mailbox: BaseMailBox, uid: str) -> int:
    """The message's size in bytes, asked before its body is fetched."""
    status, data = mailbox.client.uid("FETCH", uid, "(RFC822.SIZE)")
    for item in data if status == "OK" else ():
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (found := re.search(rb"RFC822\.SIZE (\d+)", line)):
            return int(found.group(1))
    raise RuntimeError(f"IMAP FETCH of UID {uid} returned no size ({status})")


def _fetch(mailbox: BaseMailBox, uid: str) -> bytes:
    status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data if status == "OK" else ():
        if isinstance(item, tuple) and isinstance(item[1], bytes):
            return item[1]
    raise RuntimeError(f"IMAP FETCH of UID {uid} returned no message ({status})")


def envelope_sender(raw: bytes) -> str:
    """The Return-Path the delivering MTA wrote ("" for `<>`), else the From address."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return_path = headers.get("Return-Path")
    if return_path is not None:
        return parseaddr(str(return_path))[1]
    return parseaddr(str(headers.get("From", "")))[1]
