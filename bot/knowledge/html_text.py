"""Turn published HTML into sections of plain lines, the way a reader sees the page in a browser.

The HTML is parsed by libxml2's HTML parser (lxml), which reads minified pages with omitted end tags
(`</li>`, `</dd>`, `</head>`) as a browser does, in time linear in their size however deep they nest.
What a browser does not show, or shows on every page, is not knowledge: comments, scripts, styles,
form controls, navigation, sidebars of links and footers. A table row is one line ("9:05 AM: Keynote:
Ada Lovelace (Analytical Engines)"), and so is a definition-list item. What the organizers struck
through is superseded: `<s>Aug 22</s> Aug 29` reads "Aug 29 (extended from Aug 22)". The walk is
iterative: no nesting depth can exhaust the stack.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, PageElement, ProcessingInstruction
from dateutil import parser as dateparser

from bot.knowledge.dates import names_a_day
from bot.knowledge.markup import NestingError

LIBXML_DEPTH = 256  # libxml2 builds no deeper tree (without its "huge" option)
INLINE_TAG = re.compile(r"</?(?:span|b|i|em|strong|font|a|small|big|u|code|mark|abbr|cite|q|sub|label|tt|kbd|var|"
                        r"samp|bdi|bdo|time|data)(?:\s[^>]*)?/?>", re.IGNORECASE)
HEADINGS = {f"h{i}" for i in range(1, 7)}
ROW_GROUPS = ["thead", "tbody", "tfoot"]
STRIKE = {"s", "del", "strike"}
INVISIBLE = {
    "script", "style", "sup", "img", "noscript", "template", "svg", "iframe", "button", "select", "option",
    "datalist", "input", "textarea", "meta", "link", "title", "object", "embed", "canvas", "audio", "video",
}
BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "li",
    "blockquote", "pre", "hr", "dl", "dt", "dd", "figure", "figcaption", "form", "details", "summary",
    "address", "center", "body", "table", "tr", "td", "th", "caption", "thead", "tbody", "tfoot",
}
FOOTNOTES = {"footnotes", "references"}  # citation lists get a section of their own
# Class or id words that mark site chrome rather than the page's own content.
CHROME_WORDS = {"nav", "navbar", "navigation", "menu", "sidebar", "footer", "breadcrumb", "breadcrumbs",
                "skip", "share", "sharing", "social", "cookie", "cookies", "toc", "pagination"}
CHROME_ROLES = {"navigation", "contentinfo", "search", "menubar", "menu"}
# A "menu" or "footer" holding more of the page's text than this is the page itself, as a browser shows it
# (an unclosed <nav> that swallows the content, a layout box named "footer-wrap"): only the chrome within
# it goes.
CHROME_MAX_SHARE = 0.5
LINK_DENSE = 0.5  # share of a box's text inside links above which it is navigation, not prose
GENERIC_LINK_TEXT = {"here", "link", "this link", "click here", "this", "website", "this page", "page"}
SKIPPED_NODES = (Comment, Declaration, Doctype, ProcessingInstruction)
MAX_COLSPAN = 50  # a larger colspan is a typo, not a table that wide
MAX_CELL_ROW = 900  # a "row" longer than this is a layout table: read its cells as blocks

# Private-use characters: struck-through text until its line is complete, and in-line breaks.
STRUCK_OPEN, STRUCK_CLOSE, BREAK, BOUNDARY = "\ue000", "\ue001", "\ue002", "\ue003"
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE = rf"{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
STRUCK_THEN_DATE = re.compile(
    rf"{STRUCK_OPEN}(?P<old>[^{STRUCK_CLOSE}]*){STRUCK_CLOSE}\s*(?P<new>{DATE})?", re.IGNORECASE
)
SPACES = re.compile(r"\s+")
SEPARATORS = re.compile(rf"\s*[{BREAK}{BOUNDARY}][\s{BREAK}{BOUNDARY}]*")


@dataclass
class Section:
    """A run of lines under one heading path (`Speakers › Ion Stoica — Keynote — …`)."""

    path: list[str]
    lines: list[str] = field(default_factory=list)
    cards: bool = False  # a list of the sibling sections below it (speakers, organizers), made by chunking

    @property
    def title(self) -> str:
        return " › ".join(self.path)


@dataclass
class Supersession:
    """One struck-through value and what replaced it (`new` is None when no date followed)."""

    old: str
    new: str | None
    label: str = ""  # what the line said before the struck value: which deadline it was


@dataclass
class ParsedBody:
    sections: list[Section]
    supersessions: list[Supersession]
    title: str | None = None  # the document's <title>, when it has one
    header: list[str] = field(default_factory=list)  # the masthead: site name, date, venue


def _change_word(old: str, new: str) -> str:
    """'extended' when the new date is later (the usual case), 'moved' when earlier."""
    try:
        new_date = dateparser.parse(new, fuzzy=True)
        old_date = dateparser.parse(old, fuzzy=True, default=new_date)
    except (ValueError, OverflowError):
        return "extended"
    return "moved" if new_date < old_date else "extended"


def _words(tag: Tag) -> set[str]:
    names = [*(tag.get("class") or ()), str(tag.get("id") or "")]
    return {part for name in names for part in re.split(r"[-_\s]+", name.lower()) if part}


def _link_density(tag: Tag) -> float:
    text = SPACES.sub("", tag.get_text())
    if not text:
        return 1.0
    linked = sum(len(SPACES.sub("", a.get_text())) for a in tag.find_all("a"))
    return linked / len(text)


def _is_chrome(tag: Tag) -> bool:
    """Navigation and footers always; sidebars and menus when they are mostly links."""
    if tag.name in {"nav", "footer"} or tag.get("role") in CHROME_ROLES:
        return True
    if tag.name in {"body", "main", "article", "html"}:
        return False
    words = _words(tag)
    if "footer" in words or {"nav", "navbar", "navigation", "breadcrumb", "breadcrumbs", "skip"} & words:
        return True
    if tag.name == "aside" or CHROME_WORDS & words:
        return _link_density(tag) >= LINK_DENSE
    return False


def _outermost(tags: list[Tag]) -> list[Tag]:
    """The tags not inside another of `tags` (removing those removes the rest): one pass, no nesting
    depth makes it slower."""
    chosen = {id(tag) for tag in tags}
    return [tag for tag in tags if not any(id(parent) in chosen for parent in tag.parents)]


@dataclass
class _Measures:
    """What the reader asks of a tag's whole subtree, found in one pass for every tag (children before
    their parents), so that no question about a subtree walks it again: the cost stays linear however
    deeply tables, lists or inline elements nest."""

    size: dict[int, int] = field(default_factory=dict)  # visible characters, spaces aside
    blocks: set[int] = field(default_factory=set)  # tags holding a table or a heading below them

    @classmethod
    def of(cls, root: Tag) -> _Measures:
        """Measured once per page, before anything is removed; what no reader sees (scripts) counts nothing."""
        order, todo = [], [root]
        while todo:
            node = todo.pop()
            order.append(node)
            todo.extend(child for child in node.contents if isinstance(child, Tag) and child.name not in INVISIBLE)
        measures = cls()
        for node in reversed(order):
            size = 0
            for child in node.contents:
                if isinstance(child, Tag):
                    size += measures.size.get(id(child), 0)
                    if child.name == "table" or child.name in HEADINGS or id(child) in measures.blocks:
                        measures.blocks.add(id(node))
                elif not isinstance(child, SKIPPED_NODES):  # comments are not shown either
                    size += len(SPACES.sub("", str(child)))
            measures.size[id(node)] = size
        return measures


def _prepare(soup: BeautifulSoup, sizes: dict[int, int]) -> None:
    """Remove what readers don't see and mark what the walk must treat specially."""
    for node in soup.find_all(string=lambda s: isinstance(s, SKIPPED_NODES)):
        node.extract()
    for tag in _outermost(soup.find_all(INVISIBLE)):
        tag.decompose()
    chrome = [tag for tag in soup.find_all(True)
              if _is_chrome(tag) and sizes[id(tag)] <= CHROME_MAX_SHARE * sizes[id(soup)]]
    for tag in _outermost(chrome):
        tag.decompose()
    for tag in soup.find_all("a"):
        text = SPACES.sub(" ", tag.get_text()).strip().lower()
        href = str(tag.get("href") or "")
        if text in GENERIC_LINK_TEXT and href.startswith(("http://", "https://", "mailto:")):
            tag.append(f" ({href.removeprefix('mailto:')})")
    for tag in soup.find_all(STRIKE):
        if tag.parent is not None and not tag.find_parent(STRIKE):  # a struck part of a struck part is struck
            tag.replace_with(NavigableString(f"{STRUCK_OPEN}{tag.get_text()}{STRUCK_CLOSE}"))
    for tag in soup.find_all("br"):
        tag.replace_with(NavigableString(BREAK))


