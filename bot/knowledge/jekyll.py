"""Render a Jekyll site's pages the way Jekyll does, so the bot reads what visitors read.

Workshop sites keep schedules, speakers and papers in `_data/` and loop over them in Liquid; the
page files alone say little. python-liquid does the Liquid. This module adds what Jekyll adds on
top of it: the `site` and `page` variables, Jekyll's `include`, its filters and plugin tags (and
jekyll-scholar's bibliography), front-matter defaults, layouts, collections (`site.speakers`, posts),
and the rules for what a site publishes, GitHub Pages' among them (a README indexes its folder).
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import html
import io
import json
import os
import posixpath
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from fnmatch import fnmatchcase
from functools import cached_property, cmp_to_key, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, TextIO, cast
from urllib.parse import quote, quote_plus, urlsplit

import markdown
import yaml
from dateutil import parser as date_parser
from liquid import BoundTemplate, Environment, Mode, RenderContext, Token, TokenStream, is_undefined
from liquid import exceptions as liquid_errors
from liquid.ast import BlockNode, Node
from liquid.builtin.expressions import BooleanExpression, FilteredExpression, parse_primitive, tokenize
from liquid.expression import Expression
from liquid.filter import int_arg, with_context
from liquid.parser import get_parser
from liquid.stringify import to_liquid_string
from liquid.tag import Tag
from liquid.token import TOKEN_ASSIGN, TOKEN_COLON, TOKEN_COMMA, TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, TOKEN_WORD

from bot.text.addresses import web_url_error
from bot.knowledge import scholar
from bot.knowledge.files import hidden, refusal
from bot.knowledge.markup import markdown_to_html

CONFIG_FILE = "_config.yml"
CNAME_FILE = "CNAME"
# Jekyll 4 adds these to every site's `exclude`.
DEFAULT_EXCLUDES = (
    ".sass-cache", ".jekyll-cache", "gemfiles", "Gemfile", "Gemfile.lock", "node_modules",
    "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/",
)
DEFAULT_INCLUDES = (".htaccess",)
SPECIAL_PREFIXES = (".", "_", "#", "~")
MARKDOWN_EXTENSIONS = "markdown,mkdown,mkdn,mkd,md"  # Jekyll's default `markdown_ext`
DATA_SUFFIXES = {".yml", ".yaml", ".json", ".csv", ".tsv"}
MAX_DATA_BYTES = 5_000_000  # a `_data` file or `_config.yml`; the largest real one seen is under 1 MB
MAX_YAML_VALUES = 1_000_000  # values of one YAML document once its aliases are written out
# GitHub Pages builds in production; templates test `jekyll.environment` to show analytics and the like.
JEKYLL = {"version": "4.3.4", "environment": "production"}
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n?)^(?:---|\.\.\.)\s*$\n?", re.S | re.M)
NUMBER = re.compile(r"\s*-?(?:\d+\.?\d*|\.\d+)\s*")
OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
INCLUDE_ARGUMENTS = re.compile(r"((?:\{\{.*?\}\}|[^\s{])+)\s*(.*)", re.S)
POST_NAME = re.compile(r"(?:.*/)?(\d{4})-(\d{2})-(\d{2})-(.+?)(?:\.\w+)?")
POST_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "none": "/:categories/:title:output_ext",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
}
# Jekyll's names for a document's file: `2025-01-31-call.md` gives a date and the slug `call`.
DATE_FILENAME = re.compile(r"(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)")
DATELESS_FILENAME = re.compile(r"(?:.+/)*(.*)(\.[^.]+)")
DATE_PLACEHOLDERS = {
    "year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S", "i_day": "%-d",
    "i_month": "%-m", "short_month": "%b", "long_month": "%B", "short_year": "%y", "y_day": "%j", "w_year": "%G",
    "week": "%V", "w_day": "%u", "short_day": "%a", "long_day": "%A",
}
PLACEHOLDER = re.compile(r":([a-z_]+)")
# A URL that is a folder's index (jekyll-readme-index's test): `/a/` or `/a/index.html`.
INDEX_URL = re.compile(r"(.*/)(?:index\.(?:html?|xhtml|xml))?", re.I)
# jekyll-scholar's options that take a value; the other words of `{% cite %}` are keys.
SCHOLAR_OPTIONS = {"-f", "--file", "-q", "--query", "-p", "--prefix", "-s", "--style", "-T", "--template", "-m",
                   "--max", "-l", "--locator", "-L", "--label", "-g", "--group_by", "-G", "--group_order", "--suffix"}
SLUG_PATTERNS = {
    "raw": re.compile(r"\s+"),
    "default": re.compile(r"[\W_]+"),
    "latin": re.compile(r"[\W_]+"),
    "pretty": re.compile(r"(?:[^\w.~!$&'()+,;=@]|_)+"),
    "ascii": re.compile(r"[^A-Za-z0-9]+"),
}


class LiquidError(ValueError):
    """A template that cannot be rendered. str() is 'line N: problem' (line within the page body)."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem if line is None else f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class SiteConfigError(ValueError):
    """A `_config.yml` that cannot be read; the message names the file and the line."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class _Layout:
    path: Path
    data: dict
    body: str


@dataclass(frozen=True)
class _Collection:
    """A collection of the config (or the built-in `posts`): its folder and its metadata (`output`, `permalink`…)."""

    label: str
    folder: str  # relative to the site root, posix: `_speakers`, or `<collections_dir>/_speakers`
    metadata: dict

    @property
    def output(self) -> bool:
        """Jekyll writes each document as a page of its own."""
        return bool(self.metadata.get("output"))


@dataclass
class JekyllSite:
    """A Jekyll checkout read once (config, data, layouts, includes) and shared by all its pages.

    A snapshot: when `fingerprint()` changes, load the site again. No file is read that leads out of
    `fence` (the knowledge root) or is hidden (see `refusals()`).
    """

    root: Path
    config: dict  # parsed _config.yml ({} when absent or not a mapping)
    problems: list[str] = field(default_factory=list)  # broken data files, layouts, front matter, as they are read
    fence: Path | None = None  # the knowledge root, when the site is a folder inside it

    @classmethod
    def load(cls, root: Path, fence: Path | None = None) -> JekyllSite:
        """Read `_config.yml`; raise SiteConfigError naming the file and line when it is not valid YAML."""
        path = root / CONFIG_FILE
        if path.is_file() and refusal(path, fence or root):
            return cls(root, {}, fence=fence)  # reported by `refusals()`
        try:
            raw = _bounded_read(path)
        except FileNotFoundError:
            return cls(root, {}, fence=fence)
        except ValueError as err:
            raise SiteConfigError(path, str(err)) from err
        try:
            config = _yaml(_decode(raw))
        except ValueError as err:
            raise SiteConfigError(path, str(err)) from err
        return cls(root, config if isinstance(config, dict) else {}, fence=fence)

    @property
    def checkout(self) -> bool:
        """A Jekyll checkout (it has a `_config.yml`), rather than a built site or folders of pages."""
        return (self.root / CONFIG_FILE).is_file()

    @cached_property
    def data(self) -> dict:
        """`site.data`: every data file, nested by folder and keyed by stem; broken files go to `problems`."""
        return self._read_data(self._folder("data_dir", "_data"))

    @cached_property
    def pages(self) -> list[dict]:
        """`site.pages`: every published file with front matter, as its `page` variable (without content)."""
        return [self._page_vars(front, relative) for relative, front in self._published if front is not None]

    @cached_property
    def collections(self) -> dict[str, _Collection]:
        """The config's `collections` (a mapping, or a list of labels), and always `posts`, by label."""
        declared = self.config.get("collections")
        if isinstance(declared, list):
            declared = {label: {} for label in declared if isinstance(label, str)}
        base = self._folder("collections_dir", "").relative_to(self.root).as_posix()
        collections = {}
        for label, given in {"posts": {}, **(declared if isinstance(declared, dict) else {})}.items():
            name = re.sub(r"[^a-z0-9_.-]", "", str(label), flags=re.I)
            if not name:
                continue
            metadata = dict(given) if isinstance(given, dict) else {}
            if name == "posts":
                metadata["output"] = True
                metadata.setdefault("permalink", POST_STYLES.get(self._permalink_style, self._permalink_style))
            collections[name] = _Collection(name, f"_{name}" if base == "." else f"{base}/_{name}", metadata)
        return collections

    @cached_property
    def documents(self) -> dict[str, list[_Document]]:
        """Each collection's documents in Jekyll's order (unpublished ones left out of an output collection).

        A document with broken front matter is left out and goes to `problems`, as does one whose
        Liquid fails when it is first rendered.
        """
        documents = {}
        for label, collection in self.collections.items():
            read = (self._read_document(collection, relative) for relative in self._collection_files(collection))
            documents[label] = _ordered([d for d in read if d is not None and d.published], collection)
        return documents

    def published_documents(self) -> list[str]:
        """The documents Jekyll writes as pages (those of collections with `output: true`), relative to the root."""
        return [d.relative for label, docs in self.documents.items() if self.collections[label].output for d in docs]

    def readme_index(self, relative: str) -> bool:
        """GitHub Pages' jekyll-readme-index: a Markdown README is the index page of a folder that has none."""
        option = self.config.get("readme_index")
        if not self._is_readme(relative) or (isinstance(option, dict) and option.get("enabled") is False):
            return False
        folder = PurePosixPath(relative).parent.as_posix()
        return ("/" if folder == "." else f"/{folder}/").lower() not in self._index_urls

    def url_of(self, relative: str, front: Mapping | None) -> str:
        """The path Jekyll publishes a file at: a page's or a document's URL; a file without front matter
        where it is (a README that indexes its folder aside)."""
        if front is None and not self.readme_index(relative):
            return f"/{relative}"
        return self._page_vars(front or {}, relative)["url"]

    def fingerprint(self) -> str:
        """A hash of everything besides a page that changes how it renders, so pages re-render when it changes."""
        digest = hashlib.sha256()
        for path in self._resources():
            if path.is_file() and not self._refused(path):
                raw = path.read_bytes()
                digest.update(f"{path.relative_to(self.root).as_posix()}\0{len(raw)}\0".encode())
                digest.update(raw)
        return digest.hexdigest()

    def refusals(self) -> list[tuple[Path, str]]:
        """The files besides its pages that the site would read but that are links out of the knowledge root
        or to a hidden file, each with the reason: they are never read, and each deserves an error."""
        found = []
        for path in self._resources():
            if not hidden(path, self.boundary) and (problem := refusal(path, self.boundary)):
                found.append((path, problem))
        return found

    def _resources(self) -> list[Path]:
        """Every path besides the pages that Liquid reads: config, CNAME, data, includes, layouts,
        collections and bibliographies."""
        paths = [self.root / CONFIG_FILE, self.root / CNAME_FILE]
        folders = [self._folder(key, default) for key, default in
                   (("data_dir", "_data"), ("includes_dir", "_includes"), ("layouts_dir", "_layouts"))]
        folders += [self.root / collection.folder for collection in self.collections.values()]
        folders.append(self._scholar_folder)
        for folder in folders:
            paths += sorted(folder.rglob("*"))
        return [path for path in paths if path.exists() or path.is_symlink()]

    @property
    def boundary(self) -> Path:
        """What no file the site reads may lead out of: the knowledge root, else the site's own root."""
        return self.fence or self.root

    def _refused(self, path: Path) -> bool:
        return refusal(path, self.boundary) is not None

    def excluded(self, relative: str) -> bool:
        """True for what Jekyll does not publish: `_`/`.` names, `exclude` and its defaults, unless in `include`."""
        include, exclude = self._entry_patterns
        parts = PurePosixPath(relative).parts
        for depth, name in enumerate(parts, start=1):
            entry = "/".join(parts[:depth])
            if _included(include, entry):
                continue
            if name.startswith(SPECIAL_PREFIXES) or name.endswith("~") or _glob_matches(exclude, entry):
                return True
        return False

    def base_url(self) -> str | None:
        """Where the site is published: `url` + `baseurl`, else the CNAME host, else None."""
        if not self._url:
            return None
        url = self.config.get("url")
        return self._url + self._baseurl if isinstance(url, str) and url.strip() else self._url

    def render(self, body: str, page: dict, relative: str) -> str:
        """Liquid-render a page body as Jekyll would; raise LiquidError (line within `body`) if it cannot."""
        try:
            template = self._strict.from_string(body, name=relative)
            return template.render(site=self._site_vars, page=self._page_vars(page, relative, body), jekyll=JEKYLL)
        except (liquid_errors.LiquidError, ValueError, ArithmeticError) as err:
            raise _page_error(err, body) from err

    def render_layout(self, page: dict, relative: str, content: str) -> str | None:
        """The page's layout chain around `content`, rendering what it can; None without a layout."""
        data = self._page_vars(page, relative, content)
        layout = self._layouts.get(self._layout_name(data, relative) or "")
        if layout is None:
            return None
        merged: dict = {}
        seen: set[Path] = set()
        output = content
        while layout is not None and layout.path not in seen:
            seen.add(layout.path)
            merged = _deep_merge(layout.data, merged)  # an inner layout's front matter wins, as in Jekyll
            scope = {"site": self._site_vars, "page": data, "content": output, "layout": merged, "jekyll": JEKYLL}
            # A layout that cannot be parsed at all passes the content through.
            with suppress(liquid_errors.LiquidError, ValueError, ArithmeticError):
                output = self._lenient.parsed(layout.path, layout.body).render(**scope)
            parent = layout.data.get("layout")
            layout = self._layouts.get(parent) if isinstance(parent, str) else None
        return output

    @cached_property
    def _strict(self) -> _SiteEnvironment:
        return _SiteEnvironment(self, strict=True)

    @cached_property
    def _lenient(self) -> _SiteEnvironment:
        return _SiteEnvironment(self, strict=False)

    @cached_property
    def _site_vars(self) -> dict:
        posts = self.documents["posts"][::-1]  # newest first
        listed = {label: docs for label, docs in self.documents.items() if label != "posts"}
        return {
            **self.config,
            "data": self.data,
            "pages": self.pages,
            "posts": posts,
            "tags": _grouped_posts(posts, "tags"),
            "categories": _grouped_posts(posts, "categories"),
            "documents": [document for docs in self.documents.values() for document in docs],
            "collections": [self._collection_vars(self.collections[label]) for label in sorted(self.collections)],
            "url": self._url,
            "baseurl": self.config.get("baseurl") or "",
            "time": datetime.now(),
            **listed,  # `site.speakers`: a collection's name wins over everything else, as in Jekyll
        }

    def _collection_vars(self, collection: _Collection) -> dict:
        return {**collection.metadata, "label": collection.label, "docs": self.documents[collection.label],
                "files": [], "relative_directory": collection.folder, "directory": str(self.root / collection.folder),
                "output": collection.output}

    @cached_property
    def _url(self) -> str:
        """`site.url`: the config's `url` with a scheme, else the CNAME host, as GitHub Pages sets it."""
        url, source = self.config.get("url"), f"{CONFIG_FILE}: url"
        if isinstance(url, str) and url.strip():
            url = url.strip().rstrip("/")
            url = url if "://" in url else f"https://{url}"
        elif self._cname:
            url, source = f"https://{self._cname}", CNAME_FILE
        else:
            return ""
        if problem := web_url_error(url):
            self.problems.append(f"{source}: {problem}; the pages are not linked")
            return ""
        return url

    @cached_property
    def _baseurl(self) -> str:
        value = self.config.get("baseurl")
        path = value.strip().strip("/") if isinstance(value, str) else ""
        return f"/{path}" if path else ""

    @cached_property
    def _cname(self) -> str | None:
        if self._refused(self.root / CNAME_FILE):
            return None
        try:
            lines = (self.root / CNAME_FILE).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        return next((line.strip() for line in lines if line.strip()), None)

    @cached_property
    def _markdown_extensions(self) -> set[str]:
        value = self.config.get("markdown_ext")
        return {ext.strip().lower() for ext in (value if isinstance(value, str) else MARKDOWN_EXTENSIONS).split(",")}

    def _is_markdown(self, relative: str) -> bool:
        return PurePosixPath(relative).suffix.lower().lstrip(".") in self._markdown_extensions

    def _is_readme(self, relative: str) -> bool:
        return PurePosixPath(relative).stem.lower() == "readme" and self._is_markdown(relative)

    def _output_ext(self, relative: str) -> str:
        return ".html" if self._is_markdown(relative) else PurePosixPath(relative).suffix

    @cached_property
    def _permalink_style(self) -> str:
        return str(self.config.get("permalink") or "date")

    @cached_property
    def _published(self) -> list[tuple[str, dict | None]]:
        """Every file the site publishes outside its collections, with its front matter (None: copied as it is)."""
        files = []
        for folder, subfolders, names in os.walk(self.root):
            here = Path(folder).relative_to(self.root)
            subfolders[:] = sorted(name for name in subfolders if not self.excluded((here / name).as_posix()))
            for name in sorted(names):
                relative = (here / name).as_posix()
                if not self.excluded(relative):
                    read = self._read_front_matter(relative)
                    files.append((relative, read and read[0]))
        return files

    @cached_property
    def _index_urls(self) -> set[str]:
        """Folder URLs (lower case) that a page or file other than a README serves as the index."""
        urls = set()
        for relative, front in self._published:
            if self._is_readme(relative):
                continue
            data = _deep_merge(self._defaults(relative), front or {})
            if match := INDEX_URL.fullmatch(self._page_url(relative, data)):
                urls.add(match.group(1).lower())
        return urls

    @cached_property
    def _scholar_folder(self) -> Path:
        """Where jekyll-scholar reads bibliographies: `scholar: source`, `_bibliography` by default."""
        scholar_config = self.config.get("scholar")
        source = scholar_config.get("source") if isinstance(scholar_config, dict) else None
        source = source.strip().lstrip(".").strip("/") if isinstance(source, str) else ""
        return self.root / (source or "_bibliography")

    @cached_property
    def _bibliographies(self) -> dict[Path, list[dict[str, str]]]:
        return {}

    @cached_property
    def _rendering(self) -> set[tuple[_Document, str]]:
        """The documents whose content or output is being rendered, outermost first."""
        return set()

    def _bibliography(self, name: str | None) -> list[dict[str, str]]:
        """The entries of a bibliography (`--file name`, else the config's `bibliography`), read once.

        Raise FileNotFoundError naming the file when there is none; a file that cannot be read is
        reported in `problems` and lists nothing.
        """
        scholar_config = self.config.get("scholar")
        default = scholar_config.get("bibliography") if isinstance(scholar_config, dict) else None
        name = name or (default if isinstance(default, str) and default else "references.bib")
        if name.startswith("/") or ".." in PurePosixPath(name).parts:
            raise FileNotFoundError(f"{name} is outside {self._scholar_folder.relative_to(self.root).as_posix()}/")
        path = self._scholar_folder / name
        if not path.is_file() and path.suffix != ".bib":
            path = path.with_name(f"{path.name}.bib")
        if not path.is_file():
            raise FileNotFoundError(f"{path.relative_to(self.root).as_posix()} not found")
        if problem := refusal(path, self.boundary):
            raise FileNotFoundError(f"{path.relative_to(self.root).as_posix()} {problem}")
        if path not in self._bibliographies:
            try:
                self._bibliographies[path] = scholar.read_bibliography(path)
            except (OSError, ValueError) as err:
                self.problems.append(f"{path.relative_to(self.root).as_posix()}: {err}")
                self._bibliographies[path] = []
        return self._bibliographies[path]

    @cached_property
    def _layouts(self) -> dict[str, _Layout]:
        """Layouts by name: their path under `_layouts/` without the extension."""
        folder = self._folder("layouts_dir", "_layouts")
        layouts = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not self._refused(p)):
            try:
                text = _decode(path.read_bytes())
                data, body = _split_front_matter(text) or ({}, text)
            except (OSError, ValueError) as err:
                self.problems.append(f"{path.relative_to(self.root).as_posix()}: {err}")
                continue
            layouts[path.relative_to(folder).as_posix().rsplit(".", 1)[0]] = _Layout(path, data, body)
        return layouts

    def _folder(self, key: str, default: str) -> Path:
        value = self.config.get(key)
        return self.root / (value.strip("/") if isinstance(value, str) and value.strip("/") else default)

    @cached_property
    def _entry_patterns(self) -> tuple[list[str], list[str]]:
        """Config `include` and `exclude` with Jekyll's defaults; what is included is never excluded."""
        include = [*DEFAULT_INCLUDES, *self._paths("include")]
        return include, [p for p in (*DEFAULT_EXCLUDES, *self._paths("exclude")) if p not in include]

    def _paths(self, key: str) -> list[str]:
        value = self.config.get(key)
        return [str(p).lstrip("/") for p in value if p] if isinstance(value, list) else []

    def _read_data(self, folder: Path, seen: frozenset[Path] = frozenset()) -> dict:
        """A data folder, nested; a link to a folder that holds it is not followed round again."""
        data: dict = {}
        if not folder.is_dir() or folder.resolve() in seen:
            return data
        for path in sorted(folder.iterdir()):
            if path.name.startswith(SPECIAL_PREFIXES) or self._refused(path):
                continue
            if path.is_dir():
                data[_data_key(path.name)] = self._read_data(path, seen | {folder.resolve()})
            elif path.suffix.lower() in DATA_SUFFIXES:
                try:
                    data[_data_key(path.stem)] = _read_data_file(path)
                except (OSError, ValueError) as err:
                    self.problems.append(f"{path.relative_to(self.root).as_posix()}: {err}")
        return data

    def _read_front_matter(self, relative: str) -> tuple[dict, str, int] | None:
        """A file's front matter, body and the body's line offset in the file; None for a file without
        front matter (Jekyll copies those as they are) or whose front matter is broken (in `problems`)."""
        path = self.root / relative
        if self._refused(path):
            return None
        try:
            with path.open("rb") as stream:
                if stream.read(3) != b"---":
                    return None
            text = _decode(path.read_bytes())
            parts = _split_front_matter(text)
        except OSError:
            return None
        except ValueError as err:
            self.problems.append(f"{relative}: front matter: {err}")
            return None
        if parts is None:
            return None
        front, body = parts
        return front, body, text[: len(text) - len(body)].count("\n")

    def _page_vars(self, front: Mapping, relative: str, content: str | None = None) -> dict:
        """`page` as Jekyll exposes it: front matter over the config's defaults, plus url, path, name, dir
        (a collection document's, when the file is one)."""
        collection = self._collection_of(relative)
        if collection is not None:
            data = self._document_vars(collection, relative, front)
        else:
            data = _deep_merge(self._defaults(relative), front)
            url = self._page_url(relative, data)
            data.update(
                url=url,
                path=relative,
                name=PurePosixPath(relative).name,
                dir=url if url.endswith("/") else url.rsplit("/", 1)[0] + "/",
            )
        if content is not None:
            data["content"] = content
        return data

    def _collection_of(self, relative: str) -> _Collection | None:
        return next((c for c in self.collections.values() if relative.startswith(f"{c.folder}/")), None)

    def _collection_files(self, collection: _Collection) -> list[str]:
        """A collection's files as Jekyll filters them: `_`/`.` names count from inside its folder, while
        `exclude` and `include` patterns match paths from the site root."""
        folder = self.root / collection.folder
        include, exclude = self._entry_patterns
        files = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            inner, relative = path.relative_to(folder).as_posix(), path.relative_to(self.root).as_posix()
            special = inner.startswith(SPECIAL_PREFIXES) or path.name.startswith(SPECIAL_PREFIXES)
            if _included(include, relative) or not (
                    special or path.name.endswith("~") or _glob_matches(exclude, relative)):
                files.append(relative)
        return files

    def _read_document(self, collection: _Collection, relative: str) -> _Document | None:
        """A document; None for a file without front matter (a static file) or whose front matter is broken."""
        if collection.label == "posts" and not DATE_FILENAME.fullmatch(relative):
            return None  # Jekyll reads only dated files as posts
        read = self._read_front_matter(relative)
        return None if read is None else _Document(self, collection, relative, *read)

    def _document_vars(self, collection: _Collection, relative: str, front: Mapping) -> dict:
        """A document's variables: its front matter over the defaults for its collection, and what Jekyll
        adds (a title and slug from the file name, a post's date, categories, tags, its URL)."""
        data = _deep_merge(self._defaults(relative, collection.label), front)
        path = PurePosixPath(relative)
        dated, dateless = DATE_FILENAME.fullmatch(relative), DATELESS_FILENAME.fullmatch(relative)
        slug, ext = dated.group(2, 3) if dated else dateless.group(1, 2) if dateless else (path.name, "")
        slug = slug.rstrip(".")
        if dated and not data.get("date"):
            data["date"] = _filename_date(dated.group(1))
        data["title"] = data.get("title") or " ".join(word.capitalize() for word in slug.split("-"))
        data["slug"] = data.get("slug") or slug
        data["ext"] = data.get("ext") or ext
        for plural, singular in (("categories", "category"), ("tags", "tag")):
            data[plural] = list(dict.fromkeys(_words(data.get(plural)) + _words(data.get(singular))))
        url = self._document_url(collection, relative, data)
        base = self._folder("collections_dir", "").relative_to(self.root).as_posix()
        inside = relative if base == "." else relative.removeprefix(f"{base}/")
        data.update(collection=collection.label, url=url, path=inside, relative_path=inside, draft=False,
                    id=posixpath.join(posixpath.dirname(url), str(data["slug"])))
        data.setdefault("name", path.name)
        return data

    def _document_url(self, collection: _Collection, relative: str, data: Mapping) -> str:
        """Where Jekyll writes a document: its permalink, else its collection's, else `/:collection/:path`
        ended as the site's permalink style ends URLs."""
        permalink, template = data.get("permalink"), collection.metadata.get("permalink")
        if isinstance(permalink, str) and permalink.strip():
            template = permalink.strip()
        elif not isinstance(template, str) or not template.strip():
            template = "/:collection/:path" + _style_suffix(self._permalink_style)
        path = PurePosixPath(relative)
        inner = relative.removeprefix(f"{collection.folder}/")
        slug = str(data.get("slug") or path.stem)
        moment = _moment(data.get("date")) or datetime.now()
        values = {
            "collection": collection.label,
            "path": "/" + (inner[: -len(path.suffix)] if path.suffix else inner).rstrip("."),
            "name": slugify(path.stem),
            "title": _slugged(slug, "pretty"),
            "slug": slugify(slug),
            "categories": "/".join(dict.fromkeys(str(c).lower() for c in data.get("categories") or [])),
            "output_ext": self._output_ext(relative),
            **{name: moment.strftime(code) for name, code in DATE_PLACEHOLDERS.items()},
        }
        url = f"/{_fill(template.strip(), values)}".replace("..", "/").replace("./", "")
        return re.sub(r"/{2,}", "/", url)

    def _render_document(self, document: _Document) -> str:
        """A document's body as Jekyll renders it before any page: Liquid, then Markdown for a Markdown file.
        A Liquid error is reported in `problems` and what can be rendered is kept."""
        scope = {"site": self._site_vars, "page": document.data, "jekyll": JEKYLL}
        try:
            output = self._strict.from_string(document.body, name=document.relative).render(**scope)
        except (liquid_errors.LiquidError, ValueError, ArithmeticError) as err:
            error = _page_error(err, document.body)
            line = f"line {error.line + document.offset}: " if error.line else ""
            problem = f"{document.relative}: {line}Liquid template cannot be rendered: {error.problem}"
            if problem not in self.problems:  # a document rendered inside another one is rendered again
                self.problems.append(problem)
            output = ""
            with suppress(liquid_errors.LiquidError, ValueError, ArithmeticError):
                output = self._lenient.from_string(document.body, name=document.relative).render(**scope)
        return markdown_to_html(output) if self._is_markdown(document.relative) else output

    def _defaults(self, relative: str, kind: str = "pages") -> dict:
        """Config `defaults` that apply to a file at `relative` of type `kind` (`pages`, `posts`, a collection's
        label); the most specific scope wins, as in Jekyll."""
        merged: dict = {}
        winner: dict | None = None
        sets = self.config.get("defaults")
        for entry in sets if isinstance(sets, list) else []:
            scope = entry.get("scope") if isinstance(entry, dict) else None
            values = entry.get("values") if isinstance(entry, dict) else None
            scope = scope if isinstance(scope, dict) else {}
            if not isinstance(values, dict) or not _scope_applies(scope, relative, kind):
                continue
            if winner is None or _has_precedence(winner, scope):
                merged, winner = _deep_merge(merged, values), scope
            else:
                merged = _deep_merge(values, merged)
        return merged

    def _page_url(self, relative: str, data: Mapping) -> str:
        """Where Jekyll writes a page: its permalink, else by the site's permalink style (`pretty`: `/about/`)."""
        path = PurePosixPath(relative)
        ext = self._output_ext(relative)
        permalink = data.get("permalink")
        if isinstance(permalink, str) and permalink.strip():
            template = permalink.strip()
        elif ext != ".html":
            template = "/:path/:basename:output_ext"
        elif path.stem == "index" or self.readme_index(relative):
            template = "/:path/"
        else:
            template = "/:path/:basename" + _style_suffix(self._permalink_style)
        folder = "" if path.parent.as_posix() == "." else path.parent.as_posix()
        url = template.replace(":path", folder).replace(":basename", path.stem).replace(":output_ext", ext)
        return re.sub(r"/{2,}", "/", f"/{url}")

    def _layout_name(self, data: Mapping, relative: str) -> str | None:
        """The page's layout; Markdown without one gets GitHub Pages' default (jekyll-default-layout)."""
        layout = data.get("layout")
        if isinstance(layout, str) and layout:
            return None if layout == "none" else layout
        collection = self._collection_of(relative)
        if not self._is_markdown(relative) or (collection is not None and collection.label != "posts"):
            return None  # the plugin gives layouts to pages and posts only
        if collection is not None:
            candidates: tuple[str, ...] = ("post", "default")
        else:
            candidates = ("home", "page", "default") if data.get("url") == "/" else ("page", "default")
        return next((name for name in candidates if name in self._layouts), None)

    def _include_folder(self, tag: str, page: str) -> Path:
        if tag == "include_relative":
            return (self.root / page).parent
        return self._folder("includes_dir", "_includes")

    def _link(self, tag: str, target: str) -> str | None:
        """The path `{% link %}` or `{% post_url %}` prints, with the baseurl; None for a malformed post name."""
        if tag == "post_url" or target.startswith("_posts/"):
            url = self._post_url(target)
            return None if url is None else self._baseurl + url
        page = next((p for p in self.pages if p["path"] == target), None)
        return self._baseurl + (page["url"] if page else f"/{target}")

    def _post_url(self, name: str) -> str | None:
        """A post's URL from its file name and the permalink style (categories are not read)."""
        match = POST_NAME.fullmatch(name)
        if match is None:
            return None
        year, month, day, title = match.groups()
        style = self._permalink_style
        values = {
            "categories": "", "year": year, "month": month, "day": day, "short_year": year[2:],
            "i_month": str(int(month)), "i_day": str(int(day)), "title": title, "slug": title, "output_ext": ".html",
        }
        url = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), POST_STYLES.get(style, style))
        return re.sub(r"/{2,}", "/", f"/{url}")

    def _relative_url(self, value: object) -> str:
        """Jekyll's `relative_url`: the baseurl before a site path; absolute URLs pass through."""
        if isinstance(value, Mapping) and not is_undefined(value):
            value = value.get("url")
        if value is None or is_undefined(value):
            return ""
        text = _text(value)
        if urlsplit(text).scheme:
            return text
        return self._baseurl + (text if not text or text.startswith("/") else f"/{text}")

    def _absolute_url(self, value: object) -> str:
        """Jekyll's `absolute_url`: `site.url` before the relative URL (just the relative one without a url)."""
        if value is None or is_undefined(value):
            return ""
        relative = self._relative_url(value)
        return relative if urlsplit(relative).scheme else self._url + relative


