"""A question that arrived by email, as the receiving side hands it to the answering side.

The receiver (SMTP/LMTP, or an IMAP poll) parses the message, drops what must not be answered, finds
the question in the body and stores the mail; what answers it needs only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.storage.models import InboundStatus


@dataclass(frozen=True)
class InboundMail:
    id: int  # the stored mail's row id
    message_id: str  # its Message-ID, angle brackets included: what a reply's In-Reply-To names
    sender: str  # the address to reply to (Reply-To, else From), e.g. "ada@example.org"
    sender_name: str | None  # the display name, if the mail gave one
    subject: str  # as sent, decoded (a reply adds "Re: " unless it is there)
    references: tuple[str, ...]  # the mail's References (else its In-Reply-To): a reply's References extend them
    question: str  # the new text of the body: quoted replies, signatures and HTML removed
    context: tuple[str, ...] = field(default=())  # earlier messages of the thread, oldest first
    received_at: datetime | None = None  # UTC
    # QUESTION; EMPTY (`question` is "": ask what the question is); UNREADABLE (part of it could not be read,
    # `question` is what could: organizers see the stored mail). Ignored mail is never handed on.
    status: InboundStatus = InboundStatus.QUESTION
    # Whether a trusted receiving server authenticated the From domain (bot.inbound.authentication): only
    # then may an answer go out without an organizer.
    authenticated: bool = False
