"""Score the assistant on tests/eval/questions.yaml: the test gate and `make bench` both use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

QUESTIONS = Path(__file__).with_name("questions.yaml")
DEFAULT_NOW = datetime(2026, 11, 22, tzinfo=UTC)


@dataclass
class Outcome:
    item: dict
    answer: object
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def load_items(path: Path = QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _now(item: dict) -> datetime:
    value = item.get("now")
    if value is None:
        return DEFAULT_NOW
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def judge(item: dict, answer) -> list[str]:
    problems = []
    text = answer.text.lower()
    expected_answered = item.get("answered", True)
    if expected_answered is not None and answer.answered != expected_answered:
        problems.append(f"answered={answer.answered}, expected {expected_answered}")
    if item.get("edition") and answer.edition != item["edition"]:
        problems.append(f"edition={answer.edition}, expected {item['edition']}")
    missing = [s for s in item.get("expect", []) if s.lower() not in text]
    if missing:
        problems.append(f"missing {missing}")
    if item.get("any_of") and not any(s.lower() in text for s in item["any_of"]):
        problems.append(f"none of {item['any_of']}")
    if item.get("source") and item["source"] not in {s.path for s in answer.sources}:
        problems.append(f"sources {[s.path for s in answer.sources]} lack {item['source']}")
    return problems


def evaluate(assistant, items: list[dict] | None = None) -> list[Outcome]:
    outcomes = []
    for item in items or load_items():
        answer = assistant.ask(item["q"], now=_now(item))
        outcomes.append(Outcome(item, answer, judge(item, answer)))
    return outcomes
