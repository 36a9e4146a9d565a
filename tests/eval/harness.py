"""Score the assistant on labelled questions: the test gates and `make bench` both use it.

Each corpus is a knowledge root and the questions asked over it. Editions are split once, before any
tuning, into those the answer decision may be fit on (TUNING) and those only ever reported (HELD_OUT):
the gap between the two scores is the measure of how well answers generalize.

A correct answer contains every `expect` string (and one `any_of`), none of `forbid`, and is about the
right edition; an unanswerable question is correct when declined. A declined answerable question is a
*false decline*; any other failure of an answered question is a *wrong fact*, which is worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

EVAL = Path(__file__).parent
REPO = EVAL.parent.parent
QUESTIONS = EVAL / "questions.yaml"
SITES = REPO / "tests" / "fixtures" / "sites"
DEFAULT_NOW = datetime(2026, 11, 22, tzinfo=UTC)


@dataclass(frozen=True)
class Corpus:
    name: str
    root: Path
    files: tuple[Path, ...]


CORPORA = {
    "seed": Corpus("seed", REPO / "knowledge", (QUESTIONS,)),
    "knowledge": Corpus("knowledge", REPO / "knowledge", (EVAL / "dev" / "knowledge.yaml",)),
    "mlforsystems": Corpus("mlforsystems", SITES / "mlforsystems",
                           (EVAL / "dev" / "mlforsystems-a.yaml", EVAL / "dev" / "mlforsystems-b.yaml")),
    "verifai": Corpus("verifai", SITES / "verifai", (EVAL / "dev" / "verifai.yaml",)),
    "sysml-built": Corpus("sysml-built", SITES / "sysml-built", (EVAL / "dev" / "sysml-built.yaml",)),
}
# Questions over several corpora, each naming its own. Each held-out set was written blind, after the
# failures of the one before it had been inspected to find bugs: v2's have been since, v3's never are.
SHARED = (EVAL / "dev" / "tuning-extra.yaml", EVAL / "dev" / "heldout-v2.yaml", EVAL / "dev" / "heldout-v3.yaml")
FRESH = "heldout-v3.yaml"
HELD_OUT = {("mlforsystems", "neurips2021"), ("mlforsystems", "isca2019"), ("verifai", "iclr2025"),
            ("sysml-built", "mlsys2026")}

MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december"]
MONTH_ABBREVIATION = re.compile(r"\b(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?")
ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
CLOCK = re.compile(r"\b(\d{1,2}):(\d\d)\s*([ap])\.?\s?m\b\.?")
EXTENSION_NOTE = re.compile(r"\((?:extended|moved) from [^)]*\)|\(previously: [^)]*\)"
                            r"|extended from [a-z]+ \d+(, \d{4})?")


def normalize(text: str) -> str:
    """What a human judge ignores: case, spacing, dashes, "Dec 16th" vs "December 16", "9:05AM" vs "09:05"."""
    text = text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-")
    text = MONTH_ABBREVIATION.sub(lambda m: next(n for n in MONTH_NAMES if n.startswith(m.group(1)[:3])), text)
    text = ORDINAL.sub(r"\1", text)

    def clock(m: re.Match[str]) -> str:
        hour = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
        return f"{hour}:{m.group(2)}"

    text = CLOCK.sub(clock, text)
    text = re.sub(r"\b0(\d):(\d\d)\b", r"\1:\2", text)
    return re.sub(r"\s+", " ", text).strip()


def contains(text: str, expected: str) -> bool:
    """`expected` in `text` after normalizing both; a number is not matched inside a longer one. A
    clock time given without am/pm ("5:15") is matched in the morning or the afternoon."""
    needle = normalize(expected)
    needles = [needle]
    if (bare := re.fullmatch(r"(\d{1,2}):(\d\d)", needle)) and 1 <= int(bare.group(1)) < 12:
        needles.append(f"{int(bare.group(1)) + 12}:{bare.group(2)}")
    haystack = normalize(text)
    for candidate in needles:
        left = r"(?<!\d)" if candidate[:1].isdigit() else ""
        right = r"(?!\d)" if candidate[-1:].isdigit() else ""
        if re.search(left + re.escape(candidate) + right, haystack):
            return True
    return False


@dataclass
class Outcome:
    item: dict
    answer: object
    problems: list[str]
    corpus: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def answerable(self) -> bool:
        return self.item.get("answered", True) is not False

    @property
    def verdict(self) -> str:
        """correct, wrong (a wrong fact, or an answer where the pages hold none) or declined (falsely)."""
        if self.passed:
            return "correct"
        return "declined" if self.answerable and not self.answer.answered else "wrong"

    @property
    def held_out(self) -> bool:
        return (self.corpus, self.item.get("edition")) in HELD_OUT

    @property
    def split(self) -> str:
        """seed, tuning, held-out (its failures were inspected for bugs) or fresh (never inspected)."""
        if self.corpus == "seed":
            return "seed"
        if self.item.get("fresh"):
            return "fresh"
        return "held-out" if self.held_out else "tuning"


def load_items(path: Path = QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def corpus_items(corpus: Corpus) -> list[dict]:
    """The corpus's own questions, and those of the shared files that name it (`corpus:`); each item
    names its file (`set`)."""
    own = [{**item, "set": path.name} for path in corpus.files for item in load_items(path)]
    shared = [{**item, "set": path.name, "fresh": path.name == FRESH} for path in SHARED if path.exists()
              for item in load_items(path) if item.get("corpus") == corpus.name]
    return own + shared


def _now(item: dict) -> datetime:
    value = item.get("now")
    if value is None:
        return DEFAULT_NOW
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def judge(item: dict, answer) -> list[str]:
    problems = []
    text = answer.text
    expected_answered = item.get("answered", True)
    if expected_answered is not None and answer.answered != expected_answered:
        problems.append(f"answered={answer.answered}, expected {expected_answered}")
    if item.get("edition") and answer.answered and answer.edition != item["edition"]:
        problems.append(f"edition={answer.edition}, expected {item['edition']}")
    if answer.answered and expected_answered is not False:
        missing = [s for s in item.get("expect", []) if not contains(text, s)]
        if missing:
            problems.append(f"missing {missing}")
        if item.get("any_of") and not any(contains(text, s) for s in item["any_of"]):
            problems.append(f"none of {item['any_of']}")
        current = EXTENSION_NOTE.sub("", normalize(text))
        if forbidden := [s for s in item.get("forbid", []) if contains(current, s)]:
            problems.append(f"states {forbidden}")
    if item.get("source") and item["source"] not in {s.path for s in answer.sources}:
        problems.append(f"sources {[s.path for s in answer.sources]} lack {item['source']}")
    return problems


def evaluate(assistant, items: list[dict] | None = None, corpus: str = "") -> list[Outcome]:
    outcomes = []
    for item in load_items() if items is None else items:
        answer = assistant.ask(item["q"], now=_now(item))
        outcomes.append(Outcome(item, answer, judge(item, answer), corpus))
    return outcomes


@dataclass
class Score:
    """Correct share, with the two kinds of failure counted apart."""

    total: int
    correct: int
    wrong: int
    declined: int
    unanswerable: int
    unanswerable_declined: int

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Score:
        verdicts = [o.verdict for o in outcomes]
        return cls(len(outcomes), verdicts.count("correct"), verdicts.count("wrong"), verdicts.count("declined"),
                   sum(not o.answerable for o in outcomes),
                   sum(not o.answerable and not o.answer.answered for o in outcomes))

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def line(self) -> str:
        return (f"{self.correct}/{self.total} correct ({self.accuracy:.0%}), {self.wrong} wrong, "
                f"{self.declined} falsely declined; unanswerable declined {self.unanswerable_declined}/"
                f"{self.unanswerable}")