class _SiteEnvironment(Environment):
    """A site's Liquid: strict for page bodies (every error is reported), lax for layouts (the chrome)."""

    logical_parentheses = True  # Jekyll's lax parser lets `a and (b or c)` through; python-liquid needs this

    def __init__(self, site: JekyllSite, *, strict: bool) -> None:
        super().__init__(tolerance=Mode.STRICT if strict else Mode.LAX, strict_filters=strict)
        self.site = site
        self._parsed: dict[Path, BoundTemplate] = {}
        for name in ("include", "include_relative", "include_cached"):
            self.tags[name] = _IncludeTag(self, name)
        for name in ("link", "post_url"):
            self.tags[name] = _LinkTag(self, name)
        for name in ("seo", "feed_meta"):
            self.tags[name] = _SilentTag(self, name)
        self.tags["highlight"] = _HighlightTag(self, "highlight")
        for name in ("bibliography", "cite", "reference"):
            self.tags[name] = _ScholarTag(self, name)
        self.tags = {name: _Located(tag) for name, tag in self.tags.items()}
        self.filters.update(FILTERS)
        self.filters.update(relative_url=site._relative_url, absolute_url=site._absolute_url)

    def parsed(self, path: Path, source: str | None = None) -> BoundTemplate:
        """A file's template, parsed once: includes and layouts are shared by every page."""
        template = self._parsed.get(path)
        if template is None:
            text = path.read_text(encoding="utf-8-sig", errors="replace") if source is None else source
            template = self._parsed[path] = self.from_string(text, name=path.name, path=path)
        return template

    def include(self, tag: str, name: str, page: str, token: Token) -> BoundTemplate:
        """The template `{% include name %}` (or `include_relative`, from `page`) refers to."""
        folder = self.site._include_folder(tag, page)
        path = folder / name
        if not name or name.startswith("/") or ".." in PurePosixPath(name).parts or not path.is_file():
            where = folder.relative_to(self.site.root).as_posix()
            raise liquid_errors.TemplateNotFoundError(f"{tag} '{name}' not found in {where}/", token=token)
        if problem := refusal(path, self.site.boundary):
            raise liquid_errors.TemplateNotFoundError(f"{tag} '{name}' {problem}", token=token)
        return self.parsed(path)


