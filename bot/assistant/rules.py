"""A question about a rule of the call for papers answered from the sentences that state it.

Which rule a question asks about, and which sentences state each rule, are read by meaning
(`bot/index/rules.py`). The sentences are then held to what the question asks, as every other answer
is: the one that carries most of the question's words and is closest to it comes first, a second joins
it when nearly as close ("long papers… / short papers…"), and none answers when it cannot hold the kind
of fact asked for ("*when* is the poster session?"), lacks what "what/which" asks for ("what *size*
should my poster be?" is not answered by where the posters go) or a facet of the rule the question
names ("is there a page limit for the *appendix*?"). Then the question goes on to the other answers.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from bot.assistant.explain import matches
from bot.assistant.intent import Intent, asked_words
from bot.assistant.verdict import settles
from bot.events.rules import kind_of
from bot.index.retrieval import QueryTerms
from bot.index.text import tokens
from bot.knowledge.rules import Rule

NEAR_RULE = 0.05  # a second sentence this close to the question joins the first
CORE = 3  # a word in this many of a rule's example questions is the rule itself ("page", "limit"), not a facet


@lru_cache(maxsize=64)
def stated_words(kind: str) -> frozenset[str]:
    """The words calls for papers state a rule in ("template", "latex", "style" of the template)."""
    return frozenset(t for sentence in kind_of(kind).states for t in tokens(sentence))


@lru_cache(maxsize=64)
def facets(kind: str) -> frozenset[str]:
    """The facets people ask about a rule, beyond the rule itself ("appendix" of the page limit, "size"
    of posters): words of its example questions that are neither in most of them nor in how the rule is
    stated. A question naming one is answered only by a sentence that speaks of it."""
    counts = Counter(t for question in kind_of(kind).asks for t in set(tokens(question)))
    return frozenset(t for t, n in counts.items() if n < CORE and t not in stated_words(kind))


def chosen_rules(clause: str, kind: str, rules: list[Rule], closeness: list[float], terms: QueryTerms,
                 intent: Intent, year: int | None) -> list[Rule]:
    """The sentences of `rules` (with their closeness to the question) that answer it, best first; []
    when none does."""
    if not rules:
        return []
    order = sorted(range(len(rules)), key=lambda i: -(terms.coverage(rules[i].text, known_only=True) + closeness[i]))
    best = order[0]
    chosen = [rules[best], *[rules[i] for i in order[1:2] if closeness[i] >= closeness[best] - NEAR_RULE
                             and not _within(rules[i].text, rules[best].text)]]  # said once, not twice
    said = " ".join(rule.text for rule in chosen)
    if not intent.satisfied_by(said, year):
        return []
    words = set(tokens(f"{kind_of(kind).label} {said}"))
    asked = [t for t in asked_words(clause) if t not in stated_words(kind)]  # "which *style file*": the rule itself
    named = [t for t in terms.tokens if t in facets(kind) and t not in terms.unknown]
    if any(not matches(t, words) for t in [*asked, *named]):
        return []
    return chosen


def _within(one: str, other: str) -> bool:
    """Whether either text holds the other (a sentence, and the paragraph it comes from)."""
    one, other = " ".join(one.split()), " ".join(other.split())
    return one in other or other in one


def rule_verdict(clause: str, kind: str, chosen: list[Rule], terms: QueryTerms) -> str | None:
    """"Yes"/"No" for a yes/no question the sentences settle, when the rule is of that kind."""
    if not chosen or not kind_of(kind).yes_no:
        return None
    return settles(clause, " ".join(f"{rule.stated.section} {rule.text}" for rule in chosen), chosen[0].text, terms)
