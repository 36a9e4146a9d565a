"""A page's template that cannot be rendered: raised while rendering, reported with the page."""

from __future__ import annotations


class LiquidError(ValueError):
    """A template that cannot be rendered. str() is 'line N: problem' (line within the page body)."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem if line is None else f"line {line}: {problem}")
        self.line = line
        self.problem = problem