class _Located(Tag):
    """Any tag, whose parse errors point at the tag when python-liquid places them at 'end of expression'."""

    def __init__(self, inner: Tag) -> None:
        super().__init__(inner.env)
        self.inner = inner
        self.name = inner.name
        self.block = inner.block
        self.end = getattr(inner, "end", "")

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        try:
            return self.inner.parse(stream)
        except liquid_errors.LiquidError as err:
            if err.token is None or err.token.start_index < 0:
                err.token = token
            raise


class _NamedTag(Tag):
    """A tag class registered under several names (`include`, `include_relative`, …)."""

    block = False

    def __init__(self, env: Environment, name: str) -> None:
        super().__init__(env)
        self.name = name


class _IncludeTag(_NamedTag):
    """Jekyll's include: `{% include file.html key=value key2="text" %}`, the name may hold `{{ }}`."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = _tag_expression(stream)
        match = INCLUDE_ARGUMENTS.fullmatch(expression.value) if expression else None
        if expression is None or match is None:
            raise liquid_errors.LiquidSyntaxError(f"{self.name} needs a file name", token=tag)
        rest = Token(TOKEN_EXPRESSION, match.group(2), expression.start_index + match.start(2), expression.source)
        params = _parse_params(self.env, TokenStream(tokenize(rest.value, rest)))
        return _IncludeNode(tag, self.name, _parse_parts(self.env, match.group(1), expression), params)


class _IncludeNode(Node):
    def __init__(self, token: Token, tag: str, name: list[str | Expression], params: dict[str, Expression] | None):
        super().__init__(token)
        self.tag = tag
        self.name = name
        self.params = params
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        env = cast(_SiteEnvironment, context.env)
        name = _render_parts(self.name, context).strip()
        try:
            template = env.include(self.tag, name, _page_path(context), self.token)
            # Without parameters Jekyll leaves `include` as the enclosing include set it.
            scope = {} if self.params is None else {"include": {k: v.evaluate(context) for k, v in self.params.items()}}
            with context.extend(scope, template=template):
                template.render_with_context(context, buffer, partial=True)
        except liquid_errors.LiquidError as err:
            env.error(_inside(err, f"{self.tag} {name}", self.token))
        return 1


class _LinkTag(_NamedTag):
    """`{% link path %}` and `{% post_url name %}`: the URL of another file of the site."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = _tag_expression(stream)
        if expression is None:
            raise liquid_errors.LiquidSyntaxError(f"{self.name} needs a target", token=tag)
        return _LinkNode(tag, self.name, _parse_parts(self.env, expression.value, expression))


