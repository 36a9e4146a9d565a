"""Read one published page (HTML or Markdown, optional YAML front matter) into clean sections."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import frontmatter
import ftfy
import yaml
from markdown_it import MarkdownIt

from bot.config import Settings
from bot.events.facts import facts
from bot.events.model import EventFileError, load_event
from bot.knowledge.html_text import Section, Supersession, parse_html
from bot.templates import render

PAGE_SUFFIXES = {".html", ".htm", ".md", ".markdown"}
EVENT_FILE = "event.yaml"
# Bump when parsing changes what a page yields, so unchanged files are re-indexed once.
PARSER_VERSION = "1"

_markdown = MarkdownIt("commonmark")


class PageError(ValueError):
    """A page that cannot be read; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


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
    warnings: list[str] = field(default_factory=list)


def page_url(source: str, front_matter: dict, base_url: str) -> str:
    """The page's public URL: its `permalink` if it has one, else where Jekyll would serve it."""
    base = base_url.rstrip("/")
    permalink = front_matter.get("permalink")
    if isinstance(permalink, str) and permalink:
        return permalink if "://" in permalink else f"{base}/{permalink.lstrip('/')}"
    path = PurePosixPath(source)
    if path.suffix in {".md", ".markdown"}:
        path = path.with_suffix(".html")
    if path.name in {"index.html", "index.htm"}:
        return f"{base}/{path.parent.as_posix()}/"
    return f"{base}/{path.as_posix()}"


def content_hash(raw: bytes, base_url: str) -> str:
    """What decides whether a page must be re-indexed: its bytes, the parser, and its URL base."""
    digest = hashlib.sha256(raw)
    digest.update(f"\0{PARSER_VERSION}\0{base_url}".encode())
    return digest.hexdigest()


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PageError(path, f"not UTF-8 text (byte {err.start}: {raw[err.start:err.start + 1]!r})") from err
    # Mojibake such as `â€”` is repaired; HTML entities are left for the HTML parser.
    return ftfy.fix_text(text, unescape_html=False)


def _split_front_matter(path: Path, text: str) -> tuple[dict, str]:
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as err:
        # Where the broken construct starts is where to look; the block starts on the file's line 2.
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = " ".join(filter(None, [getattr(err, "context", None), getattr(err, "problem", None)]))
        problem = problem or str(err).splitlines()[0]
        raise PageError(path, f"front matter is not valid YAML{where}: {problem}") from err
    if not isinstance(post.metadata, dict):
        raise PageError(path, "front matter must be a mapping of keys to values")
    return dict(post.metadata), post.content


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
        for section in sections:
            for i, line in enumerate(section.lines):
                if stale.search(line):
                    section.lines[i] = stale.sub(f"{change.new} (extended from {change.old})", line)
                    warnings.append(
                        f"{page_path}: '{change.old}' is struck through but still stated in "
                        f"section '{section.title or '(top)'}'; read as {change.new}"
                    )
    return warnings


def _title(front_matter: dict, sections: list[Section], path: Path) -> str:
    title = front_matter.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    for section in sections:
        if section.path:
            return section.path[0]
    return path.stem.replace("_", " ").replace("-", " ").title()


def read_page(path: Path, root: Path, settings: Settings) -> Page:
    """Parse the page at `path` (inside edition folder under `root`); raise PageError if unusable."""
    relative = path.relative_to(root)
    if len(relative.parts) < 2:
        raise PageError(path, "a page must be inside an edition folder (knowledge/<edition>/...)")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise PageError(path, f"cannot be read: {err.strerror}") from err
    if b"\0" in raw:
        raise PageError(path, "is a binary file, not a page")
    if path.name == EVENT_FILE:
        return _facts_page(path, relative, raw, settings)
    meta, body = _split_front_matter(path, _decode(path, raw))
    html = _markdown.render(body) if path.suffix in {".md", ".markdown"} else body
    parsed = parse_html(html)
    if not parsed.sections:
        raise PageError(path, "has no text once comments and markup are removed")
    source = relative.as_posix()
    edition = relative.parts[0]
    warnings = _apply_stale_mentions(source, parsed.sections, parsed.supersessions)
    declared = meta.get("workshop_name")
    if isinstance(declared, str) and declared and declared != edition:
        warnings.append(f"{source}: front matter says workshop_name '{declared}' but the page is in '{edition}/'")
    return Page(
        source=source,
        edition=edition,
        title=_title(meta, parsed.sections, path),
        url=page_url(source, meta, settings.site_base_url),
        front_matter={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
        sections=parsed.sections,
        content_hash=content_hash(raw, settings.site_base_url),
        warnings=warnings,
    )


def _facts_page(path: Path, relative: Path, raw: bytes, settings: Settings) -> Page:
    """An edition's event.yaml as one passage of key facts (venue and dates often live only there)."""
    try:
        event = load_event(path)
    except EventFileError as err:
        raise PageError(path, str(err).replace(f"{path}: ", "").replace(f"{path}, ", "")) from err
    edition = relative.parts[0]
    text = render(settings.prompts_dir, "knowledge/facts.md.j2", event=event, deadlines=facts(event, event.deadlines))
    lines = [line for line in text.splitlines() if line.strip()]
    return Page(
        source=relative.as_posix(),
        edition=edition,
        title="Key facts",
        url=page_url(f"{edition}/index.html", {}, settings.site_base_url),
        front_matter={},
        sections=[Section(path=[event.name], lines=lines[1:])],
        content_hash=content_hash(raw, settings.site_base_url),
    )


def find_pages(root: Path) -> list[Path]:
    """Every page file (and event.yaml) under `root`, in a stable order, hidden ones skipped."""
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and (p.suffix.lower() in PAGE_SUFFIXES or p.name == EVENT_FILE)
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )
