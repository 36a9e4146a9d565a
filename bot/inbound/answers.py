"""Answering questions that came by email, once each, through the outbox.

EMAIL_ANSWERS=draft (the default): the assistant's answer waits for an organizer in ORGANIZERS_CHANNEL
(Send, Edit, Ignore). auto: an answer goes out at once, marked Auto-Submitted, to a sender the receiving
server authenticated (MAIL_AUTHSERV_IDS); what the assistant declines, and what anyone else asks, is
drafted for the organizers, or, without Slack, forwarded to the edition's contact. Automatic notes (no
question found, the mail unreadable) go to authenticated senders only.

A draft is the reply's own outbox row, held as `draft` (never claimed by a sender): the first decision
makes it pending (or dismissed) in one conditional UPDATE with its audit entry, so approving and
sending are the same exactly-once path as every other message, a restart included. Its body carries,
beside the rendered email, what an edit needs to render it again (`draft`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.assistant.answer import Answer, Source
from bot.assistant.question import QuestionError
from bot.config import Settings
from bot.deliveries import Destination
from bot.inbound.mail import InboundMail
from bot.outbox.keys import email_draft_key, mail_digest, mail_key
from bot.outbox.render import email_parts
from bot.parts import Parts
from bot.storage.models import InboundStatus, OutboxMessage, OutboxStatus
from bot.templates import render

log = logging.getLogger(__name__)

KIND = "email_answer"  # the reply's outbox kind
DRAFT_KIND = "email_draft"  # the organizers' notice of a drafted reply
FORWARD_KIND = "email_forward"
UNREADABLE_KIND = "email_unreadable"  # the organizers' notice of a mail that could not be read
VIA = "email"
REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)


def reply_subject(subject: str) -> str:
    """`Re: <subject>`, once: a reply to a reply keeps its single prefix."""
    subject = " ".join(subject.split())
    return subject if REPLY_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def references(mail: InboundMail) -> str:
    """RFC 5322: the parent's References (else In-Reply-To), then its own Message-ID."""
    ids = [ref for ref in mail.references if ref != mail.message_id]
    return " ".join([*ids, mail.message_id])


def one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Decision:
    """What an organizer's click did: the reply row, and whether it was sent, edited and sent, or ignored."""

    row: OutboxMessage
    status: str  # sent, edited, ignored
    sender: str  # who asked (the reply's address)
    by: str  # the organizer who decided
    answer: str  # the answer as sent


