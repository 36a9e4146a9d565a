"""Issue 5 figure: building a digest from 200 announcements and 10,000 logged questions (target < 1 s)."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.knowledge_bench import REPO
from bot import digest
from bot.knowledge.editions import discover
from bot.storage.db import Database
from bot.storage.models import Announcement, Question
from tests.conftest import make_settings

ANNOUNCEMENTS, QUESTIONS = 200, 10_000


def run() -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as tmp_name:
        settings = make_settings(Path(tmp_name), REPO / "knowledge", mailing_list="list@example.org")
        db = Database.from_settings(settings)
        slot, since = digest.slot_at(settings, datetime(2025, 8, 13, tzinfo=UTC))
        step = (slot - since) / QUESTIONS
        with db.session() as s:
            s.execute(insert(Announcement), [{
                "template": "general", "variables": "{}", "text": f"Announcement {n}: room {n} changes.",
                "destinations": "slack", "edition": "neurips2025",
                "send_at": since + n * (slot - since) / ANNOUNCEMENTS,
                "created_by": "bench", "status": "ready"} for n in range(ANNOUNCEMENTS)])
            s.execute(insert(Question), [{
                "via": "mention", "text": f"Question number {n % 300}?", "answer": f"Answer {n % 300}.",
                "answered": n % 7 != 0, "created_at": since + n * step} for n in range(QUESTIONS)])
        started = time.perf_counter()
        built = digest.build(settings, db, discover(settings.knowledge_dir), slot, since)
        body = json.loads(digest.render(settings, built))
        elapsed = time.perf_counter() - started
    return {"digest from 200 announcements + 10,000 questions (s)": elapsed,
            "digest: announcements, questions shown": f"{len(built.announcements)}, {len(built.questions)}",
            "digest: HTML size (KB)": len(body["html"]) / 1024}
