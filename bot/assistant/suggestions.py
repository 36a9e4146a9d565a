"""The questions offered when someone opens the assistant pane: the few that matter now for the edition
they are looking at, built from what its pages state (the next deadline still ahead, what a submission
must be while papers are due, the programme, where it is), worded in
`prompts/assistant/suggestions.txt.j2`, and each one kept only if the assistant answers it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.events.rules import kind_of
from bot.knowledge.derive import EditionFacts
from bot.knowledge.facts import deadline_facts
from bot.templates import render

MAX_SUGGESTIONS = 4  # what the pane shows
SUBMISSION_RULES = ("page_limit", "template", "file_format", "anonymity", "submission_site")


def suggestions(facts: EditionFacts, now: datetime, prompts_dir: Path,
                answered: Callable[[str], bool] = lambda question: True) -> list[str]:
    """At most four questions, the most pressing first; none when the pages state nothing to ask about."""
    soonest_first = sorted(facts.deadlines, key=lambda d: d.due)
    ahead = [d.id for d, fact in zip(soonest_first, deadline_facts(soonest_first, now), strict=True)
             if not fact.passed]
    rule = next((kind for kind in SUBMISSION_RULES if facts.rules.get(kind)), None)
    day = facts.date.value if facts.date else None
    text = render(prompts_dir, "assistant/suggestions.txt.j2", deadlines=ahead,
                  rule_question=kind_of(rule).asks[0] if rule and ahead else None,  # while papers are due
                  programme=bool(facts.programme), today=day is not None and day == now.date(),
                  venue=facts.venue is not None)
    candidates = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    return [question for question in candidates if answered(question)][:MAX_SUGGESTIONS]
