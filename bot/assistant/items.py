"""Questions one listed line answers: "Is circuit design a topic?", "Who wrote the Iroko paper?".

Calls for papers list their topics and accepted-papers pages list titles with authors, one per line.
A question that asks whether something is in such a list, or who wrote a listed paper, is answered
with the lines that contain everything it is about (its subject: its words, less the words of the
asking, "is … a topic of interest?", and the workshop's own name). No such line: no answer from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.assistant.explain import matches
from bot.assistant.intent import Intent
from bot.index.retrieval import QueryTerms
from bot.index.text import token_set
from bot.knowledge.derive import HEADER, PageText

MEMBERSHIP = re.compile(
    r"\b(is|are|was|were|has|have|did|can|could|do|does|would|will|may)\b.*\b(topics?(?: of interest)?|scope|fit|"
    r"welcome|accept\w*|relevant|interest\w*|eligible|suitable|appropriate|cover\w*|consider\w*)"
    r"(?: (?:for|at|by|in|here|this|you|the)\b.{0,30})?\W*$|\b(papers?|work|submissions?) (on|about)\b", re.IGNORECASE)
AUTHORSHIP = re.compile(r"\bwho (wrote|authored|presented|is behind)\b|\bauthors? of (the|this|that|a)\b"
                        r"|\bwritten by\b|^\s*(who|which)\b.*\bauthors?\b", re.IGNORECASE)
# The words of the asking, not of the subject.
FRAME = {"topic", "scope", "fit", "welcom", "accept", "relev", "interest", "elig", "suitabl", "appropri", "cover",
         "consid", "submit", "submiss", "paper", "work", "research", "area", "workshop", "wrote", "author", "written",
         "present", "behind", "titl", "call", "would", "within", "get", "have", "need", "ok", "okay", "kind", "type",
         "field", "also", "someth", "anyth", "thing", "part", "includ", "list", "show", "tell", "know", "year",
         "phd", "student", "m", "doe"}
LISTS = re.compile(r"paper|topic|interest|scope|area|theme|call|track|program", re.IGNORECASE)
MAX_LINE = 400  # longer lines are prose, not items
SUBJECT_SHARE = 0.5  # a line must hold more than this of the subject's weight (by rarity): most of it
MAX_ITEMS = 3


@dataclass
class ItemAnswer:
    items: list[tuple[PageText, str]]


def _candidates(texts: list[PageText]) -> list[tuple[PageText, str]]:
    found = []
    for text in texts:
        if text.cards or text.section == HEADER:
            continue
        listing = bool(LISTS.search(f"{text.title} {text.section}"))
        for line in text.lines:
            if len(line) <= MAX_LINE and (line.lstrip().startswith("- ") or listing):
                found.append((text, line))
    return found


def item_reply(question: str, terms: QueryTerms, intent: Intent, texts: list[PageText], own_name: set[str],
               message: QueryTerms | None = None) -> ItemAnswer | None:
    """The listed lines holding the question's subject, or None. When the question points back ("does
    *that* fit the call?"), the subject is the rest of the message (`message`)."""
    authorship = bool(AUTHORSHIP.search(question))
    if not (authorship or MEMBERSHIP.search(question)):
        return None
    source = terms
    subject = [t for t in terms.tokens if t not in FRAME and t not in own_name and not t.isdigit()]
    if not subject and message is not None:
        source = message
        subject = [t for t in message.tokens if t not in FRAME and t not in own_name and not t.isdigit()]
    if not subject:
        return None
    total = sum(source.weights.get(t, 1.0) for t in subject)
    found = []
    for text, line in _candidates(texts):
        words = token_set(line)
        held = sum(source.weights.get(t, 1.0) for t in subject if matches(t, words))
        if held / total > SUBJECT_SHARE and (not authorship or intent.satisfied_by(line, None)):
            found.append((held, text, line))
    if not found:
        return None
    best = max(held for held, _, _ in found)
    chosen = sorted(((t, line) for held, t, line in found if held == best), key=lambda item: len(item[1]))
    return ItemAnswer(chosen[:MAX_ITEMS])  # a paper's title line before its abstract
