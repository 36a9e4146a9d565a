"""Where each edition's pages are, in any of the shapes a workshop's website comes in.

- **A folder per edition** (`knowledge/neurips2025/…`): the folder names the edition.
- **A Jekyll checkout** (`_config.yml` at its root): the top-level pages are the current edition,
  named by `workshop_name` in `_config.yml`; older editions live in folders named with their year
  (`neurips2018/`). Only files Jekyll publishes are pages: Markdown with front matter, HTML, the
  documents of collections it writes out (posts among them), and, as GitHub Pages does, a README
  in a folder that has no index page of its own.
- **A built site** (Jekyll's `_site/`, Hugo's `public/`, hand-written HTML): the same, without a
  configuration; every HTML file is a page.

A single-edition site that names no edition is named from its title ("… @ ICLR'25" → `iclr2025`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from bot.text.addresses import web_url
from bot.knowledge.files import refusal
from bot.knowledge.jekyll import CONFIG_FILE, JekyllSite, SiteConfigError
from bot.knowledge.naming import home_page

PAGE_SUFFIXES = {".html", ".htm", ".md", ".markdown", ".pdf"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
EVENT_FILE = "event.yaml"
HUGO_SECTION = "_index"  # a Hugo source's page for its folder: `content/_index.md`, `content/archive/2024/_index.md`
HUGO_CONFIGS = ("config.toml", "config.yml", "config.yaml", "hugo.toml", "hugo.yaml")
# Error pages say nothing about the workshop; a repository's own notes (for people or for coding
# assistants) are not part of its site (a README is, in a Jekyll checkout, where it serves as its
# folder's index).
ERROR_PAGES = {"404"}
REPOSITORY_NOTES = {"readme", "license", "licence", "changelog", "changes", "history", "contributing",
                    "code_of_conduct", "security", "authors", "claude", "agents", "gemini", "copilot-instructions"}
# `<meta http-equiv="refresh" content="0; url=2026/">` (or `content="0; https://…"`, attributes in any
# order): a page that only sends the reader elsewhere.
REDIRECT = re.compile(rb"<meta(?=[^>]*http-equiv\s*=\s*[\"']?refresh)(?=[^>]*content\s*=\s*[\"']?\s*\d*\s*[;,]\s*"
                      rb"[^\"'\s>])", re.IGNORECASE)
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# Conference series a workshop is usually held at: how a site without `workshop_name` gets an id.
VENUE_YEAR = re.compile(
    r"\b(NeurIPS|NIPS|ICML|ICLR|MLSys|SysML|ISCA|ASPLOS|MICRO|HPCA|OSDI|SOSP|NSDI|EuroSys|ATC|SIGMOD|VLDB|KDD|"
    r"AAAI|IJCAI|CVPR|ICCV|ECCV|ACL|EMNLP|NAACL|COLING|SIGIR|WWW|CHI|UAI|AISTATS|COLT|CoRL|RSS|ICRA|IROS|SC|"
    r"PLDI|POPL|ICSE|FSE|CAV|FLoC|ICDE|WSDM|RecSys|MICCAI|Interspeech|ICASSP)\s*['’]?\s*(\d{4}|\d{2})\b"
)


@dataclass
class EditionFolder:
    """One edition's pages: files under `folder` (nested editions excluded), read with `site`."""

    id: str
    root: Path  # the knowledge root: page sources are relative to it
    folder: Path
    site: JekyllSite  # Liquid, `_data/`, `_includes/` and layouts for its pages
    pages: list[Path]
    prefix: str = ""  # before every source: a knowledge root other than KNOWLEDGE_DIR is named by it
    named: str | None = None  # the conference and year the site names most ("iclr2025"), whatever its id

    @property
    def event_file(self) -> Path:
        return self.folder / EVENT_FILE

    def source(self, path: Path) -> str:
        return self.prefix + path.relative_to(self.root).as_posix()


def has_front_matter(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8).removeprefix(b"\xef\xbb\xbf")
    return head.startswith(b"---") and head[3:4] in {b"\n", b"\r", b" ", b""}


