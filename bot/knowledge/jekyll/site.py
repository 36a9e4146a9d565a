"""The site as its pages see it: `site` and `page`, collections and their documents, layouts, and rendering.

python-liquid is imported with the first template rendered (see `environment`), not with the site: listing
a site's pages and their URLs needs no template engine, and python-liquid takes a tenth of a second to load.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bot.knowledge.files import hidden, refusal
from bot.knowledge.jekyll.dates import filename_date
from bot.knowledge.jekyll.documents import (DATE_FILENAME, DATELESS_FILENAME, Collection, Document, grouped_posts,
                                            ordered, words_of)
from bot.knowledge.jekyll.source import CNAME_FILE, CONFIG_FILE, deep_merge
from bot.knowledge.jekyll.urls import POST_STYLES, SiteUrls

if TYPE_CHECKING:
    from bot.knowledge.jekyll.environment import SiteEnvironment

# GitHub Pages builds in production; templates test `jekyll.environment` to show analytics and the like.
JEKYLL = {"version": "4.3.4", "environment": "production"}


class JekyllSite(SiteUrls):
    """A Jekyll checkout read once (config, data, layouts, includes) and shared by all its pages.

    A snapshot: when `fingerprint()` changes, load the site again. No file is read that leads out of
    `fence` (the knowledge root) or is hidden (see `refusals()`).
    """

    @cached_property
    def pages(self) -> list[dict]:
        """`site.pages`: every published file with front matter, as its `page` variable (without content)."""
        return [self._page_vars(front, relative) for relative, front in self._published if front is not None]

    @cached_property
    def collections(self) -> dict[str, Collection]:
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
            collections[name] = Collection(name, f"_{name}" if base == "." else f"{base}/_{name}", metadata)
        return collections

    @cached_property
    def documents(self) -> dict[str, list[Document]]:
        """Each collection's documents in Jekyll's order (unpublished ones left out of an output collection).

        A document with broken front matter is left out and goes to `problems`, as does one whose
        Liquid fails when it is first rendered.
        """
        documents = {}
        for label, collection in self.collections.items():
            read = (self._read_document(collection, relative) for relative in self._collection_files(collection))
            documents[label] = ordered([d for d in read if d is not None and d.published], collection)
        return documents

    def published_documents(self) -> list[str]:
        """The documents Jekyll writes as pages (those of collections with `output: true`), relative to the root."""
        return [d.relative for label, docs in self.documents.items() if self.collections[label].output for d in docs]

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

    def render(self, body: str, page: dict, relative: str) -> str:
        """Liquid-render a page body as Jekyll would; raise LiquidError (line within `body`) if it cannot."""
        from bot.knowledge.jekyll.environment import RENDER_ERRORS, page_error

        try:
            template = self._strict.from_string(body, name=relative)
            return template.render(site=self._site_vars, page=self._page_vars(page, relative, body), jekyll=JEKYLL)
        except RENDER_ERRORS as err:
            raise page_error(err, body) from err

    def render_layout(self, page: dict, relative: str, content: str) -> str | None:
        """The page's layout chain around `content`, rendering what it can; None without a layout."""
        from bot.knowledge.jekyll.environment import RENDER_ERRORS

        data = self._page_vars(page, relative, content)
        layout = self._layouts.get(self._layout_name(data, relative) or "")
        if layout is None:
            return None
        merged: dict = {}
        seen: set[Path] = set()
        output = content
        while layout is not None and layout.path not in seen:
            seen.add(layout.path)
            merged = deep_merge(layout.data, merged)  # an inner layout's front matter wins, as in Jekyll
            scope = {"site": self._site_vars, "page": data, "content": output, "layout": merged, "jekyll": JEKYLL}
            # A layout that cannot be parsed at all passes the content through.
            with suppress(*RENDER_ERRORS):
                output = self._lenient.parsed(layout.path, layout.body).render(**scope)
            parent = layout.data.get("layout")
            layout = self._layouts.get(parent) if isinstance(parent, str) else None
        return output

    @cached_property
    def _strict(self) -> SiteEnvironment:
        from bot.knowledge.jekyll.environment import SiteEnvironment

        return SiteEnvironment(self, strict=True)

    @cached_property
    def _lenient(self) -> SiteEnvironment:
        from bot.knowledge.jekyll.environment import SiteEnvironment

        return SiteEnvironment(self, strict=False)

    @cached_property
    def _site_vars(self) -> dict:
        posts = self.documents["posts"][::-1]  # newest first
        listed = {label: docs for label, docs in self.documents.items() if label != "posts"}
        return {
            **self.config,
            "data": self.data,
            "pages": self.pages,
            "posts": posts,
            "tags": grouped_posts(posts, "tags"),
            "categories": grouped_posts(posts, "categories"),
            "documents": [document for docs in self.documents.values() for document in docs],
            "collections": [self._collection_vars(self.collections[label]) for label in sorted(self.collections)],
            "url": self._url,
            "baseurl": self.config.get("baseurl") or "",
            "time": datetime.now(),
            **listed,  # `site.speakers`: a collection's name wins over everything else, as in Jekyll
        }

    def _collection_vars(self, collection: Collection) -> dict:
        return {**collection.metadata, "label": collection.label, "docs": self.documents[collection.label],
                "files": [], "relative_directory": collection.folder, "directory": str(self.root / collection.folder),
                "output": collection.output}

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
    def _rendering(self) -> set[tuple[Document, str]]:
        """The documents whose content or output is being rendered, outermost first."""
        return set()

    def _page_vars(self, front: Mapping, relative: str, content: str | None = None) -> dict:
        """`page` as Jekyll exposes it: front matter over the config's defaults, plus url, path, name, dir
        (a collection document's, when the file is one)."""
        collection = self._collection_of(relative)
        if collection is not None:
            data = self._document_vars(collection, relative, front)
        else:
            data = deep_merge(self._defaults(relative), front)
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

    def _collection_of(self, relative: str) -> Collection | None:
        return next((c for c in self.collections.values() if relative.startswith(f"{c.folder}/")), None)

    def _read_document(self, collection: Collection, relative: str) -> Document | None:
        """A document; None for a file without front matter (a static file) or whose front matter is broken."""
        if collection.label == "posts" and not DATE_FILENAME.fullmatch(relative):
            return None  # Jekyll reads only dated files as posts
        read = self._read_front_matter(relative)
        return None if read is None else Document(self, collection, relative, *read)

    def _document_vars(self, collection: Collection, relative: str, front: Mapping) -> dict:
        """A document's variables: its front matter over the defaults for its collection, and what Jekyll
        adds (a title and slug from the file name, a post's date, categories, tags, its URL)."""
        data = deep_merge(self._defaults(relative, collection.label), front)
        path = PurePosixPath(relative)
        dated, dateless = DATE_FILENAME.fullmatch(relative), DATELESS_FILENAME.fullmatch(relative)
        slug, ext = dated.group(2, 3) if dated else dateless.group(1, 2) if dateless else (path.name, "")
        slug = slug.rstrip(".")
        if dated and not data.get("date"):
            data["date"] = filename_date(dated.group(1))
        data["title"] = data.get("title") or " ".join(word.capitalize() for word in slug.split("-"))
        data["slug"] = data.get("slug") or slug
        data["ext"] = data.get("ext") or ext
        for plural, singular in (("categories", "category"), ("tags", "tag")):
            data[plural] = list(dict.fromkeys(words_of(data.get(plural)) + words_of(data.get(singular))))
        url = self._document_url(collection, relative, data)
        base = self._folder("collections_dir", "").relative_to(self.root).as_posix()
        inside = relative if base == "." else relative.removeprefix(f"{base}/")
        data.update(collection=collection.label, url=url, path=inside, relative_path=inside, draft=False,
                    id=posixpath.join(posixpath.dirname(url), str(data["slug"])))
        data.setdefault("name", path.name)
        return data

    def _render_document(self, document: Document) -> str:
        """A document's body as Jekyll renders it before any page: Liquid, then Markdown for a Markdown file.
        A Liquid error is reported in `problems` and what can be rendered is kept."""
        from bot.knowledge.jekyll.environment import RENDER_ERRORS, page_error
        from bot.knowledge.markup import markdown_to_html

        scope = {"site": self._site_vars, "page": document.data, "jekyll": JEKYLL}
        try:
            output = self._strict.from_string(document.body, name=document.relative).render(**scope)
        except RENDER_ERRORS as err:
            error = page_error(err, document.body)
            line = f"line {error.line + document.offset}: " if error.line else ""
            problem = f"{document.relative}: {line}Liquid template cannot be rendered: {error.problem}"
            if problem not in self.problems:  # a document rendered inside another one is rendered again
                self.problems.append(problem)
            output = ""
            with suppress(*RENDER_ERRORS):
                output = self._lenient.from_string(document.body, name=document.relative).render(**scope)
        return markdown_to_html(output) if self._is_markdown(document.relative) else output

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
