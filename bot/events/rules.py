"""The rules a call for papers states (page limit, template, anonymity, archival status, …), as a schema.

`rules.yaml` defines each rule: how people ask about it, how calls for papers state it, and the kind
of value a stating sentence carries. An edition's event.yaml may state any of them (`rules:`), and
which sentence of its pages states which rule is read by meaning (`bot/index/rules.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml


@dataclass(frozen=True)
class RuleKind:
    id: str
    label: str
    yes_no: bool  # it settles yes/no questions ("Is review double-blind?")
    carries: re.Pattern[str]
    asks: tuple[str, ...]
    states: tuple[str, ...]


@lru_cache(maxsize=1)
def rule_kinds() -> tuple[RuleKind, ...]:
    """The schema, in the order `workshop-bot facts` lists it."""
    data = yaml.safe_load((files("bot.events") / "rules.yaml").read_text(encoding="utf-8"))
    return tuple(RuleKind(id=name, label=spec["label"], yes_no=bool(spec.get("yes_no")),
                          carries=re.compile(spec["carries"], re.IGNORECASE), asks=tuple(spec["asks"]),
                          states=tuple(spec["states"])) for name, spec in data.items())


def rule_ids() -> list[str]:
    return [kind.id for kind in rule_kinds()]


def kind_of(rule_id: str) -> RuleKind:
    return next(kind for kind in rule_kinds() if kind.id == rule_id)