def inline_text(node: Tag, *, newline: str = ", ") -> str:
    """The text of `node` on one line: breaks become `newline`, block boundaries "; "."""
    parts: list[str] = []
    for item in node.descendants:
        if isinstance(item, NavigableString):
            if not isinstance(item, SKIPPED_NODES):
                parts.append(str(item))
        elif isinstance(item, Tag) and (item.name in BLOCKS or item.name in HEADINGS):
            parts.append(BOUNDARY)

    def separator(match: re.Match[str]) -> str:
        before = match.string[:match.start()].rstrip()
        if not before or match.end() == len(match.string) or before.endswith((":", ",", ";", "(")):
            return " "
        return "; " if BOUNDARY in match.group(0) else newline

    text = SPACES.sub(" ", "".join(parts))
    return SEPARATORS.sub(separator, text).strip()


def _folded(cell: Tag) -> tuple[Tag, list[str]]:
    """A cell as its row shows it, folded `<details>` reduced to their summaries, and the folded texts
    (a talk's abstract), which a reader opens one at a time: they are not part of the row's line."""
    if cell.find("details") is None:
        return cell, []
    shown = copy.copy(cell)
    folded = []
    for details in shown.find_all("details"):
        summary = details.find("summary")
        if summary is not None:
            summary.extract()
        if text := inline_text(details):
            folded.append(text)
        if summary is not None:
            details.replace_with(summary)
        else:
            details.decompose()
    return shown, folded


