"""The HTML emails as a reader's browser shows them: headless Chromium at a desktop and a phone width.

The emails are the bot's own: a digest and an announcement queued, sent through the outbox and read
back from the .eml files it writes without SMTP. Each is shown in a frame exactly as wide as the
screen (headless Chromium keeps windows at least 500 px wide, so the phone is a frame inside one),
and a probe outside the email measures it. Nothing may stick out past the right edge, and no text
may be in the browser's default font: every text gets the layout's font stack. Screenshots are left
in the test's temporary folder for a person to look at. Skipped where Chromium is not installed.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html
import json
import os
import re
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.digest import build as digest
from bot.announcements.compose import prepare
from bot.announcements.records import record
from bot.assistant.answer import Answer, Source
from bot.deliveries import Medium
from bot.deliveries.email import EmailDelivery
from bot.knowledge.editions import discover
from bot.outbox.keys import announcement_key
from bot.outbox.ledger import Outbox
from bot.outbox.sender import Sender
from bot.storage.db import Database

from .conftest import KNOWLEDGE, copy_tree, make_settings

CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
PROBE = Path(__file__).parent / "fixtures" / "email_probe.js"
WIDTHS = (800, 375)  # a desktop mail client's reading pane, a phone
WINDOW_MIN = 500  # headless Chromium's narrowest window
TIMEOUT = 120  # seconds for one browser run, on a loaded 2-core machine
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--virtual-time-budget=2000"]  # without the network flags it waits on a network this suite never has
NOW = datetime(2025, 12, 3, 12, tzinfo=UTC)  # the digest's slot: Monday December 1, 09:00 UTC
SENT = datetime(2025, 11, 26, 15, tzinfo=UTC)  # within the slot's week
LIST = "machine_learning_for_systems_announcements@lists.example.org"  # long, with no hyphen to break at
LONG_URL = ("https://openreview.net/group?id=NeurIPS.cc/2025/Workshop/MLForSys&referrer=%5BHomepage%5D%28%2F%29"
            "#tab-recent-activity-and-camera-ready-revisions")

pytestmark = [
    pytest.mark.slow,  # a dozen browser runs
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"Chromium not found at {CHROMIUM} (Debian package "
                       "`chromium`): the browser check of the HTML emails is skipped"),
]


def workshop_week(knowledge: Path) -> None:
    """The workshop's week in the edition's facts: a deadline, an extended one and a full programme day."""
    path = knowledge / "neurips2025" / "event.yaml"
    event = yaml.safe_load(path.read_text(encoding="utf-8"))
    event["deadlines"] += [
        {"id": "camera-ready", "title": "Camera-ready papers and posters (PDF, at most 10 MB, through OpenReview)",
         "due": "2025-12-02", "extended_from": ["2025-11-25", "2025-11-28"], "url": LONG_URL},
        {"id": "registration", "title": "Early registration", "due": "2025-12-05"}]
    event["program"] = [
        {"title": "Opening remarks", "start": "2025-12-06T08:50:00-08:00", "room": "Upper Level Room 5AB"},
        {"title": "Keynote: Learned cost models for query optimizers, compilers and cluster schedulers",
         "speakers": ["Prof. Anna Goldie-Westerhoffenberger", "Dr. Azalia Mirhoseini"],
         "start": "2025-12-06T09:00:00-08:00", "room": "Upper Level Room 5AB (livestream on the NeurIPS site)"},
        {"title": "Poster session", "start": "2025-12-06T11:00:00-08:00", "room": "Exhibit Hall C, posters 1-48"}]
    path.write_text(yaml.safe_dump(event, sort_keys=False), encoding="utf-8")


def public_question(db: Database, n: int, text: str, answer: str, sources: list[Source]) -> None:
    made = Answer(question=text, text=answer, answered=True, edition="neurips2025", sources=sources, confidence=0.8)
    db.record_question(via="mention", user_id=f"UASKER{n}", channel_id="CPUB", message_ts=f"1764170000.{n:06d}",
                       text=text, answer=answer, answer_json=made.model_dump_json(), answered=True,
                       edition="neurips2025", confidence=0.8, public=True, created_at=SENT)


@pytest.fixture(scope="module")
def emails(tmp_path_factory) -> dict[str, str]:
    """The HTML part of each email, by name, as the outbox wrote it to its .eml file."""
    root = tmp_path_factory.mktemp("emails")
    knowledge = copy_tree(KNOWLEDGE, root / "knowledge")
    workshop_week(knowledge)
    settings = make_settings(root / "data", knowledge, mailing_list=LIST,
                             mail_from="ML for Systems bot <bot@mlforsystems.org>",
                             list_unsubscribe_url="https://mlforsystems.org/mailing-list/unsubscribe")
    db, editions = Database.from_settings(settings), discover(settings.knowledge_dir)
    outbox, edition = Outbox(db), editions.default
    assert edition is not None
    delivery = EmailDelivery(settings, reply_to=edition.contact, list_name=edition.label)  # as the runtime makes it
    sender = Sender(settings, outbox, {Medium.EMAIL: delivery}, attempts=1)
    announcements = [
        ("general", {"title": "Poster printing, session times and where to find the camera-ready instructions",
                     "body": f"Posters are 36 x 48 inches, portrait. Upload the camera-ready PDF at {LONG_URL} "
                             "by Tuesday; questions to mlforsystems@googlegroups.com."}),
        ("deadline_extended", {"deadline": "Camera-ready", "new_date": "December 2, 2025",
                               "old_date": "November 28, 2025", "note": f"Details: {LONG_URL}"})]
    for template, variables in announcements:
        prepared = prepare(settings, editions, template, variables, ["email"], at=SENT)
        made = record(db, outbox, prepared, "organizer", settings.prompts_dir, settings.mail_from, editions=editions)
        assert sender.send_due(announcement_key(made.id)) == ["sent"]
    page = "https://mlforsystems.org/neurips2025/call_for_papers.html"
    public_question(db, 1, "Is the page limit strict, and do references and the appendix count towards it?",
                    "Yes: 4 pages at most, references and appendices excluded; see "
                    f"{page}#submission-instructions-formatting-and-page-limits-for-the-workshop-track.",
                    [Source(title="Call for papers", path="neurips2025/call_for_papers.html", url=page,
                            edition="neurips2025", section="Submission instructions and formatting requirements"),
                     Source(title=LONG_URL, path="neurips2025/index.html", url=LONG_URL, edition="neurips2025")])
    public_question(db, 2, "Where is the workshop?", "San Diego Convention Center, Upper Level Room 5AB.",
                    [Source(title="ML for Systems at NeurIPS 2025", path="neurips2025/index.html", url="",
                            edition="neurips2025")])
    queued = digest.queue(settings, db, outbox, editions, NOW)
    assert queued.row is not None and sender.send(queued.row.id) == "sent"
    found = {}
    for path in sorted((settings.bot_data_dir / "outbox" / "mail").glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[path.stem] = mail.get_body(("html",)).get_content()
    return {"digest": found["000003-digest"], "announcement": found["000001-announcement"]}  # the general one


def page(folder: Path, name: str, body: str, width: int, height: int) -> Path:
    """A page that shows the email in a frame `width` px wide (the reader's screen), and the probe."""
    path = folder / f"{name}-{width}.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#8c959f">'
        '<p id="default-serif" hidden>x</p><code id="default-mono" hidden>x</code>'
        f'<iframe id="email" style="border:0;display:block" width="{width}" height="{height}" '
        f'srcdoc="{html.escape(body)}"></iframe><script>{PROBE.read_text(encoding="utf-8")}</script></body></html>',
        encoding="utf-8")
    return path


