"""Plain values as Liquid prints and sorts them, without loading python-liquid for text and nil: reading a
site's files and ordering its documents need no template engine, and python-liquid takes a tenth of a
second to import."""

from __future__ import annotations


def as_text(value: object) -> str:
    """Liquid's text of a value: `true` for True, nothing for nil, a list's items run together."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    from liquid.stringify import to_liquid_string

    return to_liquid_string(value, False)


def sort_key(value: object) -> tuple:
    """Numbers by value ahead of anything else by its text, so mixed lists still sort."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, as_text(value))
