"""Questions by email, answered: the reply as the outside world's SMTP server receives it (raw bytes), the
organizers' draft in Slack (signed requests to the real app, what was posted read from the emulator)."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest


from bot.digest import build as digest
from bot.deliveries.letter import LOOP_HEADER
from bot.inbound.answers import EmailAnswers, reply_subject
from bot.inbound.mail import InboundMail
from bot.outbox.keys import mail_key
from bot.runtime import Runtime
from bot.storage.db import Database
from bot.storage.models import AuditEntry, InboundStatus, OutboxStatus

from .conftest import make_settings
from .slack_emulator import BOT_TOKEN, block_problems
from .slack_harness import ORGANIZER, ORGANIZERS, SECRET, BotProcess, HttpBot, InProcessBot, in_process_bot
from .smtp_harness import PASSWORD, USER, Mailbox, trickling_smtp
from .test_slack_questions import buttons_of, texts_of
from .waiting import wait_until

ASKER = "ada@uni.example"
BOT = "bot@mlforsystems.org"
CONTACT = "mlforsystems@googlegroups.com"  # the editions' contact in knowledge/
SECOND_ORGANIZER = "UORG2"
ANSWERED = "Is the page limit strict?"
DECLINED = "How much is the registration fee?"
UNKNOWN = "Is there a childcare room at the venue?"  # not in the pages, and no test adds it to the FAQ


def inbound(question: str, n: int = 1, *, subject: str = "Page limit", status: InboundStatus = InboundStatus.QUESTION,
            references: tuple[str, ...] = (), context: tuple[str, ...] = (), authenticated: bool = True) -> InboundMail:
    """A mail as the receiver hands it on: by default from a sender the receiving server authenticated."""
    return InboundMail(id=n, message_id=f"<q{n}@uni.example>", sender=ASKER, sender_name="Ada Lovelace",
                       subject=subject, references=references, question=question, context=context,
                       received_at=datetime.now(UTC), status=status, authenticated=authenticated)


def mail_settings(tmp_path, store, smtp, emulator=None, **overrides):
    host, port, _ = smtp
    overrides.setdefault("database_url", f"sqlite:///{tmp_path / 'bot.db'}")
    slack = {} if emulator is None else {
        "slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET, "slack_api_url": emulator.url,
        "organizers_channel": ORGANIZERS, "organizer_user_ids": f"{ORGANIZER},{SECOND_ORGANIZER}"}
    return make_settings(store.settings.bot_data_dir, smtp_host=host, smtp_port=port, smtp_username=USER,
                         smtp_password=PASSWORD, mail_from=BOT, **slack, **overrides)


@contextmanager
def slack_and_mail(tmp_path, store, emulator, smtp, **overrides) -> Iterator[tuple[InProcessBot, EmailAnswers]]:
    settings = mail_settings(tmp_path, store, smtp, emulator, **overrides)
    with in_process_bot(settings, store, emulator) as bot:
        yield bot, EmailAnswers(settings, bot.ctx.parts)


def headers(raw: bytes) -> dict[str, str]:
    """The header section as sent, unfolded: name → value (the last of a name)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return {name: " ".join(value.split()) for name, value in re.findall(r"^([\w-]+):(.*(?:\r\n[ \t].*)*)", head,
                                                                         re.MULTILINE)}