def chromium(folder: Path, shown: Path, width: int, height: int, *output: str) -> str:
    """What headless Chromium prints for `shown`, in a window of its own fresh profile."""
    profile = folder / f"profile-{shown.stem}-{len(list(folder.glob('profile-*')))}"
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", f"--window-size={max(width, WINDOW_MIN)},{height}",
               *output, shown.as_uri()]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as browser:
        try:
            out, errors = browser.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            out, errors = "", f"no answer within {TIMEOUT} s"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)  # its helper processes too
            browser.communicate()
    assert browser.returncode == 0, f"{' '.join(command)}\n{errors[-3000:]}"
    return out


def measured(folder: Path, name: str, body: str, width: int) -> dict:
    dom = chromium(folder, page(folder, name, body, width, 800), width, 800, "--dump-dom")
    found = re.search(r'<script type="application/json" id="findings">(.*?)</script>', dom, re.S)
    assert found, f"the probe wrote nothing:\n{dom[-2000:]}"
    return json.loads(found.group(1))


def listed(offenders: list[dict]) -> str:
    return "\n".join(f"  <{o['tag']}> {o['text']!r}" + "".join(f", {k} {o[k]}" for k in ("right", "font") if k in o)
                     for o in offenders)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["digest", "announcement"])
def test_the_email_fits_the_screen_in_the_layouts_font(emails, tmp_path, name, width):
    findings = measured(tmp_path, name, emails[name], width)
    assert findings["width"] == findings["clientWidth"] == width  # the frame is the screen, no scroll bar in it
    screenshot = tmp_path / f"{name}-{width}.png"  # the whole email, for a person to look at
    chromium(tmp_path, page(tmp_path, name, emails[name], width, findings["height"]), width, findings["height"],
             f"--screenshot={screenshot}")
    assert screenshot.stat().st_size > 0
    assert findings["scrollWidth"] <= width and not findings["wide"], (
        f"the {name} is {findings['scrollWidth']} px wide on a {width} px screen; sticking out:\n"
        f"{listed(findings['wide'])}\nscreenshot: {screenshot}")
    assert not findings["unstyled"], (
        f"text of the {name} in the browser's default font, not the layout's:\n{listed(findings['unstyled'])}")


def test_the_probe_sees_what_sticks_out_and_text_in_the_default_font(tmp_path):
    """The check itself: a table wider than a phone, a URL with nowhere to break, unstyled text."""
    url = "https://example.org/" + "x" * 50
    broken = ('<!DOCTYPE html><html><body style="margin:0;font-family:Arial,sans-serif">'
              '<table style="width:500px"><tr><td>wide table</td></tr></table><div>' + url + '</div>'
              '<p style="font-family:serif">in the default serif</p><pre>in the default monospace</pre></body></html>')
    findings = measured(tmp_path, "broken", broken, 375)
    assert findings["scrollWidth"] > 375
    assert {(o["tag"], o["text"]) for o in findings["wide"]} >= {("table", "wide table"), ("div", url)}
    assert [(o["tag"], o["text"]) for o in findings["unstyled"]] == [
        ("p", "in the default serif"), ("pre", "in the default monospace")]