class _LinkNode(Node):
    def __init__(self, token: Token, tag: str, target: list[str | Expression]) -> None:
        super().__init__(token)
        self.tag = tag
        self.target = target
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        target = _render_parts(self.target, context).strip()
        url = cast(_SiteEnvironment, context.env).site._link(self.tag, target)
        if url is None:
            problem = f"{self.tag}: '{target}' is not a post name (YYYY-MM-DD-title)"
            raise liquid_errors.LiquidError(problem, token=self.token)
        return buffer.write(url)


class _SilentTag(_NamedTag):
    """Plugin tags that only write metadata into <head> (`seo`, `feed_meta`): nothing a reader sees."""

    def parse(self, stream: TokenStream) -> Node:
        return _EmptyNode(_tag_expression(stream)[0])


class _EmptyNode(Node):
    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return 0


class _HighlightTag(_NamedTag):
    """`{% highlight lang %}code{% endhighlight %}`: the code escaped in <pre><code>, as Rouge wraps it."""

    block = True
    end = "endhighlight"

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        lang = ""
        if stream.current.kind == TOKEN_EXPRESSION:
            lang = stream.current.value.split()[0]
            next(stream)
        block = get_parser(self.env).parse_block(stream, (self.end,))
        stream.expect(TOKEN_TAG, value=self.end)
        return _HighlightNode(token, lang, block)