def plain(raw: bytes) -> str:
    """The plain-text part, its lines (wrapped at 72) joined again."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def draft_post(bot: InProcessBot, count: int = 1):
    return bot.slack.wait_for("chat.postMessage", count, where=lambda c: c.body["channel"] == ORGANIZERS)[count - 1]


def audit(bot: InProcessBot) -> list[tuple[str, str, dict]]:
    return audit_of(bot.ctx.db)


def audit_of(db: Database) -> list[tuple[str, str, dict]]:
    with db.session() as s:
        return [(a.actor, a.action, json.loads(a.details)) for a in s.query(AuditEntry).order_by(AuditEntry.id)]


def test_reply_subject_has_one_re():
    assert reply_subject("Page limit") == "Re: Page limit"
    assert reply_subject("RE:  Page   limit") == "RE: Page limit"
    assert reply_subject("re: x") == "re: x"


def test_auto_answers_at_once_as_a_real_reply(tmp_path, slack_store, smtp_server):
    """No Slack at all: an answered question goes straight back, threaded, marked automatic, once."""
    settings = mail_settings(tmp_path, slack_store, smtp_server, email_answers="auto")
    parts = Runtime(settings, store=slack_store)
    answers = EmailAnswers(settings, parts)
    mail = inbound(ANSWERED, references=("<root@uni.example>", "<q0@uni.example>"))
    answers.handle(mail)
    answers.handle(mail)  # handed over twice (the receiver restarted): answered once
    mailbox: Mailbox = smtp_server[2]
    [received] = mailbox.wait_raw(1)
    assert received.rcpt_tos == [ASKER] and received.mail_from == BOT
    head = headers(received.raw)
    assert head["Subject"] == "Re: Page limit"
    assert head["To"] == f"{ASKER}"
    assert head["In-Reply-To"] == "<q1@uni.example>"
    assert head["References"] == "<root@uni.example> <q0@uni.example> <q1@uni.example>"
    assert head["Auto-Submitted"] == "auto-replied"
    assert head[LOOP_HEADER] == BOT
    assert not any(name.lower().startswith("list-") for name in head) and "Precedence" not in head
    assert "Reply-To" not in head  # a follow-up comes back to the bot, in the same thread
    body = plain(received.raw)
    assert "Dear Ada Lovelace" in body and "strict limit" in body
    assert "Sources:" in body and "https://mlforsystems.org/neurips2025/call_for_papers.html" in body
    assert CONTACT in body
    [row] = parts.outbox.of_key(mail_key("email-answer", mail.message_id))
    assert row.status == OutboxStatus.SENT
    [question] = [q for q in parts.db.thread_history("email", row.key.split(":")[1][:32])]
    assert question.via == "email" and question.public is False and question.answered is True
    assert len(mailbox.raw) == 1


def test_an_email_question_never_appears_in_the_digest(tmp_path, slack_store, smtp_server):
    settings = mail_settings(tmp_path, slack_store, smtp_server, email_answers="auto")
    parts = Runtime(settings, store=slack_store)
    EmailAnswers(settings, parts).handle(inbound("Do submissions need to be anonymized? (asked by email)"))
    smtp_server[2].wait(1)
    now = datetime.now(UTC)
    built = digest.build(settings, parts.db, parts.registry.editions, now + timedelta(minutes=1),
                         now - timedelta(hours=1), answer=lambda q, when: parts.assistant.ask(q, now=when))
    rendered = digest.render(settings, built)
    assert "asked by email" not in rendered and "anonymized" not in rendered
    assert parts.db.stats().asked >= 1  # yet the organizers' stats count it


def test_without_slack_a_declined_question_is_forwarded_to_the_contact(tmp_path, slack_store, smtp_server):
    settings = mail_settings(tmp_path, slack_store, smtp_server, email_answers="auto")
    EmailAnswers(settings, Runtime(settings, store=slack_store)).handle(inbound(DECLINED, subject="Fee"))
    [received] = smtp_server[2].wait_raw(1)
    assert received.rcpt_tos == [CONTACT]
    head = headers(received.raw)
    assert head["Reply-To"] == ASKER and head["Subject"] == f"Question by email from {ASKER}: Fee"
    assert head["Auto-Submitted"] == "auto-generated" and head[LOOP_HEADER] == BOT
    assert DECLINED in plain(received.raw)


def test_draft_without_slack_forwards_the_proposed_answer_to_the_contact(tmp_path, slack_store, smtp_server):
    settings = mail_settings(tmp_path, slack_store, smtp_server)
    EmailAnswers(settings, Runtime(settings, store=slack_store)).handle(inbound(ANSWERED))
    [received] = smtp_server[2].wait_raw(1)
    assert received.rcpt_tos == [CONTACT] and headers(received.raw)["Reply-To"] == ASKER
    body = plain(received.raw)
    assert "proposed answer (not sent)" in body and "strict limit" in body and "could not answer" not in body


def test_an_empty_mail_is_asked_for_its_question(tmp_path, slack_store, smtp_server):
    settings = mail_settings(tmp_path, slack_store, smtp_server)
    EmailAnswers(settings, Runtime(settings, store=slack_store)).handle(
        inbound("", subject="Re: Hello", status=InboundStatus.EMPTY))
    [received] = smtp_server[2].wait_raw(1)
    head = headers(received.raw)
    assert received.rcpt_tos == [ASKER] and head["Subject"] == "Re: Hello"
    assert head["Auto-Submitted"] == "auto-replied" and head["In-Reply-To"] == "<q1@uni.example>"
    assert "what would you like to know" in plain(received.raw)


def test_an_unreadable_mail_is_acknowledged_and_the_organizers_are_told(tmp_path, slack_store, slack_emulator,
                                                                        smtp_server):
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server) as (bot, answers):
        answers.handle(inbound("Dear organizers, about my pa", n=7, status=InboundStatus.UNREADABLE))
        [received] = smtp_server[2].wait_raw(1)
        assert received.rcpt_tos == [ASKER]
        body = plain(received.raw)
        assert "could not be read" in body and "organizers have received it" in body
        notice = draft_post(bot)
        assert "could not be read" in notice.body["text"] and "#7" in notice.body["text"]
        assert "about my pa" in notice.body["text"]


def test_a_draft_waits_for_an_organizer_and_goes_out_once(tmp_path, slack_store, slack_emulator, smtp_server,
                                                          database_url):
    """On SQLite and PostgreSQL: of two organizers clicking Send, one decides and one reply goes out."""
    mailbox: Mailbox = smtp_server[2]
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server, database_url=database_url) as (bot,
                                                                                                        answers):
        answers.handle(inbound(ANSWERED))
        answers.handle(inbound(ANSWERED))  # handed over again: one draft, one notice
        post = draft_post(bot)
        assert block_problems(post.body["blocks"]) == []
        assert ANSWERED in texts_of(post.body["blocks"]) and "strict limit" in texts_of(post.body["blocks"])
        buttons = buttons_of(post.body["blocks"])
        assert set(buttons) == {"email_reply_send", "email_reply_edit", "email_reply_ignore"}
        row_id = buttons["email_reply_send"]
        assert bot.ctx.outbox.get(int(row_id)).status == OutboxStatus.DRAFT
        bot.settle()
        assert mailbox.raw == []  # nothing leaves before an organizer says so
        assert len([c for c in bot.slack.of("chat.postMessage") if c.body["channel"] == ORGANIZERS]) == 1

        bot.click("email_reply_send", row_id, user="URANDOM", channel=ORGANIZERS)
        refusal = bot.slack.wait_for("chat.postEphemeral")[0]
        assert refusal.body["user"] == "URANDOM" and "only the workshop organizers" in refusal.body["text"]
        bot.settle()
        assert bot.ctx.outbox.get(int(row_id)).status == OutboxStatus.DRAFT and mailbox.raw == []

        bot.click("email_reply_send", row_id, user=ORGANIZER, channel=ORGANIZERS)
        bot.click("email_reply_send", row_id, user=SECOND_ORGANIZER, channel=ORGANIZERS)
        [received] = mailbox.wait_raw(1)
        bot.settle()
        assert len(mailbox.raw) == 1
        head = headers(received.raw)
        assert head["Subject"] == "Re: Page limit" and head["In-Reply-To"] == "<q1@uni.example>"
        assert "Auto-Submitted" not in head  # a person approved it
        assert head[LOOP_HEADER] == BOT
        assert "strict limit" in plain(received.raw) and CONTACT in plain(received.raw)
        [update] = bot.slack.wait_for("chat.update")
        assert update.body["ts"] == "1.0" and "sent by" in update.body["text"]
        assert "email_reply_send" not in json.dumps(update.body["blocks"])
        late = bot.slack.wait_for("chat.postEphemeral", 2)[1]
        assert "already decided" in late.body["text"]
        [(actor, action, details)] = audit(bot)
        assert actor in (ORGANIZER, SECOND_ORGANIZER) and action == "send"
        assert details["outbox"] == int(row_id) and details["decision"] == "sent" and details["to"] == ASKER


def test_an_edited_reply_is_sent_as_edited_and_joins_the_faq(tmp_path, slack_store, slack_emulator, smtp_server):
    mailbox: Mailbox = smtp_server[2]
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server) as (bot, answers):
        answers.handle(inbound(DECLINED, subject="Fee"))
        post = draft_post(bot)
        assert "could not answer" in post.body["text"]
        row_id = buttons_of(post.body["blocks"])["email_reply_edit"]
        bot.click("email_reply_edit", row_id, user=ORGANIZER, channel=ORGANIZERS)
        modal = bot.slack.wait_for("views.open")[0].body["view"]
        assert modal["callback_id"] == "email_reply_edit_modal"
        edited = "There is no fee of its own: registration goes through NeurIPS."
        metadata = modal["private_metadata"]
        refused = bot.submit_view("email_reply_edit_modal", metadata, {"answer": {"answer": {"value": edited}}},
                                  user="URANDOM")
        assert refused.json()["response_action"] == "errors"
        bot.submit_view("email_reply_edit_modal", metadata, {"answer": {"answer": {"value": edited}}}, user=ORGANIZER)
        [received] = mailbox.wait_raw(1)
        assert edited in plain(received.raw) and "Auto-Submitted" not in headers(received.raw)
        assert headers(received.raw)["Subject"] == "Re: Fee"
        update = bot.slack.wait_for("chat.update")[0]
        assert "edited and sent by" in update.body["text"]
        [(_, action, details)] = audit(bot)
        assert action == "send" and details["decision"] == "edited" and details["answer"] == edited
        assert [(e.question, e.answer) for e in bot.ctx.db.faq_entries()] == [(DECLINED, edited)]


def test_ignore_sends_nothing(tmp_path, slack_store, slack_emulator, smtp_server):
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server) as (bot, answers):
        answers.handle(inbound(ANSWERED))
        post = draft_post(bot)
        row_id = buttons_of(post.body["blocks"])["email_reply_ignore"]
        bot.click("email_reply_ignore", row_id, user=ORGANIZER, channel=ORGANIZERS)
        update = bot.slack.wait_for("chat.update")[0]
        assert "Ignored by" in update.body["text"]
        bot.click("email_reply_send", row_id, user=ORGANIZER, channel=ORGANIZERS)
        bot.settle()
        assert smtp_server[2].raw == []
        assert bot.ctx.outbox.get(int(row_id)).status == OutboxStatus.DISMISSED
        assert [(a, d["decision"]) for _, a, d in audit(bot)] == [("ignore", "ignored")]


def test_auto_drafts_what_it_cannot_answer_and_sends_what_it_can(tmp_path, slack_store, slack_emulator,
                                                                 smtp_server):
    mailbox: Mailbox = smtp_server[2]
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server, email_answers="auto") as (bot, answers):
        answers.handle(inbound(ANSWERED))
        [received] = mailbox.wait_raw(1)
        assert headers(received.raw)["Auto-Submitted"] == "auto-replied"
        answers.handle(inbound(UNKNOWN, n=2, subject="Childcare"))
        post = draft_post(bot)
        assert UNKNOWN in texts_of(post.body["blocks"])
        bot.settle()
        assert len(mailbox.raw) == 1
        wait_until(lambda: bot.ctx.outbox.of_key(mail_key("email-answer", "<q2@uni.example>")),
                   what="the declined question's draft")
        [draft] = bot.ctx.outbox.of_key(mail_key("email-answer", "<q2@uni.example>"))
        assert draft.status == OutboxStatus.DRAFT


@pytest.mark.slow  # two bot processes, kill -9
def test_a_reply_approved_before_a_kill_is_sent_once_after_the_restart(tmp_path, slack_store, slack_emulator,
                                                                        smtp_server):
    """Approved in Slack, the process killed while sending (its SMTP server never finishes the greeting):
    the restarted bot sends the reply, once, as the organizer approved it."""
    settings = mail_settings(tmp_path, slack_store, smtp_server, slack_emulator)
    parts = Runtime(settings, store=slack_store)
    EmailAnswers(settings, parts).handle(inbound(ANSWERED))
    notice = slack_emulator.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    row_id = buttons_of(notice.body["blocks"])["email_reply_send"]
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    env = {"DATABASE_URL": str(settings.database_url.get_secret_value()), "ORGANIZERS_CHANNEL": ORGANIZERS,
           "ORGANIZER_USER_IDS": ORGANIZER, "MAIL_FROM": BOT, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD}
    mailbox: Mailbox = smtp_server[2]
    with trickling_smtp("none") as stuck:
        bot = BotProcess.start(tmp_path / "data", knowledge, slack_emulator, SMTP_HOST="127.0.0.1",
                               SMTP_PORT=str(stuck.port), SMTP_SECURITY="none", **env)
        try:
            with httpx.Client(timeout=10) as http:
                slack = HttpBot(slack_emulator, parts.slack, f"http://127.0.0.1:{bot.port}/slack/events", http)
                assert slack.click("email_reply_send", row_id, user=ORGANIZER, channel=ORGANIZERS).status_code == 200
            wait_until(lambda: stuck.opened, 60, what="the approved reply being sent")
            assert parts.outbox.get(int(row_id)).status == OutboxStatus.SENDING
        finally:
            bot.kill()  # SIGKILL, mid-send
    assert mailbox.raw == []
    assert "sent by" in slack_emulator.wait_for("chat.update")[0].body["text"]  # shown before sending
    host, port, _ = smtp_server
    bot = BotProcess.start(tmp_path / "data", knowledge, slack_emulator, SMTP_HOST=host, SMTP_PORT=str(port), **env)
    try:
        [received] = mailbox.wait_raw(1, timeout=120)
        wait_until(lambda: parts.outbox.get(int(row_id)).status == OutboxStatus.SENT, 60, what="the reply sent")
    finally:
        bot.kill()  # stopped before counting: no later send can come
    assert len(mailbox.raw) == 1
    head = headers(received.raw)
    assert head["In-Reply-To"] == "<q1@uni.example>" and "Auto-Submitted" not in head
    assert "strict limit" in plain(received.raw)
    assert [(a, d["decision"]) for _, a, d in audit_of(parts.db)] == [("send", "sent")]


def test_a_draft_without_an_answer_must_be_edited_before_it_is_sent(tmp_path, slack_store, slack_emulator,
                                                                     smtp_server):
    """Too long for the assistant: the organizers get it with no proposed reply, and Send asks for Edit."""
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server) as (bot, answers):
        answers.handle(inbound("Is the page limit strict? " * 400))
        post = draft_post(bot)
        row_id = buttons_of(post.body["blocks"])["email_reply_send"]
        bot.click("email_reply_send", row_id, user=ORGANIZER, channel=ORGANIZERS)
        told = bot.slack.wait_for("chat.postEphemeral")[0]
        assert "no text yet" in told.body["text"]
        bot.settle()
        assert smtp_server[2].raw == [] and bot.ctx.outbox.get(int(row_id)).status == OutboxStatus.DRAFT


def test_auto_never_answers_a_sender_nobody_authenticated_it_drafts(tmp_path, slack_store, slack_emulator,
                                                                    smtp_server):
    """EMAIL_ANSWERS=auto, a question the pages answer, from a From the receiving server did not vouch
    for: nothing is sent; the organizers get the draft. An empty one gets no automatic note either."""
    mailbox: Mailbox = smtp_server[2]
    with slack_and_mail(tmp_path, slack_store, slack_emulator, smtp_server, email_answers="auto") as (bot, answers):
        answers.handle(inbound(ANSWERED, authenticated=False))
        assert ANSWERED in texts_of(draft_post(bot).body["blocks"])
        answers.handle(inbound("", n=2, status=InboundStatus.EMPTY, authenticated=False))
        bot.settle()
        [draft] = bot.ctx.outbox.of_key(mail_key("email-answer", "<q1@uni.example>"))
        assert draft.status == OutboxStatus.DRAFT
        assert not bot.ctx.outbox.of_key(mail_key("email-answer", "<q2@uni.example>"))
        assert mailbox.raw == []
