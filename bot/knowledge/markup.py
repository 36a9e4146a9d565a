"""Markdown rendered the way Jekyll's kramdown (GFM input, its default) renders it.

What matters for reading a real site: an HTML block runs to its matching end tag, blank lines and
indentation inside it included, and stays HTML (CommonMark would end it at the first blank line and
turn the indented rest into a code block of raw markup). Python-Markdown keeps raw HTML blocks whole,
as kramdown does; its `extra` set adds kramdown's tables, definition lists, footnotes, attribute
lists and `markdown="1"`; `~~text~~` is GFM's strike-through; as in GFM, a list may start right
under a paragraph line ("Topics include:" then "- …"); and, as in kramdown, a definition's content
starts where its text does, so `: 9:00 AM` over `   : Talk` is a definition list inside a definition
(programmes are written that way), where Python-Markdown wants four spaces; and, as in kramdown, a
table's separator line need not have as many cells as its header (`|:---:|` under two columns).
"""

from __future__ import annotations

import re

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|1[.)])\s+\S")
QUOTES = re.compile(r"[ \t]*((?:>[ \t]*)*)")  # indentation and block-quote markers: where a line's content starts
LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
MAX_NESTING = 50  # lists and quotes inside each other; real pages use a handful
DEFINITION = re.compile(r"^( {0,3}):([ \t]+)(?=\S)")
DEFINITION_INDENT = 4
TABLE_ROW = re.compile(r"^ {0,3}\|")
SEPARATOR = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
CELL_BORDER = re.compile(r"(?<!\\)\|")  # where Python-Markdown expects a definition's content
EXTENSIONS = ["extra", "pymdownx.tilde"]
CONFIG = {"pymdownx.tilde": {"subscript": False}}


class NestingError(ValueError):
    """Markdown nested deeper than MAX_NESTING: refused before any renderer recurses over it."""


class _NestingLimit(Preprocessor):
    """Our own bound on how deep lists and block quotes go, so a page is refused alike whichever
    Python-Markdown is installed (some recurse once per level and overflow, newer ones do not)."""

    def run(self, lines: list[str]) -> list[str]:
        indents: list[int] = []  # where the open list items' markers stand, outermost first
        for line in lines:
            if not line.strip():
                continue
            expanded = line.expandtabs(4)
            start = QUOTES.match(expanded)
            assert start is not None  # it matches the empty string
            column = start.end()
            while indents and indents[-1] >= column:  # a line that far out closes the items it is not inside
                indents.pop()
            if LIST_MARKER.match(expanded, column):
                indents.append(column)
            if len(indents) + start.group(1).count(">") > MAX_NESTING:
                raise NestingError(f"lists or quotes inside each other, more than {MAX_NESTING} levels deep")
        return lines


class _ListsInterruptParagraphs(Preprocessor):
    """A blank line before a list that follows a paragraph line, which Markdown.pl would require."""

    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        for line in lines:
            previous = result[-1] if result else ""
            if LIST_ITEM.match(line) and previous.strip() and not LIST_ITEM.match(previous) \
                    and not previous.startswith((" ", "\t")):
                result.append("")
            result.append(line)
        return result


class _KramdownDefinitions(Preprocessor):
    """A definition (`: text`) and the lines right under it indented at least as far as its text are
    re-indented so that the text starts at column four, Python-Markdown's definition content."""

    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        shift = 0  # spaces added to the lines of the current definition; 0 outside one
        column = 0  # where its text starts
        for line in lines:
            indent = len(line) - len(line.lstrip(" "))
            if (match := DEFINITION.match(line)) and not (shift and indent >= column):
                column = len(match.group(0).expandtabs(DEFINITION_INDENT))
                shift = max(DEFINITION_INDENT - column, 0)
                result.append(f"{match.group(1)}:{' ' * (DEFINITION_INDENT - len(match.group(1)) - 1)}"
                              f"{line[match.end():]}" if shift else line)
            elif shift and line.strip() and indent >= column:
                result.append(" " * shift + line)
            else:
                shift = 0
                result.append(line)
        return result


def _cells(row: str) -> int:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return len(CELL_BORDER.split(inner))


class _KramdownTables(Preprocessor):
    """A table's separator line given as many cells as its widest row: kramdown renders `| a | b |`
    over `|:---:|` as a two-column table, Python-Markdown as a paragraph of pipes."""

    def run(self, lines: list[str]) -> list[str]:
        result = list(lines)
        start = 0
        while start < len(result):
            if not TABLE_ROW.match(result[start]):
                start += 1
                continue
            end = start
            while end < len(result) and TABLE_ROW.match(result[end]):
                end += 1
            if end - start > 2 and SEPARATOR.match(result[start + 1]):
                width = max(_cells(row) for i, row in enumerate(result[start:end]) if i != 1)
                if _cells(result[start + 1]) < width:
                    result[start + 1] = "|" + "|".join(["---"] * width) + "|"
            start = end
        return result


class _GFMLists(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After raw HTML and fenced code are stashed (priorities 20 and 25): only Markdown lines remain.
        md.preprocessors.register(_NestingLimit(md), "nesting_limit", 16)
        md.preprocessors.register(_ListsInterruptParagraphs(md), "gfm_lists", 15)
        md.preprocessors.register(_KramdownDefinitions(md), "kramdown_definitions", 14)
        md.preprocessors.register(_KramdownTables(md), "kramdown_tables", 13)


def markdown_to_html(text: str) -> str:
    """One renderer per call: Python-Markdown instances keep state between documents."""
    return markdown.Markdown(extensions=[*EXTENSIONS, _GFMLists()], extension_configs=CONFIG).convert(text)
