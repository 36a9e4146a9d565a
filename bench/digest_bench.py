"""Building and rendering a digest from a week with 200 announcements and 10,000 logged questions (target < 1 s).

The questions are `bench.asked`'s: about 300 distinct questions in over a thousand wordings, asked in
public and in private, stored with the real assistant's answers. The digest is built as the running bot
builds it (`Runtime.digest_helpers()`): near-duplicate wordings merged with the real embedding model,
and answers either as stored or made afresh by the real assistant at the slot. The model is loaded and
the knowledge indexed before the clock starts: the running bot has both already.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench import asked
from bench.knowledge_bench import REPO
from bot.digest import build as digest
from bot.deliveries import EMAIL
from bot.index.ingest import ingest
from bot.outbox.keys import announcement_key
from bot.text.redact import redact
from bot.runtime import Runtime
from bot.storage.db import Database
from bot.storage.models import Announcement, OutboxMessage, OutboxStatus
from tests.conftest import make_settings

ANNOUNCEMENTS, QUESTIONS, RUNS = 200, 10_000, 5
SUBJECTS = ["Poster session moves to Hall B", "Camera-ready instructions", "Call for reviewers",
            "Invited talk added to the programme", "Travel grants: apply by Friday", "Room change for the lunch panel"]
Figures = dict[str, float | int | str]


def _announce(db: Database, since: datetime, slot: datetime) -> None:
    """200 announcements made in the period, each sent by email (only sent ones are in a digest)."""
    with db.session() as s:
        ids = s.scalars(insert(Announcement).returning(Announcement.id), [{
            "template": "general", "edition": "neurips2025", "destinations": "email", "created_by": "U0ORGANIZER",
            "variables": json.dumps({"title": f"{SUBJECTS[n % len(SUBJECTS)]} ({n})",
                                     "body": f"Details for item {n}: see the workshop page for the schedule."}),
            "text": f"Announcement {n}", "send_at": since + n * (slot - since) / ANNOUNCEMENTS, "status": "ready"}
            for n in range(ANNOUNCEMENTS)]).all()
        s.execute(insert(OutboxMessage), [{
            "key": announcement_key(i), "destination": str(EMAIL), "kind": "announcement", "edition": "neurips2025",
            "due_at": since, "body": "{}", "status": OutboxStatus.SENT} for i in ids])


def _grouped(text: str) -> str:
    """The digest's key for a wording: one group, whatever the case, punctuation or personal details."""
    return re.sub(r"[^a-z0-9 ]+", "", redact(text).lower()).strip()


def _timed(build: Callable[[], digest.Digest], render: Callable[[digest.Digest], str]) -> list[float]:
    """Seconds of each of RUNS builds and renders."""
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        render(build())
        seconds.append(time.perf_counter() - started)
    return seconds


def run() -> Figures:
    figures: Figures = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        settings = make_settings(Path(tmp_name), REPO / "knowledge", mailing_list="mlforsystems@googlegroups.com")
        runtime = Runtime(settings, deliveries={})
        ingest(runtime.open_store(), settings)  # the model and the index, as the running bot has them
        helpers = runtime.digest_helpers()
        answer, embed = helpers["answer"], helpers["embed"]
        db, editions = runtime.db, runtime.registry.editions
        slot, since = digest.slot_at(settings, datetime(2025, 8, 13, tzinfo=UTC))
        _announce(db, since, slot)
        logged = asked.logged(QUESTIONS, since, slot)
        answered = asked.store(db, logged, answer)
        embed(["warm-up"])

        eligible = db.public_answered_between(since, slot)
        wordings = len({_grouped(question.text) for question, _ in eligible})
        candidates = min(digest.CANDIDATES, wordings)
        merged = len(digest.most_asked(db, since, slot, embed=embed, limit=candidates))
        figures["questions logged / asked in public / answered / both (the digest's)"] = (
            f"{len(logged):,} / {sum(q.public for q in logged):,} / {answered:,} / {len(eligible):,}")
        figures["distinct wordings (after redaction, case and punctuation)"] = wordings
        figures["most asked wordings compared / merged into another by meaning"] = (
            f"{candidates} / {candidates - merged}")

        def render(built: digest.Digest) -> str:
            return digest.render(settings, built)

        variants = {"stored answers, merged": {"embed": embed}, "fresh answers, merged": helpers,
                    "stored answers, not merged": {}}
        for name, extra in variants.items():
            seconds = _timed(lambda extra=extra: digest.build(settings, db, editions, slot, since, **extra),
                                   render)
            figures[f"digest, {name} (s, median of {RUNS})"] = statistics.median(seconds)
            figures[f"digest, {name}: each run (s)"] = ", ".join(f"{s:.3f}" for s in seconds)
        built = digest.build(settings, db, editions, slot, since, **helpers)
        body = render(built)
        figures["digest: announcements, deadlines, questions shown"] = (
            f"{len(built.announcements)}, {len(built.deadlines)}, {len(built.questions)}")
        figures["digest: questions shown (times asked)"] = "; ".join(f"{q.text} ({q.times})" for q in built.questions)
        figures["digest: text / HTML size (KB)"] = (
            f"{len(json.loads(body)['text']) / 1024:.0f} / {len(json.loads(body)['html']) / 1024:.0f}")
    return figures
