"""The assistant pane's suggested questions: built from what the pages state now, and each one answered."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.assistant.suggestions import suggestions
from bot.knowledge.derive import EditionFacts


def test_the_suggestions_follow_the_calendar_and_are_all_answered(corpus_assistants):
    assistant = corpus_assistants("verifai")
    edition = assistant.editions.default
    months_before = datetime(2024, 12, 28, tzinfo=UTC)
    offered = assistant.suggest(edition, months_before)
    assert offered == ["When is the paper submission deadline?", "How many pages can my paper be?",
                       "What is the programme?", "Where is the workshop held?"]
    for question in offered:
        answer = assistant.ask(question, edition=edition.id, now=months_before)
        assert answer.answered and answer.sources, (question, answer.text)
    on_the_day = datetime(2025, 4, 27, 9, tzinfo=UTC)
    assert assistant.suggest(edition, on_the_day) == ["What is the programme?", "Where is the workshop held?"]


def test_a_question_the_assistant_would_decline_is_not_suggested(corpus_assistants):
    assistant = corpus_assistants("verifai")
    facts = assistant.facts(assistant.editions.default)
    now = datetime(2024, 12, 28, tzinfo=UTC)
    kept = suggestions(facts, now, assistant.settings.prompts_dir, answered=lambda q: "programme" not in q)
    assert "What is the programme?" not in kept and len(kept) == 3


def test_pages_that_state_nothing_suggest_nothing(shared_settings):
    assert suggestions(EditionFacts("empty2030"), datetime(2030, 1, 1, tzinfo=UTC), shared_settings.prompts_dir) == []