def _spread(cells: list[Tag], texts: list[str]) -> list[str]:
    """A row's texts, a cell spanning n columns repeated n times: one text per column."""
    spread = []
    for cell, text in zip(cells, texts, strict=True):
        span = str(cell.get("colspan") or "1")
        spread.extend([text] * (int(span) if span.isdigit() and 0 < int(span) < MAX_COLSPAN else 1))
    return spread


class _Walker:
    """Walks the tree in document order, flushing a line at every block boundary."""

    def __init__(self, measures: _Measures) -> None:
        self.measures = measures
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []  # heading path: (level, text)
        self.run: list[tuple[int, str]] = []  # consecutive headings with no content between
        self.buffer: list[str] = []
        self.list_depth = 0
        self.list_base = 0  # list depth at the last heading: misnested pages put headings in <li>
        self.supersessions: list[Supersession] = []

    def walk(self, root: Tag) -> None:
        todo: list[tuple[PageElement, bool]] = [(root, False)]
        while todo:
            node, leaving = todo.pop()
            if isinstance(node, NavigableString):
                self.text(str(node))
                continue
            assert isinstance(node, Tag)  # bs4 builds a tree of tags and strings only
            if leaving:
                self.leave(node)
                continue
            if self.enter(node):
                continue
            todo.append((node, True))
            todo.extend((child, False) for child in reversed(node.contents))

    def text(self, text: str) -> None:
        if self.list_depth > self.list_base:  # a list item is one entry: "Title<br>Authors" is "Title, Authors"
            self.buffer.append(text.replace(BREAK, ", "))
            return
        for i, piece in enumerate(text.split(BREAK)):
            if i:
                self.flush()
            self.buffer.append(piece)

    def enter(self, node: Tag) -> bool:
        """Start `node`; True when it was read whole (headings, tables, definition lists)."""
        if node.name in HEADINGS:
            self.flush()
            self.heading(int(node.name[1]), inline_text(node, newline=" "))
            return True
        if node.name == "table" and self._table(node):
            return True
        if node.name == "dl":
            self._definitions(node)
            return True
        if FOOTNOTES & set(node.get("class") or ()):
            self.flush()
            self.heading(self.stack[-1][0] if self.stack else 2, "References")
        elif node.name == "li":
            self.flush()
            self.list_depth += 1
        elif node.name in BLOCKS:
            self.flush()
        return False

    def leave(self, node: Tag) -> None:
        if node.name == "li":
            self.flush()
            self.list_depth -= 1
        elif node.name in BLOCKS or FOOTNOTES & set(node.get("class") or ()):
            self.flush()

    def _table(self, table: Tag) -> bool:
        """Each row is one line: `first cell: other cells`. False for a layout table: a row too long for
        one line, or a cell holding headings or a table of its own (each is then read where it stands)."""
        rows = [row for part in (table, *table.find_all(ROW_GROUPS, recursive=False))
                for row in part.find_all("tr", recursive=False)]
        cells = [[c for c in row.find_all(["td", "th"], recursive=False)] for row in rows]
        if any(id(cell) in self.measures.blocks for row in cells for cell in row):
            return False  # before any cell's text is read: a table in a cell is read once, where it stands
        shown = [[_folded(c) for c in row] for row in cells]
        texts = [[inline_text(c) for c, _ in row] for row in shown]
        if any(len(" ".join(row)) > MAX_CELL_ROW for row in texts):
            return False
        self.flush()
        caption = table.find("caption")
        if caption is not None:
            self.text(inline_text(caption))
            self.flush()
        if self._days_in_columns(cells, texts):
            return True
        for i, (row, cs) in enumerate(zip(texts, cells, strict=True)):
            if i == 0 and cs and all(c.name == "th" for c in cs) and len(rows) > 1:
                continue  # the column headings ("Time | Session") say nothing on their own
            values = [t for t in row if t]
            if not values:
                continue
            first, rest = values[0], values[1:]
            joiner = "" if first.endswith(":") else ":"
            self.text(f"{first}{joiner} {' — '.join(rest)}" if rest else first)
            self.flush()
            for _, folded in shown[i]:
                for hidden in folded:  # an abstract behind "details": under its row, a line of its own
                    self.text(hidden)
                    self.flush()
        return True

    def _days_in_columns(self, cells: list[list[Tag]], texts: list[list[str]]) -> bool:
        """A timetable over several days, one column per day ("Time | Mon, Dec 12 | Tue, Dec 13"), read a
        day at a time: the day's heading cell, then its `time: event` lines. A cell spanning columns (a
        break for every day) is in each of them. False for any other table."""
        if len(texts) < 2 or not all(c.name == "th" for c in cells[0]):
            return False
        days = _spread(cells[0], texts[0])[1:]
        if len(days) < 2 or not all(names_a_day(day) for day in days):
            return False
        body = [_spread(cs, row) for cs, row in zip(cells[1:], texts[1:], strict=True)]
        for column, day in enumerate(days, start=1):
            self.text(day)
            self.flush()
            for row in body:
                if row and row[0] and column < len(row) and row[column]:
                    self.text(f"{row[0]}: {row[column]}")
                    self.flush()
        return True

    def _definitions(self, dl: Tag) -> None:
        """`<dt>term<dd>description` (end tags often omitted) becomes `term: description`. A description
        that holds a list of its own (a programme's `time: talk` under its day) gives that list's lines."""
        self.flush()
        holders = {id(inner.find_parent(["dt", "dd"])) for inner in dl.find_all("dl")}
        line, described = "", False
        for item in dl.find_all(["dt", "dd"]):
            text = "" if id(item) in holders else inline_text(item)
            if id(item) in holders and line:
                self.text(line)
                self.flush()
                line = ""
            if not text:
                continue
            if item.name == "dt" or not line:
                if line:
                    self.text(line)
                    self.flush()
                line, described = text, item.name == "dd"
            elif described:
                line += f"; {text}"
            else:
                line += f"{'' if line.endswith(':') else ':'} {text}"
                described = True
        if line:
            self.text(line)
            self.flush()

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
            self.supersessions.append(Supersession(old=old, new=new, label=line[:match.start()]))
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


