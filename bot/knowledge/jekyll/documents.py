"""A site's collections and their documents (posts among them) as Liquid sees them, in Jekyll's order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from functools import cmp_to_key
from typing import TYPE_CHECKING

from bot.knowledge.jekyll.dates import datetime_or_none
from bot.knowledge.jekyll.values import sort_key

if TYPE_CHECKING:
    from bot.knowledge.jekyll.site import JekyllSite

# Jekyll's names for a document's file: `2025-01-31-call.md` gives a date and the slug `call`.
DATE_FILENAME = re.compile(r"(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)")
DATELESS_FILENAME = re.compile(r"(?:.+/)*(.*)(\.[^.]+)")


@dataclass(frozen=True)
class Collection:
    """A collection of the config (or the built-in `posts`): its folder and its metadata (`output`, `permalink`…)."""

    label: str
    folder: str  # relative to the site root, posix: `_speakers`, or `<collections_dir>/_speakers`
    metadata: dict

    @property
    def output(self) -> bool:
        """Jekyll writes each document as a page of its own."""
        return bool(self.metadata.get("output"))


class Document(Mapping):
    """A collection document as Liquid sees it (Jekyll's DocumentDrop): its variables, `content` (the body
    rendered, when first read) and `output` (the content in its layout), which is what printing it shows.

    A document printed while it renders (its layout lists its own collection) is what Jekyll would have
    at that point: nothing for the content, the content for the output. What is rendered inside another
    document's rendering may have seen such a stand-in, so only what a page asks for directly is kept.
    """

    def __init__(self, site: JekyllSite, collection: Collection, relative: str, front: dict, body: str,
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


def ordered(documents: list[Document], collection: Collection) -> list[Document]:
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
        return sorted(keyed, key=lambda d: sort_key(d.data[key])) + [d for d in documents if d.data.get(key) is None]
    return documents


def _compare_documents(first: Document, second: Document) -> int:
    one, other = (datetime_or_none(document.data.get("date")) for document in (first, second))
    if one is not None and other is not None:
        one, other = (d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d for d in (one, other))
        if one != other:
            return -1 if one < other else 1
    return (first.relative > second.relative) - (first.relative < second.relative)


def words_of(value: object) -> list[str]:
    """Categories or tags as Jekyll reads them: a list, or words separated by spaces."""
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value if item is not None] if isinstance(value, list) else []


def grouped_posts(posts: list[Document], key: str) -> dict[str, list[Document]]:
    """`site.tags` and `site.categories`: each name with its posts, newest first."""
    groups: dict[str, list[Document]] = {}
    for post in posts:
        for name in post.data.get(key) or []:
            groups.setdefault(name, []).append(post)
    return groups
