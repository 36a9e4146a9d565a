"""A Jekyll checkout's files: its config, which of its files Jekyll publishes, front-matter defaults, and its
data and layouts as read, before any URL or Liquid comes in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Self

from bot.knowledge.files import refusal
from bot.knowledge.jekyll.documents import Collection
from bot.knowledge.jekyll.reading import (DATA_SUFFIXES, bounded_read, data_key, decode, parse_yaml, read_data_file,
                                          split_front_matter)

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


@dataclass
class SiteSource:
    """A site's checkout: what it holds and how Jekyll reads it. `JekyllSite` adds URLs and rendering."""

    root: Path
    config: dict  # parsed _config.yml ({} when absent or not a mapping)
    problems: list[str] = field(default_factory=list)  # broken data files, layouts, front matter, as they are read
    fence: Path | None = None  # the knowledge root, when the site is a folder inside it

    @classmethod
    def load(cls, root: Path, fence: Path | None = None) -> Self:
        """Read `_config.yml`; raise SiteConfigError naming the file and line when it is not valid YAML."""
        path = root / CONFIG_FILE
        if path.is_file() and refusal(path, fence or root):
            return cls(root, {}, fence=fence)  # reported by `refusals()`
        try:
            raw = bounded_read(path)
        except FileNotFoundError:
            return cls(root, {}, fence=fence)
        except ValueError as err:
            raise SiteConfigError(path, str(err)) from err
        try:
            config = parse_yaml(decode(raw))
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
    def _layouts(self) -> dict[str, _Layout]:
        """Layouts by name: their path under `_layouts/` without the extension."""
        folder = self._folder("layouts_dir", "_layouts")
        layouts = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not self._refused(p)):
            try:
                text = decode(path.read_bytes())
                data, body = split_front_matter(text) or ({}, text)
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
                data[data_key(path.name)] = self._read_data(path, seen | {folder.resolve()})
            elif path.suffix.lower() in DATA_SUFFIXES:
                try:
                    data[data_key(path.stem)] = read_data_file(path)
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
            text = decode(path.read_bytes())
            parts = split_front_matter(text)
        except OSError:
            return None
        except ValueError as err:
            self.problems.append(f"{relative}: front matter: {err}")
            return None
        if parts is None:
            return None
        front, body = parts
        return front, body, text[: len(text) - len(body)].count("\n")

    def _collection_files(self, collection: Collection) -> list[str]:
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
                merged, winner = deep_merge(merged, values), scope
            else:
                merged = deep_merge(values, merged)
        return merged


def deep_merge(base: Mapping, override: Mapping) -> dict:
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        merged[key] = deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
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
