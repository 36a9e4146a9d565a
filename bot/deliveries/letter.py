"""What every email the bot sends shares, whether to the list or to one person: the sender, a Message-ID a
retry repeats, the loop header, headers checked for line breaks, and the text and HTML parts in the
common layout."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, TypeVar

from bot.config import Settings
from bot.deliveries import PermanentError
from bot.deliveries.layout import Letterhead, framed
from bot.deliveries.list_headers import POLICY
from bot.storage.models import OutboxMessage, utcnow
from bot.text.addresses import AddressError, mailbox

T = TypeVar("T")
LOOP_HEADER = "X-Workshop-Bot-Loop"  # on everything the bot sends: its own mail, received back, is never answered


def configured(parse: Callable[..., T], variable: str, value: str, *args: Any) -> T:
    """A setting checked again where the mail is built: settings made in code skip the checks at load."""
    try:
        return parse(variable, value, *args)
    except AddressError as error:
        raise PermanentError(str(error)) from error


def safe_header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise PermanentError(f"line break in a header value: {value[:60]!r}")
    return value


def message_id(key: str, sender: Address) -> str:
    """The same key always gives the same Message-ID: a retried send is the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{sender.domain}>"


def letter(row: OutboxMessage, settings: Settings, to: Address | list[Address], needs_sender: str) -> EmailMessage:
    """What every mail the bot sends starts with: from MAIL_FROM (`needs_sender` says why it must be set),
    a Message-ID that a retry repeats, and the loop header, so the bot never answers its own mail."""
    if not settings.mail_from:
        raise PermanentError(f"MAIL_FROM is not set: {needs_sender}")
    sender = configured(mailbox, "MAIL_FROM", settings.mail_from)
    mail = EmailMessage(policy=POLICY)
    mail["Subject"] = safe_header(json.loads(row.body)["subject"])
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id(f"{row.key}→{row.destination}", sender)
    mail[LOOP_HEADER] = sender.addr_spec
    return mail


def fill(mail: EmailMessage, content: dict, head: Letterhead, settings: Settings) -> None:
    """The text and HTML parts, in the common layout under `head`."""
    text, html = framed(content["subject"], content["text"], content["html"], head, settings)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")


