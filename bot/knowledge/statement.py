"""Where a fact is stated: what every derived fact and every rule points back to, so answers can cite it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    """Where a fact is stated: the page, its section, and the line itself."""

    source: str
    title: str
    url: str
    section: str
    line: str
