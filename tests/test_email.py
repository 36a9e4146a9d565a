"""Email to the mailing list through a real SMTP server (aiosmtpd, STARTTLS, AUTH): parts, headers, failures."""

import email
import email.policy
import json
import quopri
import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.deliveries import EMAIL, Medium, PermanentError
from bot.deliveries.attachments import Attachment
from bot.deliveries.email import EmailDelivery, compose
from bot.deliveries.letter import message_id
from bot.outbox.ledger import Outbox
from bot.outbox.sender import Sender
from bot.storage.db import Database

from .conftest import make_settings
from .slack_harness import free_port
from .smtp_harness import PASSWORD, USER

LIST = "mlforsystems@googlegroups.com"
BODY = {"subject": "Poster session moves", "text": "It is now in Hall B.", "html": "<p>It is now in <b>Hall B</b>.</p>"}


def mail_settings(tmp_path, host=None, port=None, **overrides):
    values = {"mail_from": "bot@mlforsystems.org", "mailing_list": LIST, **overrides}
    if host:
        values |= {"smtp_host": host, "smtp_port": port, "smtp_username": USER, "smtp_password": PASSWORD}
    return make_settings(tmp_path / "data", **values)


def queued(settings, key="announcement:7", body=BODY, kind="announcement"):
    outbox = Outbox(Database.from_settings(settings))
    row = outbox.add(key=key, destination=EMAIL, kind=kind, edition="neurips2025",
                     due_at=datetime.now(UTC), body=json.dumps(body))
    return outbox, row


def sender(settings, outbox, list_name=None, **options):
    delivery = EmailDelivery(settings, reply_to="mlforsystems@googlegroups.com", list_name=list_name, **options)
    return Sender(settings, outbox, {Medium.EMAIL: delivery}, attempts=2)


def test_starttls_auth_and_a_complete_list_message(tmp_path, smtp_server):
    host, port, mailbox = smtp_server
    settings = mail_settings(tmp_path, host, port, list_unsubscribe_url="https://mlforsystems.org/unsubscribe")
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "sent"
    [mail] = mailbox.wait()
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert "Hall B" in mail.get_body(("plain",)).get_content()
    assert "<b>Hall B</b>" in mail.get_body(("html",)).get_content()
    assert mail["Subject"] == "Poster session moves"
    assert (mail["From"], mail["To"], mail["Reply-To"]) == ("bot@mlforsystems.org", LIST, LIST)
    assert mail["Message-ID"] == message_id("announcement:7→email", mail["From"].addresses[0])
    assert mail["Date"] and mail["List-Id"] == "<mlforsystems.googlegroups.com>"
    mailto = "<mailto:mlforsystems+unsubscribe@googlegroups.com?subject=unsubscribe>"
    assert mail["List-Unsubscribe"].strip() == f"{mailto}, <https://mlforsystems.org/unsubscribe>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_without_smtp_mail_is_written_as_eml_files(tmp_path):
    settings = mail_settings(tmp_path)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "sent"
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "Poster session moves" and mail.get_content_type() == "multipart/alternative"
    assert "List-Unsubscribe-Post" not in mail  # no https URL configured: mailto only
    assert outbox.of_key("announcement:7")[0].external_id == str(path)


def test_the_footer_says_why_whom_to_ask_and_how_to_leave_in_sentences(tmp_path):
    settings = mail_settings(tmp_path)
    _, row = queued(settings)
    mail = compose(row, settings, "organizers@mlforsystems.org", "ML for Systems")
    footer = mail.get_body(("html",)).get_content().split('class="footer"')[1]
    assert " ".join(re.sub(r"<[^>]+>", "", footer.split(">", 1)[1]).split()) == (
        f"You receive this because you are on the ML for Systems mailing list ({LIST}). "
        "Questions for the organizers: organizers@mlforsystems.org. "
        "Unsubscribe: write to mlforsystems+unsubscribe@googlegroups.com.")


def test_smtp_down_then_up_delivers_exactly_once(tmp_path, smtp_server):
    host, port, mailbox = smtp_server
    closed = free_port()
    settings = mail_settings(tmp_path, host, closed)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "pending"  # refused connection: transient, kept
    assert outbox.of_key("announcement:7")[0].status == "pending"
    up = mail_settings(tmp_path, host, port)
    assert sender(up, outbox).send(row.id) == "sent"
    assert sender(up, outbox).send(row.id) is None  # already sent: never twice
    assert len(mailbox.wait()) == 1


