"""The answer without an LLM: the pages' own lines that answer the question, each with its source.

Nothing is paraphrased, so nothing can be invented. Which passages answer is decided by the fitted
model of `decision.py`; a passage that cannot hold the kind of fact asked for (a time for "what time",
a place for "where") never answers, and a list of cards (the speakers) answers only "who/which".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.assistant.decision import AnswerModel, measure
from bot.assistant.intent import Intent
from bot.index.retrieval import Hit, QueryTerms, Retrieval
from bot.index.text import stem, tokens
from bot.knowledge.chunks import SENTENCE_END

MAX_PASSAGES = 3
# "How long can a paper be?" is answered by "8 pages": units count whatever the question names.
UNITS = {"page", "minut", "hour", "day", "week", "word", "slide", "charact", "author", "poster"}
LINE_LABEL = re.compile(r"^(?:- )?(?:[^.:]{2,60}:\s){1,2}")
COUNTED = re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)(?:-|\s+(?:[\w-]+\s+){0,2})"
                     r"(?P<noun>[a-z]+)", re.IGNORECASE)
SAME_QUESTION = 0.75  # share of each question's words the other contains: the same question, reworded
FAQ_PROBABILITY = 0.95  # an organizer wrote this answer to this question
NEAR_BEST = 0.15  # passages this close to the best one's probability join the answer
MIN_ROOM = 100  # characters worth adding another passage for
BEST_SHARE = 0.6  # of the budget, for the best section when there are several


@dataclass
class Candidate:
    hit: Hit
    probability: float


@dataclass
class Composition:
    text: str
    hits: list[Hit]
    confidence: float


def _cut(text: str, budget: int) -> str:
    cut = text[: budget - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"


def fit_line(line: str, terms: QueryTerms, budget: int) -> str:
    """A long line shortened to its sentences that carry the question's words, in order; its own label
    ("Special Theme: LLMs for Code Generation: …") always stays."""
    if len(line) <= budget:
        return line
    label = LINE_LABEL.match(line)
    if label and len(label.group(0)) < budget // 2:
        return label.group(0) + fit_line(line[label.end():], terms, budget - len(label.group(0)))
    sentences = SENTENCE_END.split(line)
    keep: set[int] = set()
    used = 0
    for i in sorted(range(len(sentences)), key=lambda i: -terms.coverage(sentences[i])):
        if used + len(sentences[i]) + 1 <= budget:
            keep.add(i)
            used += len(sentences[i]) + 1
    if not keep:
        return _cut(line, budget)
    return " ".join(sentences[i] for i in sorted(keep))


def select_lines(body: str, terms: QueryTerms, budget: int, intent: Intent | None = None) -> list[str]:
    """The body's lines that carry the question's words (and the kind of fact asked for), in page
    order, within `budget` characters. A selected list item brings its sub-items along."""
    lines = body.split("\n")
    if len(body) <= budget:
        return lines
    scores = [terms.coverage(line) + (0.5 if intent and intent.satisfied_by(line, None) and
                                      (intent.when or intent.clock or intent.where) else 0.0) for line in lines]
    chosen: set[int] = set()
    for i, score in sorted(enumerate(scores), key=lambda item: -item[1]):
        if score <= 0:
            break
        chosen.add(i)
        indent = len(lines[i]) - len(lines[i].lstrip())
        introduces = lines[i].endswith(":")
        j = i + 1
        while j < len(lines) and (len(lines[j]) - len(lines[j].lstrip()) > indent
                                  or (introduces and lines[j].lstrip().startswith("-"))):
            chosen.add(j)
            j += 1
    picked, used = [], 0
    for i in sorted(chosen) if chosen else range(len(lines)):
        room = budget - used
        if room < 40:
            break
        line = fit_line(lines[i], terms, room)
        picked.append(line)
        used += len(line) + 1
    return picked


def counts_asked(line: str, terms: QueryTerms) -> bool:
    """Whether `line` gives a number of something the question asks about ("up to 4 pages")."""
    return any(stem(m.group("noun")) in terms.tokens or stem(m.group("noun")) in UNITS for m in COUNTED.finditer(line))


def same_question(terms: QueryTerms, asked: str) -> bool:
    """Whether an FAQ entry was asked as `asked` was: each covers most of the other's words."""
    theirs = QueryTerms(tokens(asked), {t: 1.0 for t in tokens(asked)})
    return terms.coverage(asked) >= SAME_QUESTION and theirs.coverage(" ".join(terms.tokens)) >= SAME_QUESTION


def candidates(retrieval: Retrieval, intent: Intent, model: AnswerModel) -> list[Candidate]:
    """Every retrieved passage that may answer, with the model's probability that it does; an
    organizer's FAQ answer to the same question is certain."""
    result = []
    for hit in retrieval.hits:
        if hit.metadata.get("kind") == "faq" and same_question(retrieval.terms, hit.metadata.get("section", "")):
            result.append(Candidate(hit, FAQ_PROBABILITY))
            continue
        if hit.metadata.get("cards") and not (intent.who or intent.listing):
            continue
        lines = hit.body.split("\n")
        if not any(intent.satisfied_by(line, None) for line in lines):
            continue
        if intent.count and not intent.money and not any(counts_asked(line, retrieval.terms) for line in lines):
            continue  # "6 speakers" does not say how many papers (an amount of money counts itself: "$600")
        result.append(Candidate(hit, model.probability(measure(hit, retrieval.terms))))
    return sorted(result, key=lambda c: -c.probability)


def compose(retrieval: Retrieval, intent: Intent, model: AnswerModel, budget: int) -> Composition | None:
    """The grounded answer, or None when no passage answers the question."""
    ranked = candidates(retrieval, intent, model)
    if not ranked or ranked[0].probability < model.threshold:
        return None
    best = ranked[0]
    # A paragraph per section (several speakers, several topics), best section first; inside a
    # section, every passage that answers nearly as well as the best, in page order.
    sections: dict[tuple[str, str], list[Candidate]] = {}
    seen_bodies: set[str] = set()
    for c in ranked:
        if c.probability >= max(model.threshold, best.probability - NEAR_BEST) and c.hit.body not in seen_bodies:
            seen_bodies.add(c.hit.body)  # pages repeat each other (a masthead on every page)
            sections.setdefault((c.hit.metadata["source"], c.hit.metadata.get("section", "")), []).append(c)

    paragraphs: list[str] = []
    hits: list[Hit] = []
    used = 0
    chosen = list(sections.items())[:MAX_PASSAGES]
    for n, ((_, section), group) in enumerate(chosen):
        # The best section gets most of the room; the rest share what it leaves.
        share = BEST_SHARE if n == 0 and len(chosen) > 1 else 1 / (len(chosen) - n)
        room = int((budget - used) * share)
        if room < MIN_ROOM:
            break
        group.sort(key=lambda c: c.hit.metadata["position"])
        body = "\n".join(c.hit.body for c in group)
        heading = section.split(" › ")[-1] if section else ""
        marker = f" [{len(paragraphs) + 1}]"
        lead = f"{heading}: " if heading and heading.lower() not in body.lower() else ""
        lines = select_lines(body, retrieval.terms, room - len(lead) - len(marker), intent)
        if not lines:
            continue
        text = lead + ("\n" if lead and lines[0].lstrip().startswith("-") else "") + "\n".join(lines) + marker
        paragraphs.append(text)
        hits.append(group[0].hit)
        used += len(text) + 2
    return Composition("\n\n".join(paragraphs), hits, round(best.probability, 3))