class _HighlightNode(Node):
    def __init__(self, token: Token, lang: str, block: BlockNode) -> None:
        super().__init__(token)
        self.lang = lang
        self.block = block
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        code = io.StringIO()
        self.block.render(context, code)
        escaped = html.escape(code.getvalue().strip("\r\n"), quote=False)
        attributes = f' class="language-{self.lang.replace("+", "-")}" data-lang="{self.lang}"' if self.lang else ""
        return buffer.write(f'<figure class="highlight"><pre><code{attributes}>{escaped}</code></pre></figure>')


class _ScholarTag(_NamedTag):
    """jekyll-scholar's tags: `{% bibliography %}` lists every entry of the bibliography, `{% reference key %}`
    prints an entry as listed, `{% cite key %}` its title. `--file name` picks the file; the other options
    (`--query`, `--cited`, styles) are read past, so the whole file is listed."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = _tag_expression(stream)
        try:
            words = iter(shlex.split(expression.value) if expression else [])
        except ValueError as err:
            raise liquid_errors.LiquidSyntaxError(f"{self.name}: {err}", token=expression) from err
        file, keys = None, []
        for word in words:
            if word in SCHOLAR_OPTIONS:
                value = next(words, None)
                file = value if word in ("-f", "--file") else file
            elif not word.startswith("-"):
                keys.append(word)
        return _ScholarNode(tag, self.name, file, keys)


class _ScholarNode(Node):
    def __init__(self, token: Token, tag: str, file: str | None, keys: list[str]) -> None:
        super().__init__(token)
        self.tag = tag
        self.file = file
        self.keys = keys
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        env = cast(_SiteEnvironment, context.env)
        try:
            entries = env.site._bibliography(self.file)
        except FileNotFoundError as err:
            env.error(liquid_errors.LiquidError(f"{self.tag}: {err}", token=self.token))
            return 0
        if self.tag == "bibliography":
            return buffer.write(scholar.bibliography(entries))
        cited = [entry for key in self.keys for entry in entries if entry.get("ID") == key]
        if self.tag == "reference":
            return buffer.write(" ".join(scholar.reference(entry) for entry in cited))
        return buffer.write("; ".join(html.escape(scholar.latex_text(entry.get("title"))) for entry in cited))


def _tag_expression(stream: TokenStream) -> tuple[Token, Token | None]:
    """A tag's token and raw expression, leaving the stream on the tag's last token as the parser expects."""
    tag = stream.current
    if stream.peek.kind != TOKEN_EXPRESSION:
        return tag, None
    next(stream)
    return tag, stream.current


def _parse_parts(env: Environment, text: str, token: Token) -> list[str | Expression]:
    """A name that may embed `{{ expressions }}` (`{% include {{ page.x }}.html %}`); `text` starts `token`."""
    parts: list[str | Expression] = []
    position = 0
    for match in OUTPUT.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        inner = Token(TOKEN_EXPRESSION, match.group(1), token.start_index + match.start(1), token.source)
        parts.append(FilteredExpression.parse(env, TokenStream(tokenize(inner.value, inner))))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return parts


def _render_parts(parts: list[str | Expression], context: RenderContext) -> str:
    return "".join(part if isinstance(part, str) else _text(part.evaluate(context)) for part in parts)


def _parse_params(env: Environment, tokens: TokenStream) -> dict[str, Expression] | None:
    """Jekyll's `key=value` include parameters, separated by spaces (or commas); None when there are none."""
    params: dict[str, Expression] = {}
    while tokens.current.kind != TOKEN_EOF:
        key = next(tokens)
        # Words tokenize as TOKEN_WORD, keywords (`limit`, `for`, …) as their own name: both are valid keys.
        if key.kind not in (TOKEN_WORD, key.value):
            raise liquid_errors.LiquidSyntaxError(f"expected a parameter name, found {key.value!r}", token=key)
        tokens.eat_one_of(TOKEN_ASSIGN, TOKEN_COLON)
        params[key.value] = parse_primitive(env, tokens)
        if tokens.current.kind == TOKEN_COMMA:
            next(tokens)
    return params or None


