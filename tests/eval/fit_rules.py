"""`python -m tests.eval.fit_rules`: fit the thresholds of the call-for-papers rules (bot/index/rules.json)
on the tuning sites, and report each tuning site answered with thresholds fit without it (leave one
site out).

A site is a corpus of `tests/eval` (its held-out editions set aside) or a tuning site of
`tests/eval/sites`. Every question is answered once with rules switched off, recording how close it
is to each rule and each rule's sentences; each choice of thresholds is then scored by answering the
questions a rule would take from that rule's sentences instead. The choice kept maximizes correct
answers minus twice the wrong ones (a wrong fact costs more than a decline). Held-out and fresh sites
are never looked at.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.assistant.intent import asked_clause, intent_of
from bot.assistant.rules import chosen_rules, rule_verdict
from bot.index.retrieval import QueryTerms
from bot.index.rules import RuleReader, Thresholds
from bot.knowledge.rules import Rule
from tests.eval.harness import Outcome, Score, _now, contains, evaluate, judge
from tests.eval.tuning import TuningSet, tuning_sets

RULES = Path(__file__).resolve().parents[2] / "bot" / "index" / "rules.json"
WRONG_COST = 2.0
STATES = np.arange(0.40, 0.81, 0.05)
ASKS = np.arange(0.45, 0.86, 0.05)
MARGINS = (0.0, 0.02, 0.04, 0.06, 0.08)
TIE = 0.005  # of the questions: gains closer than this are a tie
NEVER = Thresholds(states=-1.0, asks=2.0, margin=0.0)  # every candidate sentence kept, no question taken


@dataclass
class Ruled:
    """One question with rules switched off: its verdict, and what a rule would have said instead."""

    item: dict
    baseline: str  # correct, wrong or declined
    closeness: list[tuple[float, str]] = field(default_factory=list)  # to each rule; empty: none weighed
    candidates: dict[str, list[tuple[Rule, float]]] = field(default_factory=dict)  # sentences, closeness
    terms: QueryTerms | None = None
    year: int | None = None


@dataclass
class Site(TuningSet):
    ruled: list[Ruled] = field(default_factory=list)


class Recorder(RuleReader):
    """Reads every candidate sentence and takes no question, recording the questions it weighs."""

    def __init__(self, reader: RuleReader) -> None:
        super().__init__(reader.vectors, NEVER, per_rule=1000)
        self.weighed: list[np.ndarray] = []

    def asked(self, question: np.ndarray) -> str | None:
        self.weighed.append(question)
        return None


def right(item: dict, text: str) -> bool:
    if item.get("answered", True) is False:
        return False
    return (all(contains(text, s) for s in item.get("expect", []))
            and (not item.get("any_of") or any(contains(text, s) for s in item["any_of"]))
            and not any(contains(text, s) for s in item.get("forbid", [])))


def record(site: Site) -> None:
    """Each question answered with rules off, and what each rule's sentences would have said instead."""
    recorder = Recorder(site.assistant.rules)
    original, site.assistant.rules = site.assistant.rules, recorder
    site.assistant._facts.clear()
    for item in site.items:
        recorder.weighed.clear()
        answer = site.assistant.ask(item["q"], now=_now(item))
        verdict = Outcome(item, answer, judge(item, answer), site.name).verdict
        edition = site.assistant.editions.get(answer.edition) if answer.edition else None
        if not recorder.weighed or edition is None:
            site.ruled.append(Ruled(item, verdict))
            continue
        vector = recorder.weighed[0]
        found = site.assistant.facts(edition).rules
        candidates = {kind: [(rule, float(site.assistant.vectors.of([rule.text])[0] @ vector)) for rule in rules]
                      for kind, rules in found.items()}
        terms = site.assistant.retriever.search(item["q"], edition.id).terms
        site.ruled.append(Ruled(item, verdict, recorder.closeness(vector), candidates, terms, edition.year))
    site.assistant.rules = original
    site.assistant._facts.clear()


def ruled_verdict(question: Ruled, thresholds: Thresholds) -> str:
    """The verdict on `question` had rules these thresholds (as `Assistant._rule_answer` answers)."""
    if len(question.closeness) < 2 or question.terms is None:
        return question.baseline
    (best, kind), (second, _) = question.closeness[:2]
    if best < thresholds.asks or best - second < thresholds.margin:
        return question.baseline
    found = sorted((rc for rc in question.candidates.get(kind, []) if rc[0].score >= thresholds.states),
                   key=lambda rc: -rc[0].score)[:3]
    clause = asked_clause(question.item["q"])
    chosen = chosen_rules(clause, kind, [r for r, _ in found], [c for _, c in found], question.terms,
                          intent_of(clause), question.year)
    if not chosen:
        return question.baseline  # the question goes on to the other answers, as without rules
    said = rule_verdict(clause, kind, chosen, question.terms)
    return "correct" if right(question.item, " ".join(filter(None, [said, *(r.text for r in chosen)]))) else "wrong"


def gain(questions: list[Ruled], thresholds: Thresholds) -> float:
    verdicts = [ruled_verdict(q, thresholds) for q in questions]
    return verdicts.count("correct") - WRONG_COST * verdicts.count("wrong")


def fit(questions: list[Ruled], show: int = 0) -> Thresholds:
    """Of the thresholds whose gain is within TIE of the best (differences a few questions make), the
    lowest `states` (the most rules `facts` shows organizers), then the lowest `asks` and margin."""
    grid = [Thresholds(round(float(s), 3), round(float(a), 3), m) for s in STATES for a in ASKS for m in MARGINS]
    gains = {t: gain(questions, t) for t in grid}
    best = max(gains.values())
    near = sorted((t for t in grid if gains[t] >= best - TIE * len(questions)),
                  key=lambda t: (t.states, t.asks, t.margin))
    for t in sorted(grid, key=lambda t: -gains[t])[:show]:
        print(f"  gain {gains[t]:.0f}: states {t.states}, asks {t.asks}, margin {t.margin}")
    return near[0]


def tuning_sites(data: Path) -> Iterator[Site]:
    for tuning in tuning_sets(data):
        yield Site(tuning.name, tuning.assistant, tuning.items)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.fit_rules")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workshop-bot-eval")
    args = parser.parse_args()
    sites = list(tuning_sites(args.data))
    for site in sites:
        record(site)
    chosen = fit([q for site in sites for q in site.ruled], show=8)
    RULES.write_text(json.dumps({"states": chosen.states, "asks": chosen.asks, "margin": chosen.margin,
                                 "fitted_on": "tuning sites (python -m tests.eval.fit_rules)",
                                 "sites": [s.name for s in sites]}, indent=2) + "\n")
    print(f"a sentence states a rule from {chosen.states}; a question asks about one from {chosen.asks}, "
          f"by a margin of {chosen.margin}")
    print("leave one site out (each tuning site answered with thresholds fit on the others):")
    left_out = []
    for site in sites:
        site.assistant.rules.thresholds = fit([q for other in sites if other is not site for q in other.ruled])
        site.assistant._facts.clear()
        outcomes = evaluate(site.assistant, site.items, site.name)
        left_out.extend(outcomes)
        print(f"  {site.name}: {Score.of(outcomes).line()}  (rules off: "
              f"{[q.baseline for q in site.ruled].count('correct')} correct)")
    print(f"tuning sites, each left out: {Score.of(left_out).line()}")


if __name__ == "__main__":
    main()
