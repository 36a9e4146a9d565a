"""Addresses with display names, and list headers that survive: asserted on the bytes a real SMTP server
received and on the bytes of the .eml file, not on what Python's parser makes of them."""

import email
import email.policy
import re

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings, invalid_settings

from .test_email import mail_settings, queued, sender

LONG_LIST = "machine-learning-for-systems-announcements@lists.example.org"  # 60 characters
LONG_URL = "https://mlforsystems.org/unsubscribe?list=announcements&token=" + "a1b2c3d4e5" * 4 + "&confirm=one-click"
NAME = "ML for Systems Workshop at NeurIPS 2025"


def headers(raw: bytes) -> dict[str, list[bytes]]:
    """Each header's raw lines (the first, then any continuation lines), by lower-cased name."""
    found: dict[str, list[bytes]] = {}
    name = ""
    for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            name = line.split(b":", 1)[0].decode().lower()
        found.setdefault(name, []).append(line)
    return found


def test_long_list_headers_stay_on_one_line_verbatim(tmp_path, smtp_server):
    assert len(LONG_LIST) == 60 and len(LONG_URL) == 120
    host, port, mailbox = smtp_server
    settings = mail_settings(tmp_path, host, port, mailing_list=LONG_LIST, list_unsubscribe_url=LONG_URL,
                             list_help_url="https://mlforsystems.org/mailing-list",
                             list_archive_url="https://lists.example.org/archives/machine-learning-for-systems")
    sent = mail_settings(tmp_path / "files", mailing_list=LONG_LIST, list_unsubscribe_url=LONG_URL)
    outbox, row = queued(settings)
    assert sender(settings, outbox, list_name=NAME).send(row.id) == "sent"
    [received] = mailbox.wait_raw()
    outbox, row = queued(sent)
    assert sender(sent, outbox).send(row.id) == "sent"
    [path] = (sent.bot_data_dir / "outbox" / "mail").glob("*.eml")

    label = LONG_LIST.replace("@", ".")
    mailto = f"<mailto:{LONG_LIST.replace('@', '+unsubscribe@')}?subject=unsubscribe>"
    for raw in (received.raw, path.read_bytes()):
        found = headers(raw)
        assert b"=?" not in b"".join(line for name, lines in found.items() if name.startswith("list-")
                                     for line in lines)
        assert found["list-unsubscribe"] == [f"List-Unsubscribe: {mailto}, <{LONG_URL}>".encode()]
        assert found["list-unsubscribe-post"] == [b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
        assert found["list-post"] == [f"List-Post: <mailto:{LONG_LIST}>".encode()]
    found = headers(received.raw)
    assert found["list-id"] == [f'List-Id: "{NAME}" <{label}>'.encode()]
    assert found["list-help"] == [b"List-Help: <https://mlforsystems.org/mailing-list>"]
    assert found["list-archive"] == [b"List-Archive: <https://lists.example.org/archives/machine-learning-for-systems>"]
    assert headers(path.read_bytes())["list-id"] == [f"List-Id: <{label}>".encode()]  # no name given: none shown
    assert "list-help" not in headers(path.read_bytes())


def test_display_names_are_accepted_and_only_the_name_is_encoded(tmp_path, smtp_server):
    host, port, mailbox = smtp_server
    settings = mail_settings(tmp_path, host, port, mail_from="Réunion ML Bot <bot@mlforsystems.org>",
                             mail_reply_to='"Organizers, ML for Systems" <organizers@mlforsystems.org>',
                             mailing_list="ML for Systems <mlforsystems@googlegroups.com>, archive@exämple.org")
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "sent"
    [received] = mailbox.wait_raw()
    assert (received.mail_from, received.rcpt_tos) == (
        "bot@mlforsystems.org", ["mlforsystems@googlegroups.com", "archive@xn--exmple-cua.org"])
    found = headers(received.raw)
    assert found["from"] == [b"From: =?utf-8?q?R=C3=A9union?= ML Bot <bot@mlforsystems.org>"]
    assert found["reply-to"] == [b'Reply-To: "Organizers, ML for Systems" <organizers@mlforsystems.org>']
    assert b" ".join(found["to"]) == b"To: ML for Systems <mlforsystems@googlegroups.com>, archive@xn--exmple-cua.org"
    assert found["list-id"] == [b"List-Id: <mlforsystems.googlegroups.com>"]  # the first list's
    mail = email.message_from_bytes(received.raw, policy=email.policy.default)
    assert mail["From"].addresses[0].display_name == "Réunion ML Bot"
    assert mail["Reply-To"].addresses[0].display_name == "Organizers, ML for Systems"


def test_a_non_ascii_workshop_name_is_encoded_in_list_id_and_nothing_else(tmp_path):
    settings = mail_settings(tmp_path)
    outbox, row = queued(settings)
    name = "Atelier « Apprentissage pour les systèmes » — édition 2025, Montréal"
    assert sender(settings, outbox, list_name=name).send(row.id) == "sent"
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*.eml")
    [line] = headers(path.read_bytes())["list-id"]
    words = re.findall(rb"=\?utf-8\?[qb]\?[^?]*\?=", line)
    assert words and all(len(w) <= 75 for w in words)
    assert line.endswith(b" <mlforsystems.googlegroups.com>")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["List-Id"] == ("Atelier « Apprentissage pour les systèmes » — édition 2025, Montréal "
                               "<mlforsystems.googlegroups.com>")


@pytest.mark.parametrize("kind, automatic", [("digest", True), ("deadline_reminder", True), ("program_day", True),
                                             ("session_reminder", True), ("announcement", False)])
def test_only_what_the_bot_writes_by_itself_is_auto_submitted(tmp_path, kind, automatic):
    settings = mail_settings(tmp_path)
    outbox, row = queued(settings, key=f"{kind}:1", kind=kind)
    assert sender(settings, outbox).send(row.id) == "sent"
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*.eml")
    found = headers(path.read_bytes())
    assert (found.get("auto-submitted") == [b"Auto-Submitted: auto-generated"]) is automatic
    assert automatic or "auto-submitted" not in found


@pytest.mark.parametrize("variable, value, message", [
    ("MAIL_FROM", "Workshop Bot <bot@mlforsystems>", "MAIL_FROM='Workshop Bot <bot@mlforsystems>': not an email "
                                                     "address: The part after the @-sign is not valid."),
    ("MAIL_FROM", "bot@mlforsystems.org, other@mlforsystems.org", "MAIL_FROM='bot@mlforsystems.org, "
                                                                  "other@mlforsystems.org': not one email address"),
    ("MAIL_REPLY_TO", "Organizers <organizers@mlforsystems.org", "MAIL_REPLY_TO='Organizers "
                                                                 "<organizers@mlforsystems.org': not a list"),
    ("MAILING_LIST", "a@mlforsystems.org b@mlforsystems.org", "MAILING_LIST='a@mlforsystems.org b@mlforsystems.org'"),
    ("MAILING_LIST", "list@mlforsystems.org\r\nBcc: x@example.org", "a line break in an address"),
    ("LIST_UNSUBSCRIBE_URL", "http://mlforsystems.org/u", "LIST_UNSUBSCRIBE_URL='http://mlforsystems.org/u': "
                                                          "not a https URL"),
    ("LIST_UNSUBSCRIBE_URL", "https://mlforsystems.org/u?a=1,2", "',' (percent-encode it)"),
    ("LIST_ARCHIVE_URL", "https://mlforsystems.org/archive>\r\nBcc: x@example.org", "LIST_ARCHIVE_URL="),
    ("DKIM_SELECTOR", "s1", "DKIM_DOMAIN and DKIM_KEY_FILE not set: DKIM signing needs DKIM_SELECTOR, DKIM_DOMAIN "
                            "and DKIM_KEY_FILE together"),
    ("DKIM_KEY_FILE", "/nonexistent/dkim.pem", "DKIM_SELECTOR and DKIM_DOMAIN not set"),
    ("SMTP_PORT", "five-eight-seven", "SMTP_PORT='five-eight-seven': Input should be a valid integer"),
])
def test_a_bad_setting_is_refused_in_one_line_naming_it(tmp_path, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    assert message in invalid_settings(refused.value) and "\n" not in invalid_settings(refused.value)

    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["reload"])  # any command: the settings are read first
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()  # refused before anything was written


def test_mail_from_is_needed_to_write_to_the_list(tmp_path):
    settings = mail_settings(tmp_path, mail_from=None)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "failed"
    assert "MAIL_FROM is not set" in outbox.of_key(row.key)[0].last_error


def test_an_empty_variable_is_unset(monkeypatch):
    for variable in ("MAIL_REPLY_TO", "LIST_HELP_URL", "DKIM_SELECTOR", "DKIM_DOMAIN", "DKIM_KEY_FILE"):
        monkeypatch.setenv(variable, "")  # `DKIM_SELECTOR=` in a .env file
    settings = Settings(_env_file=None)
    assert (settings.mail_reply_to, settings.list_help_url, settings.dkim_key_file) == (None, None, None)