def _page_path(context: RenderContext) -> str:
    page = context.globals.get("page")
    return str(page.get("path", "")) if isinstance(page, Mapping) else ""


def _line(token: Token | None) -> int | None:
    if token is None or token.start_index < 0:
        return None
    return token.source.count("\n", 0, token.start_index) + 1


def _inside(err: liquid_errors.LiquidError, what: str, token: Token) -> liquid_errors.LiquidError:
    """An error from inside an included file, re-pointed at the include tag and saying where inside it was."""
    if err.token is not None and err.token.source == token.source:
        return err
    line = _line(err.token)
    return liquid_errors.LiquidError(f"in {what}{f', line {line}' if line else ''}: {err.message}", token=token)


def _page_error(err: Exception, body: str) -> LiquidError:
    if not isinstance(err, liquid_errors.LiquidError):
        return LiquidError(None, f"{type(err).__name__}: {err}")
    line = _line(err.token) if err.token is not None and err.token.source == body else None
    return LiquidError(line, str(err.message))


def _bounded_read(path: Path) -> bytes:
    """A data or configuration file's bytes; a ValueError for one larger than MAX_DATA_BYTES, read no
    further than that: a site's data is a few hundred kilobytes, not the 50 MB that stall a render."""
    with path.open("rb") as file:
        raw = file.read(MAX_DATA_BYTES + 1)
    if len(raw) > MAX_DATA_BYTES:
        raise ValueError(f"larger than {MAX_DATA_BYTES:,} bytes; not read (a data file holds a site's lists, "
                         "not bulk data)")
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ValueError(f"line {line}: not UTF-8 text") from err


def _yaml(text: str, first_line: int = 1) -> object:
    """Parsed YAML; a ValueError 'line N: problem' where the parser gave up, counted from `first_line`, or
    where aliases would expand into more values than any site's data holds (a "billion laughs": nine
    lines that a template printing them turns into gigabytes)."""
    try:
        if "*" in text:  # aliases are shared when loaded, but copied out by every template that prints them
            _within_expansion(yaml.compose(text, Loader=yaml.SafeLoader))
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = " ".join(filter(None, [getattr(err, "context", None), getattr(err, "problem", None)])) or str(err)
        raise ValueError(f"line {mark.line + first_line}: {problem}" if mark else problem) from err


