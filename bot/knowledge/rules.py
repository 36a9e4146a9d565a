"""An edition's rules as stated: a sentence of its pages, or its event.yaml's own words, for a rule of
the schema (`bot/events/rules.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.rules import kind_of
from bot.knowledge.statement import Statement


@dataclass(frozen=True)
class Rule:
    kind: str
    text: str
    stated: Statement
    score: float  # how close to the way calls for papers state the rule (1 for event.yaml's own words)


def declared_rules(declared: dict[str, str], source: str) -> dict[str, list[Rule]]:
    """An event.yaml's `rules:`, each its own statement."""
    return {kind: [Rule(kind, text, Statement(source, "Key facts", "", "Key facts", f"{kind_of(kind).label}: {text}"),
                        1.0)] for kind, text in declared.items()}
