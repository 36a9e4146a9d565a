"""Outbox messages to the mailing list: SMTP (certificates verified), or .eml files by default.

Every email is multipart/alternative (text and HTML), with a Message-ID derived from the outbox key,
so a retry resends the same message and list archives and readers can de-duplicate it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from bot.config import Settings
from bot.deliveries import PermanentError, TransientError
from bot.storage.models import OutboxMessage, utcnow

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
log = logging.getLogger(__name__)


def address(text: str) -> Address:
    """An address built with email.headerregistry; CR/LF and other injection attempts are refused."""
    text = text.strip()
    if any(c in text for c in "\r\n<>,;\"") or text.count("@") != 1:
        raise PermanentError(f"not a single plain email address: {text!r}")
    username, domain = text.split("@")
    return Address(username=username, domain=domain)


def safe_header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise PermanentError(f"line break in a header value: {value[:60]!r}")
    return value


def message_id(key: str, sender: Address) -> str:
    """The same key always gives the same Message-ID: a retried send is the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{sender.domain}>"


def compose(row: OutboxMessage, settings: Settings, reply_to: str | None) -> EmailMessage:
    """The email for an outbox row whose body is {"subject", "text", "html"} (JSON)."""
    content = json.loads(row.body)
    sender = address(settings.mail_from)
    recipients = [address(a) for a in settings.mailing_list.split(",") if a.strip()]
    if not recipients:
        raise PermanentError("MAILING_LIST is not set: nowhere to send")
    mail = EmailMessage()
    mail["Subject"] = safe_header(content["subject"])
    mail["From"] = sender
    mail["To"] = recipients
    if reply_to := (settings.mail_reply_to or reply_to):
        mail["Reply-To"] = address(reply_to)
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id(f"{row.key}→{row.destination}", sender)
    if content.get("references"):
        mail["In-Reply-To"] = mail["References"] = safe_header(content["references"])
    first = recipients[0]
    mail["List-Id"] = f"<{first.username}.{first.domain}>"
    unsubscribe = [f"<mailto:{first.username}+unsubscribe@{first.domain}?subject=unsubscribe>"]
    if settings.list_unsubscribe_url:
        unsubscribe.append(f"<{safe_header(settings.list_unsubscribe_url)}>")
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["List-Unsubscribe"] = ", ".join(unsubscribe)
    mail.set_content(content["text"])
    mail.add_alternative(content["html"], subtype="html")
    return mail


class EmailDelivery:
    def __init__(self, settings: Settings, reply_to: str | None = None) -> None:
        self.settings = settings
        self.reply_to = reply_to  # the edition's contact

    @property
    def folder(self) -> Path:
        return self.settings.bot_data_dir / "outbox" / "mail"

    def send(self, message: OutboxMessage) -> str | None:
        mail = compose(message, self.settings, self.reply_to)
        if not self.settings.smtp_host:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{message.id:06d}-{message.kind}.eml"
            path.write_bytes(bytes(mail))
            log.warning("mail written to %s (set SMTP_HOST to send it)", path)
            return str(path)
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as error:
            kind = TransientError if 400 <= error.smtp_code < 500 else PermanentError
            raise kind(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
        except ssl.SSLError as error:  # a certificate that does not verify is a configuration problem
            raise PermanentError(f"SMTP TLS: {error}") from error
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
            raise TransientError(f"SMTP unreachable: {error}") from error
        except smtplib.SMTPException as error:  # e.g. all recipients refused, or no AUTH offered
            raise PermanentError(f"SMTP: {error}") from error
        return mail["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        port = s.smtp_port or DEFAULT_PORTS[s.smtp_security]
        context = ssl.create_default_context()  # certificates and host names verified
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, port, context=context, timeout=30)
        else:
            smtp = smtplib.SMTP(s.smtp_host, port, timeout=30)
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        return smtp

    def already_sent(self, message: OutboxMessage) -> str | None:
        return None  # a list cannot be asked; the stable Message-ID lets readers' clients de-duplicate