def test_a_4xx_is_retried_and_a_5xx_is_reported_not_retried(tmp_path, smtp_server, caplog):
    host, port, mailbox = smtp_server
    settings = mail_settings(tmp_path, host, port)
    mailbox.refuse = ["451 4.3.0 Try again later"]
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "sent"  # the retry went through
    assert len(mailbox.wait()) == 1
    mailbox.refuse = ["550 5.1.1 No such list", "550 5.1.1 No such list"]
    outbox, row = queued(settings, key="announcement:8")
    assert sender(settings, outbox).send(row.id) == "failed"
    failed = outbox.of_key("announcement:8")[0]
    assert failed.status == "failed" and "550" in failed.last_error and failed.attempts == 1
    assert mailbox.refuse == ["550 5.1.1 No such list"]  # tried once, not again
    assert "could not deliver announcement:8 to email" in caplog.text


@pytest.mark.parametrize("field, value", [
    ("mailing_list", f"{LIST}\r\nBcc: everyone@example.org"),
    ("mail_from", "bot@mlforsystems.org\nBcc: x@example.org"),
    ("mail_reply_to", "a@b.org, c@d.org"),
])
def test_header_injection_in_addresses_is_refused(tmp_path, field, value):
    with pytest.raises(ValidationError, match=field.upper()):  # when the settings are read
        mail_settings(tmp_path, **{field: value})
    settings = mail_settings(tmp_path).model_copy(update={field: value})  # made in code: no check at load
    _, row = queued(settings)
    with pytest.raises(PermanentError, match=field.upper()):  # and again where the mail is built
        compose(row, settings, None)


def test_header_injection_in_the_subject_is_refused(tmp_path):
    settings = mail_settings(tmp_path)
    _, row = queued(settings, body={**BODY, "subject": "Hello\r\nBcc: everyone@example.org"})
    with pytest.raises(PermanentError, match="line break in a header"):
        compose(row, settings, None)


def test_attachments_follow_the_alternative_in_a_mixed_message(tmp_path, smtp_server):
    host, port, mailbox = smtp_server
    settings = mail_settings(tmp_path, host, port)
    pdf, ics = bytes(range(256)), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"  # binary: base64 in the JSON; text as it is
    attachments = [Attachment("slides.pdf", "application/pdf", pdf).to_json(),
                   {"filename": "day.ics", "content_type": "text/calendar", "data": ics}]
    outbox, row = queued(settings, body={**BODY, "attachments": attachments})
    assert sender(settings, outbox).send(row.id) == "sent"
    mailbox.wait(1)
    [raw] = mailbox.raw
    assert b'Content-Type: text/calendar; charset="utf-8"' in raw
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert [p.get_content_type() for p in mail.iter_parts()] == ["multipart/alternative", "application/pdf",
                                                                  "text/calendar"]
    alternative, slides, day = mail.iter_parts()
    assert "Hall B" in alternative.get_body(("plain",)).get_content()
    assert slides.get_filename() == "slides.pdf" and slides.get_payload(decode=True) == pdf
    assert day.get_filename() == "day.ics" and day.get_payload(decode=True) == ics.encode()


def test_no_text_is_hidden_by_a_tiny_font_or_the_background_colour(tmp_path):
    """The preview line is hidden by `display: none`; nothing is written small or in a background's colour."""
    settings = mail_settings(tmp_path)
    outbox, row = queued(settings, body={**BODY, "text": "Poster session moves\n\nIt is now in Hall B."})
    assert sender(settings, outbox).send(row.id) == "sent"
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*.eml")
    raw = path.read_bytes()
    [html_part] = [part for part in raw.split(b"\r\n--") if b"Content-Type: text/html" in part]
    assert b"Content-Transfer-Encoding: quoted-printable" in html_part
    html = quopri.decodestring(html_part.split(b"\r\n\r\n", 1)[1]).decode()
    [preview] = re.findall(r'<span class="preheader" style="([^"]*)">It is now in Hall B\.</span>', html)
    assert "display: none" in preview and "color" not in preview and "font-size" not in preview
    styles = " ".join(re.findall(r'style="([^"]*)"', html))
    texts = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]+)", styles))
    backgrounds = set(re.findall(r"background(?:-color)?:\s*(#[0-9a-f]+)", styles))
    assert texts and backgrounds and not texts & backgrounds
    assert min(int(size) for size in re.findall(r"font-size:\s*(\d+)px", styles)) >= 12


