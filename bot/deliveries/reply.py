"""Email to one person rather than to the list: a reply to a question that came by email, or a question
forwarded to the workshop's contact.

The row's destination names the address (`email:ada@example.org`); its body is {"subject", "text", "html"}
with the threading headers (`in_reply_to`, `references`), an optional `reply_to` and `auto_submitted`
(RFC 3834: "auto-replied" for the bot's own answer, none for one an organizer approved). No list headers:
the reader wrote to us, they did not subscribe.
"""

from __future__ import annotations

import json
from email.message import EmailMessage

from bot.text.addresses import mailbox
from bot.config import Settings
from bot.deliveries import Destination, PermanentError
from bot.deliveries.letter import configured, fill, letter, safe_header
from bot.deliveries.layout import Letterhead
from bot.storage.models import OutboxMessage

AUTO_SUBMITTED = frozenset({"auto-replied", "auto-generated"})


def compose_reply(row: OutboxMessage, settings: Settings, contact: str | None,
                  workshop: str | None = None) -> EmailMessage:
    """The email for a row addressed to one person, in the common layout, its footer naming `contact`."""
    content = json.loads(row.body)
    address = Destination.parse(row.destination).channel
    if not address:
        raise PermanentError(f"no address in '{row.destination}'")
    mail = letter(row, settings, configured(mailbox, "the recipient", address), "a reply needs a sender address")
    if content.get("reply_to"):  # a forward: replying answers the asker. A reply to the asker has none, so a
        mail["Reply-To"] = configured(mailbox, "Reply-To", content["reply_to"])  # follow-up comes back to us
    if content.get("in_reply_to"):
        mail["In-Reply-To"] = safe_header(content["in_reply_to"])
    if content.get("references"):
        mail["References"] = safe_header(content["references"])
    if content.get("auto_submitted") in AUTO_SUBMITTED:
        mail["Auto-Submitted"] = content["auto_submitted"]
    fill(mail, content, Letterhead(workshop or "The workshop", contact, None, None), settings)
    return mail
