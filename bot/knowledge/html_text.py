"""Turn a published HTML body into sections of plain lines, the way a reader sees the page.

What a browser does not show is not knowledge: comments, scripts, footnote markers. What the
organizers struck through is superseded: `<s>Aug 22</s> Aug 29` reads "Aug 29 (extended from Aug 22)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction
from dateutil import parser as dateparser

HEADINGS = {f"h{i}" for i in range(1, 7)}
STRIKE = {"s", "del", "strike"}
INVISIBLE = {"script", "style", "sup", "img", "noscript", "template", "head", "svg", "iframe", "button"}
BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "td", "th", "blockquote", "pre", "br", "hr", "dl", "dt", "dd",
    "figure", "figcaption", "form", "details", "summary",
}
FOOTNOTES = {"footnotes", "references"}  # citation lists get a section of their own
SKIPPED_NODES = (Comment, Declaration, Doctype, ProcessingInstruction)

# Private-use characters bracket struck-through text until its line is complete.
STRUCK_OPEN, STRUCK_CLOSE = "\ue000", "\ue001"
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE = rf"{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
STRUCK_THEN_DATE = re.compile(
    rf"{STRUCK_OPEN}(?P<old>[^{STRUCK_CLOSE}]*){STRUCK_CLOSE}\s*(?P<new>{DATE})?", re.IGNORECASE
)
SPACES = re.compile(r"\s+")


@dataclass
class Section:
    """A run of lines under one heading path (`Speakers › Ion Stoica — Keynote — …`)."""

    path: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return " › ".join(self.path)


@dataclass
class Supersession:
    """One struck-through value and what replaced it (`new` is None when no date followed)."""

    old: str
    new: str | None


@dataclass
class ParsedBody:
    sections: list[Section]
    supersessions: list[Supersession]


def _change_word(old: str, new: str) -> str:
    """'extended' when the new date is later (the usual case), 'moved' when earlier."""
    try:
        new_date = dateparser.parse(new, fuzzy=True)
        old_date = dateparser.parse(old, fuzzy=True, default=new_date)
    except (ValueError, OverflowError):
        return "extended"
    return "moved" if new_date < old_date else "extended"


class _Walker:
    """Walks the tree in document order, flushing a line at every block boundary."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []  # heading path: (level, text)
        self.run: list[tuple[int, str]] = []  # consecutive headings with no content between
        self.buffer: list[str] = []
        self.list_depth = 0
        self.list_base = 0  # list depth at the last heading: misnested pages put headings in <li>
        self.supersessions: list[Supersession] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, SKIPPED_NODES):
                continue
            if isinstance(child, NavigableString):
                self.buffer.append(str(child))
                continue
            if not isinstance(child, Tag) or child.name in INVISIBLE:
                continue
            if child.name in HEADINGS:
                self.flush()
                self.heading(int(child.name[1]), child.get_text())
            elif child.name in STRIKE:
                self.buffer.append(f"{STRUCK_OPEN}{child.get_text()}{STRUCK_CLOSE}")
            elif FOOTNOTES & set(child.get("class") or ()):
                self.flush()
                self.heading(self.stack[-1][0] if self.stack else 2, "References")
                self.walk(child)
                self.flush()
            elif child.name == "li":
                self.flush()
                self.list_depth += 1
                self.walk(child)
                self.flush()
                self.list_depth -= 1
            elif child.name in BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)

    def heading(self, level: int, raw: str) -> None:
        text = SPACES.sub(" ", raw).strip().rstrip(":").strip()
        if text:
            self.run.append((level, text))
        self.list_base = self.list_depth

    def _open_section(self) -> Section:
        """Turn the pending heading run into the current section's path.

        Headings with nothing between them are one compound title (`name — role — talk`), except
        leading ones shallower than all the rest, which stay parents (`Speakers` above each talk).
        """
        run, self.run = self.run, []
        while len(run) > 1 and run[0][0] < min(level for level, _ in run[1:]):
            self._push(*run.pop(0))
        if run:
            self._push(min(level for level, _ in run), " — ".join(text for _, text in run))
        section = Section(path=[text for _, text in self.stack])
        self.sections.append(section)
        return section

    def _push(self, level: int, text: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def flush(self) -> None:
        raw, self.buffer = "".join(self.buffer), []
        line = self._resolve_struck(SPACES.sub(" ", raw).strip())
        if not line:
            return
        section = self._open_section() if self.run or not self.sections else self.sections[-1]
        depth = self.list_depth - self.list_base
        section.lines.append(f"{'  ' * (depth - 1)}- {line}" if depth > 0 else line)

    def _resolve_struck(self, line: str) -> str:
        trailing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            old = match.group("old").strip()
            new = match.group("new")
            self.supersessions.append(Supersession(old=old, new=new))
            if not old:
                return new or ""
            if new:
                return f"{new} ({_change_word(old, new)} from {old}) "
            trailing.append(old)
            return ""

        line = STRUCK_THEN_DATE.sub(replace, line)
        line = SPACES.sub(" ", line).replace(" ,", ",").replace(" .", ".").strip()
        if trailing and line:
            line += "".join(f" (previously: {old})" for old in trailing)
        return line


def parse_html(html: str) -> ParsedBody:
    """Sections and supersessions of an HTML body (a fragment or a whole document)."""
    walker = _Walker()
    walker.walk(BeautifulSoup(html, "html.parser"))
    walker.flush()
    return ParsedBody(
        sections=[s for s in walker.sections if s.lines], supersessions=walker.supersessions
    )
