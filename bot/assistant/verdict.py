"""Yes or no, when a yes/no question is settled by what the pages say: "Is the workshop archival?" —
"This workshop is non-archival": No. Only when the statement speaks of what the question names;
otherwise the statement is quoted as it is, and the asker reads it."""

from __future__ import annotations

import re

from bot.index.retrieval import QueryTerms
from bot.index.text import token_set

YES_NO = re.compile(r"^(?:is|are|am|was|were|can|could|do|does|did|will|would|should|shall|may|must|has|have|had)\b",
                    re.IGNORECASE)
NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|without|cannot|none)\b|n't\b|\bnon-", re.IGNORECASE)
SETTLED = 0.75  # of the weight of what the question names, present where the answer is read
# A yes/no question about time asks either whether something is over ("Has the deadline passed?", "Did I
# miss it?", "Should decisions be out by now?") or whether it is still ahead ("Can I still submit?").
OVER = re.compile(r"\b(?:passed|past|over|miss(?:ed)?|closed|late|too late|by now|already|out yet|expired|gone)\b",
                  re.IGNORECASE)
AHEAD = re.compile(r"\b(?:still|open|in time|time left|yet to|upcoming|not yet)\b", re.IGNORECASE)


def _named(terms: QueryTerms) -> list[str]:
    """What a question names: its words the pages use, each once."""
    return [t for t in dict.fromkeys(terms.tokens) if t not in terms.unknown and terms.weights.get(t, 0) > 0]


def _carries(text: str, named: list[str], terms: QueryTerms) -> bool:
    """Whether `text` holds most of the weight of what the question names."""
    weight = sum(terms.weights[t] for t in named)
    present = token_set(text)
    return bool(weight) and sum(terms.weights[t] for t in named if t in present) / weight >= SETTLED


def settles(question: str, context: str, said: str, terms: QueryTerms) -> str | None:
    """"Yes" or "No" when `question` asks yes or no and `context` (the statement under its heading)
    carries what it names: `said` and the question agree unless exactly one of them is negated."""
    if not YES_NO.match(question.strip()) or not _carries(context, _named(terms), terms):
        return None
    return "No" if bool(NEGATION.search(said)) != bool(NEGATION.search(question)) else "Yes"


def settles_in_time(question: str, over: bool) -> str | None:
    """"Yes" or "No" to a yes/no question asking whether something is over, or still ahead, when it is
    `over` (or not); None for a question that asks neither."""
    if not YES_NO.match(question.strip()):
        return None
    if OVER.search(question):
        return "Yes" if over else "No"
    if AHEAD.search(question):
        return "No" if over else "Yes"
    return None


def affirms(question: str, answer: str, terms: QueryTerms) -> bool:
    """Whether `answer` says yes to a yes/no question that asks whether something is so ("Is Tao Lin an
    area chair?"): what the question names is there, and no line carrying it is negated. A "no" is never
    inferred from what an answer leaves out."""
    if not YES_NO.match(question.strip()) or NEGATION.search(question):
        return False
    named = _named(terms)
    carrying = [line for line in answer.splitlines() if token_set(line) & set(named)]
    return _carries(answer, named, terms) and not any(NEGATION.search(line) for line in carrying)
