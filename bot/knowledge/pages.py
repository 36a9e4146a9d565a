"""Read one published page into clean sections, the way the site shows it to a reader.

The steps are Jekyll's: front matter, then Liquid (only in files with front matter), then Markdown,
then the HTML a browser would get. The layout's masthead (date, venue, room, printed on every page
from front matter) is content too: it is the page's `header`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import ftfy
import yaml

from bot.config import Settings
from bot.knowledge.files import refusal
from bot.knowledge.html_text import Section, Supersession, parse_html
from bot.knowledge.labels import deadline_kind, label_before
from bot.knowledge.jekyll import LiquidError
from bot.knowledge.markup import NestingError, markdown_to_html
from bot.knowledge.naming import year_in_id
from bot.knowledge.pdf import PdfError, pdf_html
from bot.knowledge.site import MARKDOWN_SUFFIXES, YEAR, EditionFolder, has_front_matter, page_url

# Bump when parsing changes what a page yields, so unchanged files are re-indexed once.
PARSER_VERSION = "11"
CONTENT_MARK = "\ue010content\ue011"  # stands for the page inside its layout
HEADER_KEYS = ("site_description", "subtitle")  # what a theme prints as the masthead, when no layout says


class PageError(ValueError):
    """A page that cannot be read; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class RefusedPage(PageError):
    """A file that must not be read at all (a link out of the knowledge root, a hidden file): unlike a
    broken page, it keeps nothing in the index."""


@dataclass
class Page:
    """A page as the assistant knows it: where it lives, what it says, and what looked wrong."""

    source: str  # path relative to the knowledge root, posix: `neurips2025/call_for_papers.html`
    edition: str
    title: str
    url: str
    front_matter: dict
    sections: list[Section]
    content_hash: str
    header: list[str] = field(default_factory=list)  # the masthead printed above the page
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Publication:
    """Where an edition's pages are served: `base` is the URL of the folder `served_from`. A crawled
    site knows each page's path under `base` exactly (`/cfp` was written as `cfp/index.html`)."""

    base: str | None
    served_from: Path
    paths: Mapping[str, str] = field(default_factory=dict)  # file, relative to served_from → path under base


def content_hash(raw: bytes, folder: EditionFolder, publication: Publication) -> str:
    """What decides whether a page must be re-indexed: its bytes, the parser, the site's data,
    includes and layouts (Liquid reads them), its edition and where it is served."""
    digest = hashlib.sha256(raw)
    digest.update(f"\0{PARSER_VERSION}\0{folder.site.fingerprint()}\0{folder.id}\0{publication.base}\0"
                  f"{publication.served_from}".encode())
    return digest.hexdigest()


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PageError(path, f"not UTF-8 text (byte {err.start}: {raw[err.start:err.start + 1]!r})") from err
    # Mojibake such as `â€”` is repaired; HTML entities are left for the HTML parser.
    return ftfy.fix_text(text, unescape_html=False)


