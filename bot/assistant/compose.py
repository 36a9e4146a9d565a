"""The answer without an LLM: the pages' own lines that answer the question, each with its source.

Nothing is paraphrased, so nothing can be invented. A passage answers only when it is close in
meaning to the question *and* contains the question's distinctive words, weighted by rarity (IDF):
"Is there a registration fee?" finds passages about the workshop, but none that mentions fees.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.index.retrieval import Hit, QueryTerms, Retrieval
from bot.knowledge.chunks import SENTENCE_END

MAX_PASSAGES = 3
HEADING_WEIGHT = 0.2  # a passage whose own heading names the question's words is about them
NEWS_BONUS = 0.1  # an announcement is newer than the pages it updates: prefer it when both answer
MIN_QUALITY = 0.45  # combined score a passage needs to answer
MIN_COVERAGE = 0.5  # and the share of the question's (IDF-weighted) words it must contain
MIN_SIMILARITY = 0.15  # and the cosine similarity below which it is about something else
MIN_ROOM = 100  # characters worth adding another passage for
BEST_SHARE = 0.6  # of the budget, for the best section when there are several


@dataclass
class Candidate:
    hit: Hit
    coverage: float
    heading: float
    similarity: float

    @property
    def quality(self) -> float:
        news = NEWS_BONUS if self.hit.metadata.get("kind") == "announcement" else 0.0
        return 0.5 * self.coverage + 0.5 * self.similarity + HEADING_WEIGHT * self.heading + news

    @property
    def answers(self) -> bool:
        return (self.quality >= MIN_QUALITY and self.coverage >= MIN_COVERAGE
                and self.similarity >= MIN_SIMILARITY)


@dataclass
class Composition:
    text: str
    hits: list[Hit]
    confidence: float


def _cut(text: str, budget: int) -> str:
    cut = text[: budget - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"


def _fit(line: str, terms: QueryTerms, budget: int) -> str:
    """A long line shortened to its sentences that carry the question's words, in order."""
    if len(line) <= budget:
        return line
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


def select_lines(body: str, terms: QueryTerms, budget: int) -> list[str]:
    """The body's lines that carry the question's words, in page order, within `budget` characters.

    A selected list item brings its sub-items along: "applications to:" means nothing without them.
    """
    lines = body.split("\n")
    if len(body) <= budget:
        return lines
    scores = [terms.coverage(line) for line in lines]
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
        line = _fit(lines[i], terms, room)
        picked.append(line)
        used += len(line) + 1
    return picked


def _candidates(retrieval: Retrieval) -> list[Candidate]:
    terms = retrieval.terms
    result = []
    for hit in retrieval.hits:
        heading = hit.metadata.get("section", "")
        result.append(Candidate(hit, terms.coverage(hit.text), terms.coverage(heading), hit.similarity or 0.0))
    return result


def compose(retrieval: Retrieval, budget: int) -> Composition | None:
    """The grounded answer, or None when no passage answers the question."""
    answering = sorted((c for c in _candidates(retrieval) if c.answers), key=lambda c: -c.quality)
    if not answering:
        return None
    best = answering[0]
    # A paragraph per section (several speakers, several topics), best section first; inside a
    # section, every passage that answers nearly as well as the best, in page order.
    sections: dict[tuple[str, str], list[Candidate]] = {}
    seen_bodies: set[str] = set()
    for c in answering:
        if c.quality >= best.quality - 0.1 and c.hit.body not in seen_bodies:  # pages repeat each other
            seen_bodies.add(c.hit.body)
            sections.setdefault((c.hit.metadata["source"], c.hit.metadata.get("section", "")), []).append(c)

    paragraphs, hits, used = [], [], 0
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
        lines = select_lines(body, retrieval.terms, room - len(lead) - len(marker))
        text = lead + ("\n" if lead and lines[0].lstrip().startswith("-") else "") + "\n".join(lines) + marker
        paragraphs.append(text)
        hits.append(group[0].hit)
        used += len(text) + 2
    return Composition("\n\n".join(paragraphs), hits, round(min(best.quality, 1.0), 3))