def _lines(root: Tag, measures: _Measures) -> tuple[list[Section], list[Supersession]]:
    walker = _Walker(measures)
    walker.walk(root)
    walker.flush()
    return [s for s in walker.sections if s.lines], walker.supersessions


def within_depth(html: str) -> str:
    """`html`, or markup that reads the same, nested no deeper than libxml2 builds a tree (256 levels):
    beyond that, building the tree the walk reads costs time with the square of the depth. Inline
    elements left open (1,200 `<span>`s) are unwrapped, their text kept; blocks nested deeper than any
    page a person writes raise NestingError."""
    if not _too_deep(html):
        return html
    flat = INLINE_TAG.sub("", html)
    if _too_deep(flat):
        raise NestingError(f"elements inside each other, more than {LIBXML_DEPTH} levels deep")
    return flat


def _too_deep(html: str) -> bool:
    parser = lxml.html.HTMLParser()
    try:
        lxml.html.document_fromstring(html, parser=parser)
    except (ValueError, lxml.etree.ParserError):
        return False  # nothing to read, or an XML declaration in text: no depth to judge
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)


def parse_html(html: str) -> ParsedBody:
    """Sections, supersessions, title and masthead of an HTML body (a fragment or a whole document);
    NestingError when it nests deeper than any page a person writes.

    In a whole document, the `<header>` outside the main content is the masthead (the site's name,
    the workshop's date and venue), and `<main>` (or `role=main`), when present, is the content.
    """
    soup = BeautifulSoup(within_depth(html), "lxml")
    title_tag = soup.find("title")
    title = SPACES.sub(" ", title_tag.get_text()).strip() if title_tag else None
    measures = _Measures.of(soup)
    _prepare(soup, measures.size)
    header: list[str] = []
    mastheads = [tag for tag in soup.find_all("header")
                 if not tag.find_parent(["main", "article", "header"]) and not tag.find_parent(attrs={"role": "main"})]
    for tag in mastheads:
        sections, _ = _lines(tag, measures)
        header.extend(line for s in sections for line in s.lines)
        tag.decompose()
    root = soup.find("main") or soup.find(None, attrs={"role": "main"}) or soup.body or soup
    sections, supersessions = _lines(root, measures)
    return ParsedBody(sections=sections, supersessions=supersessions, title=title or None,
                      header=list(dict.fromkeys(header)))