class EmailAnswers:
    def __init__(self, settings: Settings, parts: Parts) -> None:
        self.settings, self.parts = settings, parts

    @property
    def has_slack(self) -> bool:
        return bool(self.settings.slack_bot_token and self.settings.organizers_channel)

    def contact(self, edition: str | None = None) -> str | None:
        editions = self.parts.registry.editions
        chosen = (editions.get(edition) if edition else None) or editions.default
        return chosen.contact if chosen else None

    # --- answering --------------------------------------------------------------------------------

    def handle(self, mail: InboundMail) -> None:
        """The entry point for whoever receives mail: answer, draft, ask again or report `mail`, once."""
        if mail.status == InboundStatus.EMPTY:
            self.ask_again(mail)
        elif mail.status == InboundStatus.UNREADABLE:
            self.unreadable(mail)
        else:
            self.answer(mail)

    def answer(self, mail: InboundMail) -> OutboxMessage | None:
        """Answer `mail` (or draft, or forward it); the row queued for it, None if it was handled before.

        Recorded like a DM (private: organizers' stats and the FAQ loop, never the digest); a mail handed
        over twice is answered once, by its Message-ID."""
        question_id = self._record(mail, one_line(mail.question))
        if question_id is None and (earlier := self._queued(mail)):
            for row in earlier:  # a restart between drafting and posting the draft: posted now
                if row.status == OutboxStatus.DRAFT and self.has_slack:
                    self._notify(row)
            return None  # a restart between recording and queueing leaves it recorded only: answered now
        try:
            answer: Answer | None = self.parts.assistant.ask(mail.question, history=list(mail.context))
        except QuestionError as error:  # too long, or an unknown edition: a person should look at it
            log.info("email %s not answered: %s", mail.message_id, error)
            answer = None
        if question_id is not None:
            self.parts.db.update_question(question_id, answer=answer.text if answer else None,
                                          answer_json=answer.model_dump_json() if answer else None,
                                          answered=bool(answer and answer.answered),
                                          edition=answer.edition if answer else None,
                                          confidence=answer.confidence if answer else None)
        if self.settings.email_answers == "auto" and answer is not None and answer.answered and mail.authenticated:
            return self._queue_reply(mail, answer.text, answer.sources, answer.edition, auto=True)
        if self.has_slack:
            return self._draft(mail, answer)
        return self._forward(mail, answer)

    def _record(self, mail: InboundMail, text: str) -> int | None:
        """Recorded like a DM (private), once per Message-ID: the new row's id, None if it was recorded before."""
        return self.parts.db.record_question(via=VIA, channel_id=VIA, message_ts=mail_digest(mail.message_id)[:32],
                                             text=text, public=False)

    def handled(self, mail: InboundMail) -> bool:
        """Whether `mail` has been answered, drafted or forwarded already (by this process or another)."""
        return bool(self._queued(mail))

    def _queued(self, mail: InboundMail) -> list[OutboxMessage]:
        """What was queued for `mail` before: its reply (sent, or a draft), or its forward."""
        return [row for kind in ("email-answer", "email-forward")
                for row in self.parts.outbox.of_key(mail_key(kind, mail.message_id))]

    def ask_again(self, mail: InboundMail) -> OutboxMessage | None:
        """A mail in which the receiver found no question: a polite reply asking for it (automatic), to
        an authenticated sender only: never a reply to whoever a forged From names."""
        if not mail.authenticated:
            log.info("mail %s from %s has no question and is not authenticated: not answered", mail.message_id,
                     mail.sender)
            return None
        body = self._reply_body(mail, "ask_again", auto=True, contact=self.contact())
        return self._add_and_send(mail_key("email-answer", mail.message_id), mail.sender, KIND, None, body)

    def unreadable(self, mail: InboundMail) -> OutboxMessage | None:
        """A mail that could not be read in full: the sender is told so, and that the organizers have it;
        the organizers get what could be read (in Slack, else by email to the contact)."""
        self._record(mail, one_line(mail.question) or "(unreadable email)")
        reply = None
        if mail.authenticated:  # the sender is told only when it is the sender
            body = self._reply_body(mail, "unreadable", auto=True, contact=self.contact())
            reply = self._add_and_send(mail_key("email-answer", mail.message_id), mail.sender, KIND, None, body)
        if self.has_slack:
            notice = render(self.settings.prompts_dir, "slack/email_unreadable.md.j2", sender=mail.sender,
                            subject=mail.subject, question=mail.question, stored=mail.id)
            self._add_and_send(mail_key("email-unreadable", mail.message_id), "", UNREADABLE_KIND, None, {},
                               notice=notice)
        else:
            self._forward(mail, None, unreadable=True)
        return reply

    def _reply_body(self, mail: InboundMail, template: str, *, auto: bool, **context: object) -> dict:
        parts = email_parts(self.settings.prompts_dir, f"email_answers/{template}",
                            subject=reply_subject(mail.subject), reader=mail.sender_name, **context)
        return {**parts, "in_reply_to": mail.message_id, "references": references(mail),
                "auto_submitted": "auto-replied" if auto else None}

    def _answer_body(self, mail: InboundMail, text: str, sources: Sequence[Source], edition: str | None, *,
                     auto: bool, declined: bool = False) -> dict:
        sources = list(sources)
        body = self._reply_body(mail, "answer", auto=auto, answer=text, sources=sources, question=mail.question,
                                contact=self.contact(edition))
        body["draft"] = {"subject": mail.subject, "name": mail.sender_name, "sender": mail.sender,
                         "question": one_line(mail.question), "answer": text, "edition": edition, "declined": declined,
                         "sources": [s.model_dump() for s in sources]}
        return body

    def _queue_reply(self, mail: InboundMail, text: str, sources: Sequence[Source], edition: str | None, *,
                     auto: bool) -> OutboxMessage | None:
        body = self._answer_body(mail, text, sources, edition, auto=auto)
        return self._add_and_send(mail_key("email-answer", mail.message_id), mail.sender, KIND, edition, body)

    def _add_and_send(self, key: str, address: str, kind: str, edition: str | None, body: dict,
                      status: OutboxStatus = OutboxStatus.PENDING, notice: str | None = None) -> OutboxMessage | None:
        """Queue a row once by its key, and send it now unless it waits as a draft. With `notice`, the row is
        that Slack message to the organizers' channel rather than an email to `address`."""
        destination = (Destination.slack(self.settings.organizers_channel) if notice is not None
                       else Destination.mailbox(address))
        row = self.parts.outbox.add(key=key, destination=destination, kind=kind, edition=edition,
                                    due_at=datetime.now(UTC), body=notice if notice is not None else json.dumps(body),
                                    status=status)
        if row is not None and status == OutboxStatus.PENDING:
            self.parts.sender.send(row.id)
        return row

    def _draft(self, mail: InboundMail, answer: Answer | None) -> OutboxMessage | None:
        """The reply held as a draft, and the organizers' notice with its buttons (both queued once)."""
        edition = answer.edition if answer else None
        body = self._answer_body(mail, answer.text if answer else "", answer.sources if answer else [], edition,
                                 auto=False, declined=not (answer and answer.answered))
        reply = self._add_and_send(mail_key("email-answer", mail.message_id), mail.sender, KIND, edition, body,
                                   status=OutboxStatus.DRAFT)
        if reply is None:
            return None
        self._notify(reply)
        return reply

    def _notify(self, reply: OutboxMessage) -> None:
        """The organizers' notice of a drafted reply, with its buttons: queued once (the reply's row id is its key)."""
        draft = json.loads(reply.body)["draft"]
        notice = render(self.settings.prompts_dir, "slack/email_draft.md.j2", sender=draft["sender"],
                        subject=draft["subject"], question=draft["question"], answer=draft["answer"],
                        declined=draft["declined"])
        self._add_and_send(email_draft_key(reply.id), "", DRAFT_KIND, reply.edition, {}, notice=notice)

    def _forward(self, mail: InboundMail, answer: Answer | None, *, unreadable: bool = False) -> OutboxMessage | None:
        """No Slack to draft it in: the question goes to the edition's contact, replying to the asker."""
        edition = answer.edition if answer else None
        contact = self.contact(edition)
        if not contact:
            log.error("email %s from %s: not answered, and no contact to forward it to (set the edition's "
                      "contact, or Slack's ORGANIZERS_CHANNEL)", mail.message_id, mail.sender)
            return None
        parts = email_parts(self.settings.prompts_dir, "email_answers/forward", subject=one_line(mail.subject),
                            original_subject=mail.subject, sender=mail.sender, reader=mail.sender_name,
                            question=mail.question, context=list(mail.context),
                            received=mail.received_at.isoformat() if mail.received_at else None,
                            answer=answer.text if answer else "", unreadable=unreadable, stored=mail.id,
                            declined=not (answer and answer.answered))
        body = {**parts, "reply_to": mail.sender, "in_reply_to": mail.message_id, "references": references(mail),
                "auto_submitted": "auto-generated"}
        return self._add_and_send(mail_key("email-forward", mail.message_id), contact, FORWARD_KIND, edition, body)

    # --- organizers' decisions --------------------------------------------------------------------

    def draft_text(self, row_id: int) -> str | None:
        """The proposed answer of a reply still waiting as a draft (what the Edit modal starts with)."""
        row = self.parts.outbox.get(row_id)
        if row is None or row.kind != KIND or row.status != OutboxStatus.DRAFT:
            return None
        return str(json.loads(row.body)["draft"]["answer"])

    def decide(self, row_id: int, by: str, send: bool, edited: str | None = None) -> Decision | None:
        """Approve (as drafted, or as `edited`) or ignore a drafted reply; None when it was already decided.
        `deliver` then sends it: whoever shows the decision can show it first.

        An approved reply is a person's: no Auto-Submitted. An edited answer becomes an FAQ entry, as an
        organizer's answer in Slack does."""
        row = self.parts.outbox.get(row_id)
        if row is None or row.kind != KIND:
            return None
        body = json.loads(row.body)
        draft = body["draft"]
        text = edited.strip() if edited is not None else draft["answer"]
        if send:
            sources = [Source(**s) for s in draft["sources"]]  # the pages stay listed under an edited answer
            parts = email_parts(self.settings.prompts_dir, "email_answers/answer", subject=reply_subject(
                draft["subject"]), reader=draft["name"], answer=text, sources=sources,
                question=draft["question"], contact=self.contact(draft["edition"]))
            body = {**body, **parts, "auto_submitted": None, "draft": {**draft, "answer": text}}
        status = "ignored" if not send else "edited" if edited is not None else "sent"
        decided = self.parts.outbox.decide(row_id, by, send, json.dumps(body) if send else None,
                                           {"decision": status, "to": draft["sender"],
                                            **({"answer": text} if send else {})})
        if decided is None:
            return None
        return Decision(decided, status, draft["sender"], by, text)

    def deliver(self, decision: Decision) -> None:
        """Send what was approved (a crash before this leaves it pending: sent at the next start), and let
        an edited answer join the FAQ."""
        if decision.status == "ignored":
            return
        if decision.status == "edited":
            draft = json.loads(decision.row.body)["draft"]
            self._learn(draft["question"], decision.answer, draft["edition"], decision.by)
        self.parts.sender.send(decision.row.id)

    def _learn(self, question: str, answer: str, edition: str | None, by: str) -> None:
        """The organizer's answer joins the FAQ, so the assistant answers the same question itself next time."""
        from bot.index.faq import index_faq

        default = self.parts.registry.editions.default
        entry = self.parts.db.add_faq(question, answer, edition or (default.id if default else None), by, None)
        index_faq(self.parts.open_store(), entry, fallback_url=self.settings.site_base_url)
