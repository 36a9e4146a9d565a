"""Editions are folders: drop one in and it is indexed, and the newest becomes the default."""

from datetime import UTC, datetime

from bot.assistant.assistant import Assistant
from bot.knowledge.editions import discover

from .conftest import KNOWLEDGE, ingest_all

NEW_PAGE = """---
title: Call for Papers
---
<h2>Important Dates</h2>
<ul><li>Submission Deadline: <s>August 21, 2026</s> August 28, 2026 by midnight (Anywhere in the World)</li></ul>
<h2>Submission Instructions</h2>
<p>We welcome submissions of up to 5 pages. This year, this is a strict limit.</p>
"""


def test_the_newest_edition_is_first():
    editions = discover(KNOWLEDGE)
    assert editions.ids() == ["neurips2025", "neurips2023"]
    assert editions.default.label == "ML for Systems Workshop at NeurIPS 2025"
    assert editions.by_year(2023).id == "neurips2023"


def test_a_dropped_in_folder_without_event_yaml_becomes_the_default(store, settings):
    folder = settings.knowledge_dir / "neurips2026"
    folder.mkdir()
    (folder / "call_for_papers.html").write_text(NEW_PAGE)
    report = ingest_all(store, settings)
    assert "neurips2026/call_for_papers.html" in report.added
    assistant = Assistant.from_settings(settings, store)
    assert assistant.editions.default.label == "NeurIPS 2026"
    now = datetime(2026, 11, 22, tzinfo=UTC)
    answer = assistant.ask("How many pages can a submission have?", now=now)
    assert answer.edition == "neurips2026" and "up to 5 pages" in answer.text
    deadline = assistant.ask("When is the submission deadline?", now=now)
    assert "August 28, 2026 (extended from August 21, 2026)" in deadline.text
    assert assistant.ask("How many pages in 2025?", now=now).edition == "neurips2025"
    not_found = assistant.ask("Is there a registration fee?", now=now)
    assert not not_found.answered  # no event.yaml: the contact is looked up in the pages, if any
