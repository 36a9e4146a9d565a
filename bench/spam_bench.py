"""SpamAssassin's score of each kind of email the bot sends (target: at most 1.0 each).

Each message is made by the bot's own path, from the outbox to the bytes of its .eml file: announcements
recorded as an organizer makes them (a general one, and a deadline extension carrying its calendar event),
a deadline reminder as the scheduler renders it, and the digest of a week as `digest.queue` builds it,
with the real assistant's answers; From with a display name, the list headers, DKIM-signed with a key made
for the run. SpamAssassin runs in local mode (`-L`): no DNS, so the signature cannot be checked and no
network rule runs. Each message and its report are kept in bench/results/spam/.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench import asked
from bench.knowledge_bench import REPO
from bot.digest import build as digest
from bot.announcements.compose import prepare
from bot.announcements.records import record
from bot.config import Settings
from bot.deliveries import EMAIL
from bot.index.ingest import ingest
from bot.runtime import Runtime
from bot.scheduler.messages import render_for
from bot.scheduler.planner import plan
from bot.storage.models import OutboxMessage
from tests.conftest import make_settings

TARGET = 1.0
SELECTOR, DOMAIN = "bot2025", "mlforsystems.org"
NOW = datetime(2025, 8, 13, 12, tzinfo=UTC)  # a week before the submission deadline, as the knowledge has it
QUESTIONS = 600
OUT = Path(__file__).with_name("results") / "spam"
RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
Figures = dict[str, float | int | str]


def _dkim_key(key_file: Path) -> bytes:
    """Write a fresh private key to `key_file`; its DKIM TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _settings(data: Path, key_file: Path) -> Settings:
    """Mail as a workshop would configure it, signed with the run's key."""
    return make_settings(data, REPO / "knowledge", mail_from="ML for Systems Workshop <bot@mlforsystems.org>",
                         mailing_list="ML for Systems <mlforsystems@googlegroups.com>",
                         mail_reply_to="ML for Systems organizers <organizers@mlforsystems.org>",
                         list_unsubscribe_url="https://mlforsystems.org/mailing-list/unsubscribe",
                         list_help_url="https://mlforsystems.org/mailing-list",
                         list_archive_url="https://groups.google.com/g/mlforsystems",
                         dkim_selector=SELECTOR, dkim_domain=DOMAIN, dkim_key_file=key_file)


def _sent(runtime: Runtime, row: OutboxMessage | None) -> bytes:
    """Send a row as the bot does (no SMTP_HOST: to a .eml file) and return the file's bytes."""
    assert row is not None
    assert runtime.sender.send(row.id) == "sent", runtime.outbox.of_key(row.key)[0].last_error
    [sent] = runtime.outbox.of_key(row.key)
    return Path(sent.external_id or "").read_bytes()


def _announcement(runtime: Runtime, template: str, variables: dict[str, str], at: datetime) -> bytes:
    settings, editions = runtime.settings, runtime.registry.editions
    prepared = prepare(settings, editions, template, variables, ["email"], at=at)
    announcement = record(runtime.db, runtime.outbox, prepared, "U0ORGANIZER", settings.prompts_dir,
                          settings.mail_from, editions=editions)
    [row] = [r for r in runtime.outbox.of_key(f"announcement:{announcement.id}") if r.destination == str(EMAIL)]
    return _sent(runtime, row)


def _reminder(runtime: Runtime) -> bytes:
    """The submission deadline's first reminder, rendered for email as the scheduler renders it when it falls due."""
    message = next(m for m in plan(runtime.registry.editions, runtime.settings)
                   if m.kind == "deadline_reminder" and m.deadline == "submission" and m.edition == "neurips2025")
    return _sent(runtime, runtime.outbox.add(
        key=message.key, destination=EMAIL, kind=message.kind, edition=message.edition, due_at=message.due,
        body=render_for(runtime.settings.prompts_dir, message, EMAIL)))


def _digest(runtime: Runtime) -> bytes:
    """The digest of the week before NOW: the announcements above, and QUESTIONS logged questions."""
    helpers = runtime.digest_helpers()
    ingest(runtime.open_store(), runtime.settings)
    slot, since = digest.slot_at(runtime.settings, NOW)
    asked.store(runtime.db, asked.logged(QUESTIONS, since, slot), helpers["answer"])
    queued = digest.queue(runtime.settings, runtime.db, runtime.outbox, runtime.registry.editions, NOW, **helpers)
    return _sent(runtime, queued.row)


def messages(runtime: Runtime) -> dict[str, bytes]:
    """Each kind of email, as raw bytes."""
    slot, since = digest.slot_at(runtime.settings, NOW)
    middle = since + (slot - since) / 2
    return {
        "announcement": _announcement(runtime, "general", {
            "title": "Poster session moves to Hall B",
            "body": "The poster session on December 6 is now in Hall B, on the upper level of the convention "
                    "center. Posters can be put up from 8:30; please take them down by 17:00."}, since),
        "announcement, deadline extended (.ics)": _announcement(runtime, "deadline_extended", {
            "deadline": "Paper submission", "new_date": "August 29, 2025", "old_date": "August 22, 2025",
            "note": "Submissions stay open on OpenReview until then."}, middle),
        "deadline reminder (.ics)": _reminder(runtime),
        "digest": _digest(runtime),
    }


def score(raw: bytes) -> tuple[float, list[tuple[float, str, str]]]:
    """SpamAssassin's score in local mode, and the rules hit: (points, name, description)."""
    report = subprocess.run(["spamassassin", "-L", "-t"], input=raw, capture_output=True, check=True,
                            timeout=300).stdout.decode("utf-8", "replace")
    points = re.search(r"Content analysis details:\s+\((-?\d+(?:\.\d+)?) points", report)
    if points is None:
        raise RuntimeError(f"no SpamAssassin report in its output: {report[-500:]!r}")
    table = report[points.end():].split("\n---- ", 1)[1].split("\n", 1)[1]
    rules = []
    for line in table.splitlines():
        if match := RULE.match(line):
            rules.append((float(match.group(1)), match.group(2), match.group(3).strip()))
        elif line.startswith(" " * 10) and rules:  # a description's continuation line
            rules[-1] = (*rules[-1][:2], f"{rules[-1][2]} {line.strip()}")
        elif not line.strip():
            break
    return float(points.group(1)), rules


def run() -> Figures:
    if shutil.which("spamassassin") is None:
        return {"skipped": "spamassassin is not installed (Debian package `spamassassin`): no scores"}
    figures: Figures = {}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        published = _dkim_key(tmp / "dkim.pem")
        runtime = Runtime(_settings(tmp / "data", tmp / "dkim.pem"))

        def txt(name: bytes, timeout: float = 5) -> bytes | None:  # the record the domain would publish
            return published if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

        for kind, raw in messages(runtime).items():
            points, rules = score(raw)
            name = re.sub(r"[^a-z]+", "-", kind).strip("-")
            (OUT / f"{name}.eml").write_bytes(raw)
            (OUT / f"{name}.rules.txt").write_text("".join(f"{p:5.1f} {r} {d}\n" for p, r, d in rules))
            figures[f"{kind}: score (target <= {TARGET})"] = points
            figures[f"{kind}: rules hit"] = ", ".join(f"{r} {p:g}" for p, r, _ in rules)
            figures[f"{kind}: size (KB)"] = len(raw) / 1024
            figures[f"{kind}: DKIM verifies with the run's key"] = "yes" if dkim.verify(raw, dnsfunc=txt) else "NO"
    return figures