@pytest.mark.parametrize("attachment, message", [
    ({"filename": "a.ics", "content_type": "text/calendar"}, "needs filename, content_type and data"),
    ({"filename": "../a.ics", "content_type": "text/calendar", "data": ""}, "not a plain attachment file name"),
    ({"filename": "a.ics\r\nBcc: x@example.org", "content_type": "text/calendar", "data": ""}, "file name"),
    ({"filename": "a.ics", "content_type": "text/calendar\r\nBcc: x", "data": ""}, "not a content type"),
    ({"filename": "a.pdf", "content_type": "application/pdf", "encoding": "base64", "data": "%%"}, "not base64"),
    ({"filename": "a.pdf", "content_type": "application/pdf", "encoding": "rot13", "data": ""}, "unknown encoding"),
])
def test_a_malformed_attachment_is_refused(tmp_path, attachment, message):
    settings = mail_settings(tmp_path)
    _, row = queued(settings, body={**BODY, "attachments": [attachment]})
    with pytest.raises(PermanentError, match=message):
        compose(row, settings, None)


def test_a_certificate_that_does_not_verify_is_a_permanent_failure(tmp_path, smtp_server, monkeypatch):
    host, port, _ = smtp_server
    monkeypatch.delenv("SSL_CERT_FILE")  # the test CA is no longer trusted
    settings = mail_settings(tmp_path, host, port)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "failed"
    assert "TLS" in outbox.of_key("announcement:7")[0].last_error


def test_announce_to_email_from_the_command_line(mail_env):
    mailbox = mail_env
    body = "It is now in Hall B & C.\n\nSee https://openreview.net/group?id=MLSys&x=1 for the list."
    result = CliRunner().invoke(app, ["announce", "general", "--var", "title=Poster session moves",
                                      "--var", f"body={body}", "--to", "email"])
    assert result.exit_code == 0, result.output
    [mail] = mailbox.wait()
    assert mail["Subject"] == "Poster session moves"
    html = mail.get_body(("html",)).get_content()
    assert "Hall B &amp; C.</p>" in html  # HTML autoescapes; paragraphs stay paragraphs, addresses are links
    assert '<a href="https://openreview.net/group?id=MLSys&amp;x=1"' in html and "</a> for the list.</p>" in html
    assert "Hall B & C." in mail.get_body(("plain",)).get_content()


def test_a_correction_is_a_new_message_that_references_the_original(mail_env):
    mailbox = mail_env
    run = CliRunner().invoke
    assert run(app, ["announce", "general", "--var", "title=Posters", "--var", "body=Hall B", "--to", "email"]
               ).exit_code == 0
    assert run(app, ["announce", "general", "--var", "title=Posters (correction)", "--var", "body=Hall C",
                     "--to", "email", "--corrects", "1"]).exit_code == 0
    original, correction = mailbox.wait(2)
    assert correction["Message-ID"] != original["Message-ID"]
    assert correction["In-Reply-To"] == correction["References"] == original["Message-ID"]


def test_reminders_marked_email_go_to_the_list(service):
    from .reminder_harness import write_event

    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=1), ["2s"], email=True)
    reminders = service(email=True, mailing_list=LIST, mail_from="bot@mlforsystems.org")
    [timer] = reminders.scheduler.get_jobs(jobstore="default")
    reminders.fire(timer.id)  # as its timer would, an hour early: written before it returns
    folder = service.settings.bot_data_dir / "outbox" / "mail"
    [path] = folder.glob("*deadline_reminder.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["Subject"].startswith("[Test Workshop 2030] Paper submission due in ")
    assert "Paper submission" in mail.get_body(("html",)).get_content()


def test_an_unexpected_error_fails_the_row_instead_of_leaving_it_sending(tmp_path):
    """A row whose body cannot be read (a bug, a hand-edited database) is failed and reported, not stuck."""
    settings = mail_settings(tmp_path)
    outbox = Outbox(Database.from_settings(settings))
    row = outbox.add(key="announcement:8", destination=EMAIL, kind="announcement", edition="neurips2025",
                     due_at=datetime.now(UTC), body="{not json")
    assert sender(settings, outbox).send(row.id) == "failed"
    [stored] = outbox.of_key("announcement:8")
    assert stored.status == "failed" and "unexpected error" in stored.last_error