def _within_expansion(root: yaml.Node | None) -> None:
    """Raise a MarkedYAMLError when the document, its aliases written out, holds more than MAX_YAML_VALUES
    values. Each node is counted once, however many aliases point at it: linear in the document."""
    expanded: dict[int, int] = {}
    order, todo = [], [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in expanded:
            continue
        expanded[id(node)] = 0
        order.append(node)
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(part for pair in node.value for part in pair)
    for node in reversed(order):  # a child was first seen after its first parent: counted before it
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
        expanded[id(node)] = 1 + sum(expanded[id(child)] for child in children)
        if expanded[id(node)] > MAX_YAML_VALUES:
            raise yaml.MarkedYAMLError(problem=f"its aliases expand to more than {MAX_YAML_VALUES:,} values",
                                       problem_mark=node.start_mark)


def _split_front_matter(text: str) -> tuple[dict, str] | None:
    """Jekyll's split of a file into front matter and body; None when the file has no front matter."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return None
    data = _yaml(match.group(1), first_line=2)
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def _read_data_file(path: Path) -> object:
    """One `_data` file as Jekyll reads it: CSV and TSV become lists of rows keyed by the header."""
    text = _decode(_bounded_read(path))
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"line {err.lineno}: {err.msg}") from err
    if suffix in (".csv", ".tsv"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",", strict=True)
        try:
            header, *rows = list(reader) or [[]]
        except csv.Error as err:
            raise ValueError(f"line {reader.line_num}: {err}") from err
        return [dict(zip(header, row, strict=False)) for row in rows if row]
    return _yaml(text)


def _data_key(name: str) -> str:
    """Jekyll's sanitized data name: punctuation dropped, spaces to underscores."""
    return re.sub(r"\s+", "_", re.sub(r"[^\w\s-]+", "", name).strip())


def _deep_merge(base: Mapping, override: Mapping) -> dict:
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        merged[key] = _deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def _glob_matches(patterns: Iterable[str], entry: str) -> bool:
    """Jekyll's `exclude` test: a glob, the entry itself, or a prefix of its path."""
    return any(entry == p.rstrip("/") or entry.startswith(p) or fnmatchcase(entry, p) for p in patterns)


def _included(patterns: Iterable[str], entry: str) -> bool:
    """Jekyll's `include` test: the entry or its name, itself or by a glob. What is inside an included
    folder is not included by it (`include: [_pages]` with `exclude: [_pages/news.md]` leaves news out)."""
    name = PurePosixPath(entry).name
    return any(p.rstrip("/") in (entry, name) or fnmatchcase(entry, p) or fnmatchcase(name, p) for p in patterns)


def _scope_applies(scope: Mapping, relative: str, kind: str) -> bool:
    if scope.get("type") not in (None, kind):
        return False
    path = scope.get("path")
    path = path.strip("/") if isinstance(path, str) else ""
    if not path:
        return True
    if "*" in path:
        pattern = re.compile(re.escape(path).replace(r"\*\*", ".*").replace(r"\*", "[^/]*"))
        parts = PurePosixPath(relative).parts
        return any(pattern.fullmatch("/".join(parts[:depth])) for depth in range(1, len(parts) + 1))
    return relative == path or relative.startswith(f"{path}/")


def _has_precedence(old: Mapping, new: Mapping) -> bool:
    """Jekyll's order of defaults: a longer scope path wins, then a scope that names a type."""
    old_path, new_path = (str(scope.get("path") or "").strip("/") for scope in (old, new))
    if len(new_path) != len(old_path):
        return len(new_path) > len(old_path)
    return "type" in new or "type" not in old


class _Document(Mapping):
    """A collection document as Liquid sees it (Jekyll's DocumentDrop): its variables, `content` (the body
    rendered, when first read) and `output` (the content in its layout), which is what printing it shows.

    A document printed while it renders (its layout lists its own collection) is what Jekyll would have
    at that point: nothing for the content, the content for the output. What is rendered inside another
    document's rendering may have seen such a stand-in, so only what a page asks for directly is kept.
    """

    def __init__(self, site: JekyllSite, collection: _Collection, relative: str, front: dict, body: str,
                 offset: int) -> None:
        self.site, self.collection, self.relative, self.body, self.offset = site, collection, relative, body, offset
        self.data = site._document_vars(collection, relative, front)
        self._rendered: dict[str, str] = {}

    @property
    def published(self) -> bool:
        """Jekyll leaves out the `published: false` documents of a collection it writes as pages."""
        return not self.collection.output or self.data.get("published") is not False

    @property
    def content(self) -> str:
        return self._once("content", lambda: self.site._render_document(self), lambda: "")

    @property
    def output(self) -> str:
        def place() -> str:
            content = self.content
            layout = self.site.render_layout(self.data, self.relative, content)
            return content if layout is None else layout

        return self._once("output", place, lambda: self.content)

    def _once(self, name: str, render: Callable[[], str], meanwhile: Callable[[], str]) -> str:
        if name in self._rendered:
            return self._rendered[name]
        busy = self.site._rendering
        if (self, "content") in busy or (self, name) in busy:
            return meanwhile()
        busy.add((self, name))
        try:
            value = render()
        finally:
            busy.discard((self, name))
        if not busy:
            self._rendered[name] = value
        return value

    def __getitem__(self, key: object) -> object:
        if key == "content":
            return self.content
        if key == "output":
            return self.output
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in ("content", "output") or key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter([*self.data, "content", "output"])

    def __len__(self) -> int:
        return len(self.data) + 2

    def __str__(self) -> str:
        return self.output

    def __eq__(self, other: object) -> bool:  # a document is itself, not its (lazily rendered) values
        return self is other

    __hash__ = object.__hash__


def _ordered(documents: list[_Document], collection: _Collection) -> list[_Document]:
    """Jekyll's order: the collection's `order` list first, else by its `sort_by` key (documents without
    it last), else by date (where both have one), then by path."""
    documents = sorted(documents, key=cmp_to_key(_compare_documents))
    order, key = collection.metadata.get("order"), collection.metadata.get("sort_by")
    if isinstance(order, list):
        rank = {f"{collection.folder}/{entry}": i for i, entry in enumerate(order)}
        listed = sorted((d for d in documents if d.relative in rank), key=lambda d: rank[d.relative])
        return listed + [d for d in documents if d.relative not in rank]
    if isinstance(key, str):
        keyed = [d for d in documents if d.data.get(key) is not None]
        return sorted(keyed, key=lambda d: _sort_key(d.data[key])) + [d for d in documents if d.data.get(key) is None]
    return documents


def _compare_documents(first: _Document, second: _Document) -> int:
    one, other = (_moment(document.data.get("date")) for document in (first, second))
    if one is not None and other is not None:
        one, other = (d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d for d in (one, other))
        if one != other:
            return -1 if one < other else 1
    return (first.relative > second.relative) - (first.relative < second.relative)


def _moment(value: object) -> datetime | None:
    """A date as a datetime; None for what is not a date."""
    try:
        return _time(value)
    except liquid_errors.FilterArgumentError:
        return None


def _filename_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None


def _words(value: object) -> list[str]:
    """Categories or tags as Jekyll reads them: a list, or words separated by spaces."""
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value if item is not None] if isinstance(value, list) else []


def _grouped_posts(posts: list[_Document], key: str) -> dict[str, list[_Document]]:
    """`site.tags` and `site.categories`: each name with its posts, newest first."""
    groups: dict[str, list[_Document]] = {}
    for post in posts:
        for name in post.data.get(key) or []:
            groups.setdefault(name, []).append(post)
    return groups


def _style_suffix(style: str) -> str:
    """How the site's permalink style ends a URL: `pretty` with `/`, the named styles with `.html`."""
    if style == "pretty":
        return "/"
    if style in POST_STYLES or style.endswith(":output_ext"):
        return ":output_ext"
    return "/" if style.endswith("/") else ""


def _fill(template: str, values: Mapping[str, str]) -> str:
    """A URL template's `:placeholders` filled in (`:month_:day` is `:month` then `_:day`)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name.endswith("_") and name[:-1] in values:
            return values[name[:-1]] + "_"
        return match.group(0)

    return PLACEHOLDER.sub(value, template)


# --- Jekyll's filters, where python-liquid has none or a different one -------------------------------------------


def _text(value: object) -> str:
    return to_liquid_string(value, False)


def _items(value: object) -> list:
    """The elements Jekyll's array filters walk: a hash's values, nothing for nil."""
    if value is None or is_undefined(value):
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _property(item: object, name: str) -> object:
    """Jekyll's `item_property`: a dotted path into hashes, nil where it leads nowhere, numbers read as numbers."""
    for key in name.split("."):
        if not isinstance(item, Mapping) or is_undefined(item):
            return None
        item = item.get(key)
        if isinstance(item, str) and NUMBER.fullmatch(item):  # so "10" sorts after "9", as in Jekyll
            item = float(item) if "." in item else int(item)
    return item


def _same(actual: object, target: object) -> bool:
    """Jekyll's `where` comparison: as strings, and an array property matches if any element does."""
    if target is None or is_undefined(target):
        return actual is None
    if actual is None:
        return False
    if isinstance(actual, (list, tuple)):
        return any(_text(element) == _text(target) for element in actual)
    return _text(actual) == _text(target)


def where(value: object, name: object, target: object = None) -> list:
    """Items whose property equals `target`, compared as Jekyll does (as text)."""
    items = _items(value)
    if not name or is_undefined(name) or isinstance(target, (list, dict)):
        return items
    return [item for item in items if _same(_property(item, _text(name)), target)]


def find(value: object, name: object, target: object = None) -> object:
    return next(iter(where(value, name, target)), None)