def _is_page(path: Path, site: JekyllSite, documents: set[Path]) -> bool:
    """What the site publishes as a page: in a Jekyll checkout, Markdown with or without front matter (as
    GitHub Pages publishes it, with jekyll-optional-front-matter, unless `require_front_matter: true`), the
    documents it writes out, and a README that is its folder's index. A link out of the knowledge root
    counts as a page unread, so that reading it is refused and reported."""
    if path.suffix.lower() not in PAGE_SUFFIXES or not path.is_file():
        return False
    if path in documents:
        return True
    relative = path.relative_to(site.root).as_posix()
    if site.excluded(relative) and not (not site.checkout and path.stem == HUGO_SECTION
                                        and not site.excluded(path.parent.relative_to(site.root).as_posix())):
        return False  # what Jekyll does not publish; a Hugo source's `_index.md` is its folder's page
    if refusal(path, site.boundary):
        return True
    if site.checkout and site.readme_index(relative):
        return True
    stem = path.stem.lower()
    if stem in ERROR_PAGES or (stem in REPOSITORY_NOTES and path.suffix.lower() in MARKDOWN_SUFFIXES) \
            or _redirects(path):
        return False
    return not (site.checkout and site.config.get("require_front_matter") is True
                and path.suffix.lower() in MARKDOWN_SUFFIXES and not has_front_matter(path))


def _redirects(path: Path) -> bool:
    """Whether an HTML file only redirects (a moved page, a root that opens the current edition)."""
    if path.suffix.lower() not in {".html", ".htm"}:
        return False
    with path.open("rb") as handle:
        return bool(REDIRECT.search(handle.read(4096)))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _holds_pages(folder: Path) -> bool:
    return (folder / EVENT_FILE).is_file() or any(
        p.suffix.lower() in PAGE_SUFFIXES for p in _files(folder)
        if not any(part.startswith("_") for part in p.relative_to(folder).parts)
    )


def _is_site(folder: Path) -> bool:
    """A site root: a Jekyll or Hugo configuration, or pages of its own next to its sub-folders (a README
    beside sites of their own is the folder's notes, not a page)."""
    return any((folder / name).is_file() for name in (CONFIG_FILE, *HUGO_CONFIGS)) or any(
        p.is_file() and p.suffix.lower() in PAGE_SUFFIXES and p.stem.lower() not in REPOSITORY_NOTES
        for p in folder.iterdir()
    )


def _named_id(site: JekyllSite, home: Path | None, pages: list[Path]) -> str | None:
    """`iclr2025` from "The VerifAI Workshop @ ICLR'25": the conference and year that the configuration
    and the home page name most often (a home page names past editions too, less often), the latest on a
    tie; else those the other pages and a Hugo configuration name most often."""
    texts = [str(site.config.get(key, "")) for key in ("title", "description", "tagline")]
    if home is not None and not refusal(home, site.boundary):
        texts.append(_head(home))
    others = [_head(p) for p in [*pages, *(site.root / name for name in HUGO_CONFIGS)]
              if p != home and p.is_file() and not refusal(p, site.boundary)]
    for group in (texts, others):
        named: Counter[tuple[str, int]] = Counter()
        for text in group:
            for match in VENUE_YEAR.finditer(text):
                year = match.group(2)
                named[(match.group(1).lower(), int(year if len(year) == 4 else "20" + year))] += 1
        if named:
            (venue, year), _ = max(named.items(), key=lambda item: (item[1], item[0][1]))
            return f"{venue}{year}"
    return None


