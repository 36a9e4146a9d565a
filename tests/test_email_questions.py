"""Questions by email through the running bot: mail delivered over LMTP to the listener the bot starts,
answered by the assistant, and the reply received by a second SMTP server standing for the outside
world (raw bytes). The halves are tested alone in test_inbound_mail.py and test_email_answers.py."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

from bot.runtime import Runtime
from bot.startup import MAIL, Startup
from bot.storage.models import InboundMessage, InboundStatus

from .smtp_harness import Mailbox
from .test_email_answers import ANSWERED, ASKER, BOT, headers, mail_settings, plain
from .test_inbound_mail import mail


@contextmanager
def running(settings, store) -> Iterator[Startup]:
    """The bot's parts started as `serve` starts them (the index shared, not refreshed)."""
    startup = Startup(Runtime(settings, store=store), refresh=lambda opened: None).start()
    try:
        startup.wait(MAIL)
        yield startup
    finally:
        startup.stop()


def deliver(startup: Startup, raw: bytes, sender: str = ASKER) -> None:
    """As the MTA does: over LMTP, to the port the bot's listener is bound to."""
    with smtplib.LMTP("127.0.0.1", startup.mail[0].port) as lmtp:
        lmtp.sendmail(sender, [BOT], raw)


def in_reply_to(mailbox: Mailbox) -> list[str]:
    return [headers(raw).get("In-Reply-To", "").strip() for raw in mailbox.raw]


# What the receiving server (its authserv-id trusted) writes on mail from uni.example: only such mail is
# answered without an organizer.
MX = "mx.bot.example"
CHECKED = {"Authentication_Results": f"{MX}; spf=pass smtp.mailfrom={ASKER}; dmarc=pass header.from=uni.example"}


def test_a_mail_to_the_bot_is_answered_and_its_reply_looped_back_is_not(tmp_path, slack_store, smtp_server):
    settings = mail_settings(tmp_path, slack_store, smtp_server, email_answers="auto", inbound_port=0,
                             mail_authserv_ids=MX)
    mailbox: Mailbox = smtp_server[2]
    with running(settings, slack_store) as startup:
        deliver(startup, mail(f"Hello,\n\n{ANSWERED}\n\n-- \nAda", message_id="<first@uni.example>",
                              sender=f"Ada <{ASKER}>", subject="Page limit", **CHECKED))
        reply = mailbox.wait_raw(1)[0]
        sent = headers(reply.raw)
        assert reply.rcpt_tos == [ASKER]
        assert sent["Subject"].strip() == "Re: Page limit"
        assert sent["In-Reply-To"].strip() == sent["References"].strip() == "<first@uni.example>"
        assert sent["Auto-Submitted"].strip() == "auto-replied"
        assert "Sources" in plain(reply.raw)
        # the asker's words quoted, not only in the subject
        assert f"You asked: > Hello, > > {ANSWERED}" in plain(reply.raw)

        deliver(startup, reply.raw, sender=BOT)  # the bot's own reply, back in its inbox
        deliver(startup, mail(f"Hello again,\n\n{ANSWERED}\n", message_id="<second@uni.example>",
                              sender=f"Ada <{ASKER}>", subject="Page limit", **CHECKED))  # then one answered
        mailbox.wait_raw(2)
        with startup.db.session() as s:
            looped = s.query(InboundMessage).filter(InboundMessage.sender == BOT).one()
            assert looped.status == InboundStatus.IGNORED
    assert in_reply_to(mailbox) == ["<first@uni.example>", "<second@uni.example>"]


def test_mail_stored_before_a_stop_is_answered_at_the_next_start_once(tmp_path, slack_store, smtp_server):
    """Its sender still authenticated after the restart (read again from the stored mail): answered."""
    settings = mail_settings(tmp_path, slack_store, smtp_server, email_answers="auto", inbound_port=0,
                             mail_authserv_ids=MX)
    mailbox: Mailbox = smtp_server[2]
    stored = Runtime(settings, store=slack_store).intake.receive(
        mail(f"Hello,\n\n{ANSWERED}\n", message_id="<before@uni.example>", sender=ASKER, **CHECKED), ASKER)
    assert stored is not None  # stored, and the process stopped before answering it

    with running(settings, slack_store):
        mailbox.wait_raw(1)
    with running(settings, slack_store) as startup:  # a second start: nothing left to answer
        deliver(startup, mail(f"Hi,\n\n{ANSWERED}\n", message_id="<after@uni.example>", sender=ASKER, **CHECKED))
        mailbox.wait_raw(2)
    assert in_reply_to(mailbox) == ["<before@uni.example>", "<after@uni.example>"]
    assert all(headers(raw)["To"].strip() == ASKER and headers(raw)["Auto-Submitted"].strip() == "auto-replied"
               for raw in mailbox.raw)