@lru_cache(maxsize=256)
def _expression(env: Environment, text: str, boolean: bool) -> Expression:
    """A filter's Liquid expression argument (`where_exp`, `group_by_exp`), parsed once."""
    token = Token(TOKEN_EXPRESSION, text, 0, text)
    try:
        tokens = TokenStream(tokenize(text, token))
        return BooleanExpression.parse(env, tokens) if boolean else FilteredExpression.parse(env, tokens)
    except liquid_errors.LiquidSyntaxError as err:
        raise liquid_errors.FilterArgumentError(f"invalid expression {text!r}: {err.message}", token=None) from err


def _evaluate(context: RenderContext, variable: object, item: object, expression: Expression) -> object:
    with context.extend({_text(variable): item}):
        return expression.evaluate(context)


@with_context
def where_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> list:
    condition = _expression(context.env, _text(expression), True)
    return [item for item in _items(value) if _evaluate(context, variable, item, condition)]


@with_context
def find_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> object:
    return next(iter(where_exp(value, variable, expression, context=context)), None)


def _grouped(pairs: Iterable[tuple[object, object]]) -> list[dict]:
    groups: dict[str, list] = {}
    for item, key in pairs:
        groups.setdefault(_text(key), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def _groupable(value: object) -> list | None:
    if is_undefined(value) or not isinstance(value, (list, tuple, Mapping)):
        return None
    return list(value.items()) if isinstance(value, Mapping) else list(value)


def group_by(value: object, name: object) -> object:
    items = _groupable(value)
    return value if items is None else _grouped((item, _property(item, _text(name))) for item in items)


@with_context
def group_by_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> object:
    items = _groupable(value)
    if items is None:
        return value
    key = _expression(context.env, _text(expression), False)
    return _grouped((item, _evaluate(context, variable, item, key)) for item in items)


def _sort_key(value: object) -> tuple:
    """Numbers by value ahead of anything else by its text, so mixed lists still sort."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, _text(value))


def sort(value: object, name: object = None, nils: object = "first") -> list:
    """Jekyll's sort: a hash sorts as [key, value] pairs, items without the property go first (or last)."""
    if value is None or is_undefined(value):
        raise liquid_errors.FilterArgumentError("cannot sort a null object", token=None)
    if isinstance(value, Mapping):
        return sorted(value.items(), key=lambda pair: _sort_key(pair[0]))
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if name is None or is_undefined(name):
        return sorted(items, key=_sort_key)
    if nils not in ("first", "last"):
        raise liquid_errors.FilterArgumentError(f"invalid nils order {nils!r}: 'first' or 'last'", token=None)
    missing = 0 if nils == "first" else 2

    def key(item: object) -> tuple:
        found = _property(item, _text(name))
        return (missing, ()) if found is None else (1, _sort_key(found))

    return sorted(items, key=key)


def _time(value: object) -> datetime | None:
    if value is None or is_undefined(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value)
        return datetime.now() if value in ("now", "today") else date_parser.parse(_text(value))
    except (ValueError, OverflowError, OSError) as err:
        raise liquid_errors.FilterArgumentError(f"invalid date {value!r}", token=None) from err


def _ordinal(day: int) -> str:
    return "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _date_string(value: object, month: str, kind: object, style: object) -> str:
    moment = _time(value)
    if moment is None:
        return ""
    if kind == "ordinal":
        day = f"{moment.day}{_ordinal(moment.day)}"
        return moment.strftime(f"{month} {day}, %Y" if style == "US" else f"{day} {month} %Y")
    return moment.strftime(f"%d {month} %Y")


def date_to_string(value: object, kind: object = None, style: object = None) -> str:
    return _date_string(value, "%b", kind, style)


def date_to_long_string(value: object, kind: object = None, style: object = None) -> str:
    return _date_string(value, "%B", kind, style)


def date_to_xmlschema(value: object) -> str:
    moment = _time(value)
    return "" if moment is None else moment.isoformat(timespec="seconds")


def date_to_rfc822(value: object) -> str:
    moment = _time(value)
    return "" if moment is None else email.utils.format_datetime(moment)


def jsonify(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: object) -> Any:
    return None if is_undefined(value) else str(value)


def markdownify(value: object) -> str:
    return markdown.markdown(_text(value), extensions=["extra"])


@with_context
def liquify(value: object, *, context: RenderContext) -> str:
    """jekyll-liquify: the value rendered as a Liquid template where it is printed."""
    output = io.StringIO()
    context.env.from_string(_text(value)).render_with_context(context, output, partial=True)
    return output.getvalue()


def smartify(value: object) -> str:
    """Curly quotes change nothing a reader needs, so the text is kept as it is."""
    return _text(value)


def slugify(value: object, mode: object = None) -> str:
    text, kind = _text(value), _text(mode) or "default"
    return _slugged(text, kind).lower() if kind in SLUG_PATTERNS else text.lower()


def _slugged(text: str, kind: str) -> str:
    """Jekyll's slug, its case kept (as in URLs)."""
    if kind == "latin":
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return SLUG_PATTERNS[kind].sub("-", text).removeprefix("-").removesuffix("-")


def xml_escape(value: object) -> str:
    return html.escape(_text(value), quote=False).replace('"', "&quot;")


def cgi_escape(value: object) -> str:
    return quote_plus(_text(value), safe="")


def uri_escape(value: object) -> str:
    return quote(_text(value), safe="!#$%&'()*+,/:;=?@[]~")


def number_of_words(value: object, mode: object = None) -> int:
    return len(_text(value).split())


def normalize_whitespace(value: object) -> str:
    return " ".join(_text(value).split())


def array_to_sentence_string(value: object, connector: object = "and") -> str:
    words = [_text(item) for item in _items(value)]
    if len(words) < 3:
        return f" {_text(connector)} ".join(words)
    return f"{', '.join(words[:-1])}, {_text(connector)} {words[-1]}"


def sample(value: object, count: object = 1) -> object:
    """The first item(s) rather than random ones, so a page renders the same every time."""
    if not isinstance(value, (list, tuple)):
        return value
    wanted = int_arg(count, 1)
    return (value[0] if value else None) if wanted == 1 else list(value[:wanted])


def push(value: object, item: object) -> object:
    return [*value, item] if isinstance(value, (list, tuple)) else value


def pop(value: object, count: object = 1) -> object:
    if not isinstance(value, (list, tuple)):
        return value
    return list(value[: max(len(value) - int_arg(count, 1), 0)])


def shift(value: object, count: object = 1) -> object:
    return list(value[int_arg(count, 1) :]) if isinstance(value, (list, tuple)) else value


def unshift(value: object, item: object) -> object:
    return [item, *value] if isinstance(value, (list, tuple)) else value


def _ruby_inspect(value: object) -> str:
    if value is None or is_undefined(value):
        return "nil"
    if isinstance(value, (bool, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_ruby_inspect(k)}=>{_ruby_inspect(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_ruby_inspect(item) for item in value) + "]"
    return str(value)


def inspect(value: object) -> str:
    return xml_escape(_ruby_inspect(value))


FILTERS: dict[str, Callable[..., object]] = {
    "where": where,
    "where_exp": where_exp,
    "find": find,
    "find_exp": find_exp,
    "group_by": group_by,
    "group_by_exp": group_by_exp,
    "sort": sort,
    "date_to_string": date_to_string,
    "date_to_long_string": date_to_long_string,
    "date_to_xmlschema": date_to_xmlschema,
    "date_to_rfc822": date_to_rfc822,
    "jsonify": jsonify,
    "markdownify": markdownify,
    "liquify": liquify,
    "smartify": smartify,
    "slugify": slugify,
    "xml_escape": xml_escape,
    "cgi_escape": cgi_escape,
    "uri_escape": uri_escape,
    "number_of_words": number_of_words,
    "normalize_whitespace": normalize_whitespace,
    "array_to_sentence_string": array_to_sentence_string,
    "sample": sample,
    "push": push,
    "pop": pop,
    "shift": shift,
    "unshift": unshift,
    "inspect": inspect,
}