def _split_front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    """Front matter, body, and the body's first line number in the file."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as err:
        # Where the broken construct starts is where to look; the block starts on the file's line 2.
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = " ".join(filter(None, [getattr(err, "context", None), getattr(err, "problem", None)]))
        problem = problem or str(err).splitlines()[0]
        raise PageError(path, f"front matter is not valid YAML{where}: {problem}") from err
    except (ValueError, OverflowError) as err:  # PyYAML builds `date: 2025-02-30` before it can say where
        raise PageError(path, f"front matter holds an impossible value: {err}") from err
    if not isinstance(post.metadata, dict):
        raise PageError(path, "front matter must be a mapping of keys to values")
    offset = text[: len(text) - len(post.content)].count("\n") if post.content else 0
    return dict(post.metadata), post.content, offset


def _apply_stale_mentions(page_path: str, sections: list[Section], supersessions: list[Supersession]) -> list[str]:
    """Read dates that are struck through in one place but still stated elsewhere as current.

    Real pages contradict themselves: the deadline is struck and replaced at the top, and the old
    date survives further down. The newer value wins, and the organizers are told where to fix it.
    """
    warnings = []
    for change in supersessions:
        if not change.new or not change.old:
            continue
        stale = re.compile(rf"(?<!from ){re.escape(change.old)}(?![\w)])")
        struck = _deadline_named(change.label, len(change.label))
        for section in sections:
            for i, line in enumerate(section.lines):
                if not (mention := stale.search(line)) or not _same_deadline(struck, line, mention.start()):
                    continue
                section.lines[i] = stale.sub(f"{change.new} (extended from {change.old})", line)
                warnings.append(f"{page_path}: '{change.old}' is struck through but still stated in "
                                f"section '{section.title or '(top)'}'; read as {change.new}")
    return warnings


def _deadline_named(line: str, start: int) -> str | None:
    """The id of the deadline a line names before `start`; None when it names none."""
    label = label_before(line, start)
    return deadline_kind(label)[1] if label else None


def _same_deadline(struck: str | None, line: str, start: int) -> bool:
    """Whether a mention of the struck date is the same deadline: a registration deadline that falls on
    the paper deadline's old date is not extended with it. A mention or a struck date with no label
    of its own is taken to be the same."""
    mentioned = _deadline_named(line, start)
    return struck is None or mentioned is None or mentioned == struck


def _title(front_matter: dict, document_title: str | None, sections: list[Section], path: Path) -> str:
    title = front_matter.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    if document_title:
        return document_title
    for section in sections:
        if section.path:
            return section.path[0]
    return path.stem.replace("_", " ").replace("-", " ").title()


def _layout_header(folder: EditionFolder, path: Path, meta: dict) -> list[str] | None:
    """The masthead the page's layout prints around it; None when the site has no such layout."""
    chrome = folder.site.render_layout(meta, path.relative_to(folder.site.root).as_posix(), f"<p>{CONTENT_MARK}</p>")
    if chrome is None:
        return None
    parsed = parse_html(chrome)
    lines = [*parsed.header, *(line for s in parsed.sections for line in s.lines)]
    return [line for line in lines if CONTENT_MARK not in line]


def _current_header(source: str, header: list[str], year: int | None) -> tuple[list[str], list[str]]:
    """Masthead lines, minus those naming another edition's year (a copied front matter)."""
    kept, warnings = [], []
    for line in header:
        years = {int(y) for y in YEAR.findall(line)}
        if year is not None and years and year not in years:
            warnings.append(f"{source}: the page header says '{line}', which names {', '.join(map(str, sorted(years)))}"
                            f" but the page belongs to the {year} edition; not used")
        else:
            kept.append(line)
    return kept, warnings


def _render_body(path: Path, folder: EditionFolder, meta: dict, body: str, offset: int) -> str:
    try:
        return folder.site.render(body, meta, path.relative_to(folder.site.root).as_posix())
    except LiquidError as err:
        line = f"line {err.line + offset}: " if err.line else ""
        raise PageError(path, f"{line}Liquid template cannot be rendered: {err.problem}") from err


def _url(path: Path, folder: EditionFolder, meta: dict | None, publication: Publication) -> str:
    """Where the page is published: in a Jekyll checkout served from its root, where Jekyll writes it
    (permalink style, collection documents, a README as its folder's index); else where the file is."""
    site, published = folder.site, None
    if site.checkout and publication.served_from == site.root:
        published = site.url_of(path.relative_to(site.root).as_posix(), meta)
    elif publication.paths:
        published = publication.paths.get(path.relative_to(publication.served_from).as_posix())
    return page_url(path, publication.served_from, meta or {}, publication.base, published)


