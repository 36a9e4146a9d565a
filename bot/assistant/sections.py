"""Questions a heading answers: "Who organizes the workshop?" is the Organizing Committee section.

When every word that matters in a question names one of the edition's headings (and the section says
something of the kind asked for), the section itself is the answer: a list of organizers, of topics,
of speakers (a run of speaker cards has a list of its own).
"""

from __future__ import annotations

import re
from collections.abc import Set
from itertools import pairwise
from dataclasses import dataclass

from bot.assistant.explain import matches
from bot.assistant.intent import Intent, asked_words
from bot.index.retrieval import QueryTerms
from bot.index.text import tokens
from bot.knowledge.derive import HEADER, PageText

# Words that ask for a list without naming what is listed.
LIST_WORDS = {"who", "what", "which", "list", "name", "member", "serv", "part", "peopl", "workshop", "edit", "year",
              "organiz", "committe", "someon", "anyon", "tell", "show", "give", "current", "main", "full", "all"}
MAX_TERMS = 3  # a question with more specific words than this asks about more than a heading
QUESTIONS_OF_A_HEADING = re.compile(r"^\s*(who|what|which|list|name|tell me|show me)\b", re.IGNORECASE)


@dataclass
class SectionAnswer:
    text: PageText
    heading: str


def _heading(text: PageText) -> str:
    return text.section.split(" › ")[-1]


def _qualified(question: str, heading: set[str], ignored: set[str]) -> bool:
    """Whether every word the question puts right before a heading word is in the heading too: "steering
    committee" is not the Organizing Committee."""
    words = re.findall(r"[\w'’-]+", question.lower())
    for before, word in pairwise(words):
        stem_of = tokens(word)
        qualifier = tokens(before)
        if stem_of and matches(stem_of[0], heading) and qualifier and qualifier[0] not in ignored \
                and not qualifier[0].isdigit() and not matches(qualifier[0], heading):
            return False
    return True


def _card(line: str, cards: PageText, texts: list[PageText]) -> PageText | None:
    """The section a line of a card list stands for: "- General Chairs (…)" is `Organization › General Chairs`."""
    return next((t for t in texts if not t.cards and t.source == cards.source
                 and t.section.startswith(f"{cards.section} › ") and line.lstrip("- ").startswith(_heading(t))), None)


def section_reply(question: str, terms: QueryTerms, intent: Intent, texts: list[PageText],
                  own_name: Set[str] = frozenset(), topics: Set[str] = frozenset()) -> SectionAnswer | None:
    """The section whose heading explains the question, or None."""
    if not QUESTIONS_OF_A_HEADING.search(question):
        return None
    ignored = (LIST_WORDS - {"organiz", "committe"}) | own_name
    content = [t for t in terms.tokens if not t.isdigit() and t not in ignored]
    if not content or len(content) > MAX_TERMS:
        return None
    for cards in (t for t in texts if t.cards):  # "who are the keynote speakers?": the keynotes of the list
        heading = set(tokens(_heading(cards)))
        chosen = tuple(line for line in cards.lines
                       if all(matches(term, heading | set(tokens(line))) for term in content))
        if chosen and len(chosen) < len(cards.lines) and any(not matches(t, heading) for t in content):
            if len(chosen) == 1 and (card := _card(chosen[0], cards, texts)) \
                    and all(matches(term, set(tokens(_heading(card)))) for term in content):
                return SectionAnswer(card, _heading(card))  # "who are the general chairs?": all of them
            return SectionAnswer(PageText(cards.source, cards.title, cards.url, cards.section, chosen, True),
                                 _heading(cards))
    headed = [t for t in texts if t.section and t.section != HEADER and t.lines
              and any(intent.satisfied_by(line, None) for line in t.lines)]
    named = [t for t in content if t in topics] or content  # "who *sat* on the steering committee?"
    asked = [t for t in asked_words(question) if t not in ignored]  # "what *size* should my poster be?"
    found = [t for t in headed if all(matches(term, set(tokens(_heading(t)))) for term in [*named, *asked])
             and _qualified(question, set(tokens(_heading(t))), ignored)]
    if not found:
        return None
    best = max(found, key=lambda t: (t.cards, len(t.lines)))
    return SectionAnswer(best, _heading(best))
