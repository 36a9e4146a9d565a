"""Mail the bot must never answer (RFC 3834): automatic replies, bounces, list traffic, and its own mail.

Each check reads only headers and the envelope; the first that matches names the reason the mail is ignored.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr

from bot.deliveries.letter import LOOP_HEADER

BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def refusal(message: EmailMessage, envelope_sender: str, own_address: str = "") -> str | None:
    """Why `message` (sent from `envelope_sender`, "" for the null sender <>) must not be answered, or None.

    `own_address` is the bot's MAIL_FROM (`Name <addr>` or `addr`): mail from it is the bot's own.
    """
    if message.get(LOOP_HEADER) is not None:
        return f"our own mail ({LOOP_HEADER})"
    own = parseaddr(own_address)[1].lower()
    if own and own in {envelope_sender.lower(), parseaddr(_value(message, "From"))[1].lower()}:
        return "our own mail (From is MAIL_FROM)"
    auto = _value(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if not envelope_sender.strip("<> "):
        return "bounce (null sender <>)"
    for who in (envelope_sender, parseaddr(_value(message, "From"))[1]):
        if who.split("@")[0].lower() in BOUNCE_SENDERS:
            return f"bounce (from {who})"
    if message.get_content_type() == "multipart/report":
        return "bounce (multipart/report)"
    if message.get("List-Id") is not None:
        return "list mail (List-Id)"
    precedence = _value(message, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"list mail (Precedence: {precedence})"
    return None


def _value(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "")).strip()
    except (ValueError, LookupError, IndexError, AttributeError):  # a hostile header is still a header
        return str(message.get_all(name, failobj=[""])[0]).strip()