def read_source(path: Path, folder: EditionFolder, limit: int | None) -> bytes:
    """The bytes of one of `folder`'s files; RefusedPage for a file that must not be read, PageError for
    one larger than `limit` bytes (read no further) or unreadable."""
    if problem := refusal(path, folder.root):
        raise RefusedPage(path, problem)
    try:
        with path.open("rb") as handle:
            raw = handle.read() if limit is None else handle.read(limit + 1)
    except OSError as err:
        raise PageError(path, f"cannot be read: {err.strerror}") from err
    if limit is not None and len(raw) > limit:
        raise PageError(path, f"is {_size(path.stat().st_size)}, over the limit for a page of {_size(limit)} "
                              "(MAX_PAGE_BYTES); not read")
    return raw


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


def page_limit(path: Path, folder: EditionFolder, settings: Settings) -> int | None:
    """The size limit for the file: every page has one; event.yaml is checked where it is loaded."""
    return None if path == folder.event_file else settings.max_page_bytes


def read_page(path: Path, folder: EditionFolder, settings: Settings, publication: Publication) -> Page:
    """Parse the page at `path`, one of `folder`'s; raise PageError if it cannot be read at all."""
    raw = read_source(path, folder, page_limit(path, folder, settings))
    if path.suffix.lower() == ".pdf":
        try:
            return _read_page(path, raw, folder, publication, pdf_html(raw))
        except PdfError as err:
            raise PageError(path, str(err)) from err
    if b"\0" in raw:
        raise PageError(path, "is a binary file, not a page")
    if path == folder.event_file:
        raise PageError(path, "is the edition's event.yaml, not a page: the index reads it as its key facts")
    try:
        return _read_page(path, raw, folder, publication)
    except NestingError as err:  # our own bound, met before any parser recurses
        raise PageError(path, f"nests too deeply to be read ({err}); flatten it") from err
    except RecursionError as err:  # a parser (Liquid's blocks) recursing once per level
        raise PageError(path, "nests too deeply to be read (blocks inside each other, level upon "
                              "level); flatten it") from err


def _read_page(path: Path, raw: bytes, folder: EditionFolder, publication: Publication,
               converted: str | None = None) -> Page:
    """`converted`: the page as HTML when its file is not (a PDF)."""
    source = folder.source(path)
    text = _decode(path, raw) if converted is None else converted
    fronted = converted is None and has_front_matter(path)
    meta, body, offset = _split_front_matter(path, text) if fronted else ({}, text, 0)
    if fronted:  # Jekyll renders Liquid only in files with front matter
        body = _render_body(path, folder, meta, body, offset)
    html = markdown_to_html(body) if path.suffix.lower() in MARKDOWN_SUFFIXES else body
    parsed = parse_html(html)
    warnings = _apply_stale_mentions(source, parsed.sections, parsed.supersessions)
    header = list(parsed.header)
    if fronted:
        try:
            layout = _layout_header(folder, path, meta)
        except LiquidError as err:
            layout = None
            warnings.append(f"{source}: its layout cannot be rendered ({err}); its header is not read")
        header.extend(layout if layout is not None else
                      [str(meta[k]).strip() for k in HEADER_KEYS if isinstance(meta.get(k), str) and meta[k].strip()])
    header, stale = _current_header(source, list(dict.fromkeys(header)), year_in_id(folder.id))
    warnings.extend(stale)
    if not parsed.sections:
        warnings.append(f"{source}: has no text once comments and markup are removed")
    declared = meta.get("workshop_name")
    if isinstance(declared, str) and declared and declared != folder.id:
        warnings.append(f"{source}: front matter says workshop_name '{declared}' but the page is read as "
                        f"edition '{folder.id}'")
    return Page(
        source=source,
        edition=folder.id,
        title=_title(meta, parsed.title, parsed.sections, path),
        url=_url(path, folder, meta if fronted else None, publication),
        front_matter={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
        sections=parsed.sections,
        content_hash=content_hash(raw, folder, publication),
        header=header,
        warnings=warnings,
    )