def _head(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(20_000).decode("utf-8", errors="replace")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workshop"


def _edition_folders_within(site_root: Path, site: JekyllSite) -> list[Path]:
    """Folders of older editions inside a site: named with a year (`2023/`, `neurips2018/`) and holding
    pages, at the top (`2023/`) or deeper when they have a home page of their own (Hugo's
    `content/archive/2023/_index.md`); never one inside another."""
    found: list[Path] = []
    for folder in sorted(p for p in site_root.rglob("*") if p.is_dir()):
        relative = folder.relative_to(site_root)
        if any(part.startswith((".", "_")) for part in relative.parts) or site.excluded(relative.as_posix()):
            continue
        if not YEAR.search(folder.name) or any(outer in folder.parents for outer in found):
            continue
        top = folder.parent == site_root
        pages = [p for p in _files(folder) if p.suffix.lower() in PAGE_SUFFIXES]
        if (top and _holds_pages(folder)) or (not top and home_page(pages, folder) is not None):
            found.append(folder)
    return found


def _site_editions(root: Path, site_root: Path, folder_id: str | None, prefix: str) -> list[EditionFolder]:
    try:
        site = JekyllSite.load(site_root, fence=root)
    except SiteConfigError as error:  # one site's broken configuration: that site is read without it
        site = JekyllSite(site_root, {}, fence=root)
        site.problems.append(f"{CONFIG_FILE}: {error.problem}; the site is read without its configuration")
    documents = {site_root / relative for relative in site.published_documents()} if site.checkout else set()
    nested = _edition_folders_within(site_root, site)
    candidates = [p for p in _files(site_root) if not any(d in p.parents for d in nested)]
    pages = [p for p in candidates if _is_page(p, site, documents)]
    home = next((p for p in pages if p.parent == site_root and p.stem == "index"), None)
    declared = site.config.get("workshop_name")
    named = _named_id(site, home, pages)
    if named in {folder.name for folder in nested}:
        named = None  # a landing page that names an edition with a folder of its own is not that edition
    current = (str(declared) if declared else None) or folder_id or named or _slug(site_root.name)
    editions = []
    if pages or (site_root / EVENT_FILE).is_file():
        editions.append(EditionFolder(current, root, site_root, site, pages, prefix, named))
    for folder in nested:
        files = [p for p in _files(folder) if _is_page(p, site, documents)]
        editions.append(EditionFolder(folder.name, root, folder, site, files, prefix))
    return editions


def edition_folders(root: Path, prefix: str = "", renamed: Mapping[Path, str] | None = None) -> list[EditionFolder]:
    """Every edition under the knowledge root `root`, with its pages; none when it holds nothing. An
    edition whose (resolved) folder is in `renamed` takes the id given there (EDITION_IDS)."""
    if not root.is_dir():
        return []
    if _is_site(root):
        editions = _site_editions(root, root, None, prefix)
    else:
        editions = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            if _holds_pages(folder):
                editions.extend(_site_editions(root, folder, folder.name, prefix))
    for edition in editions:
        edition.id = (renamed or {}).get(edition.folder.resolve(), edition.id)
    return editions


def page_url(path: Path, served_from: Path, front_matter: dict, base: str | None,
             published: str | None = None) -> str:
    """The page's public URL (`base` serves the folder `served_from`): an absolute `permalink`, else
    `published` (the path Jekyll writes the page at, when it is known), else its `permalink`, else
    where a static site serves the file; "" when no base URL is known, or when the link would not be
    http(s). File names are percent-encoded (`call for papers.html`, `programmé.html`, `faq#1.html`), and
    so is what a URL path cannot hold in the base and the permalinks people write (`baseurl: /Summer
    School`)."""
    if not base:
        return ""
    split = urlsplit(base.rstrip("/"))
    base = urlunsplit(split._replace(path=_written_path(split.path)))
    if not web_url(base):
        return ""
    permalink = front_matter.get("permalink")
    if isinstance(permalink, str) and "://" in permalink:
        return permalink if web_url(permalink) else ""
    if published:
        return base + quote(published)
    if isinstance(permalink, str) and permalink:
        return f"{base}/{_written_path(permalink.lstrip('/'))}"
    relative = path.relative_to(served_from)
    if relative.suffix.lower() in MARKDOWN_SUFFIXES:
        relative = relative.with_suffix(".html")
    if relative.name in {"index.html", "index.htm"}:
        parent = relative.parent.as_posix()
        return f"{base}/" if parent == "." else f"{base}/{quote(parent)}/"
    return f"{base}/{quote(relative.as_posix())}"


def _written_path(path: str) -> str:
    """A URL path as people write it: what it cannot hold (spaces, letters beyond ASCII, `#`, `?`) is
    percent-encoded; its own escapes (`%20`) are kept."""
    return quote(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", path), safe="/%:@!$&'()*+,;=~")
