"""A site's Liquid environment: python-liquid with Jekyll's tags and filters, and its errors as `LiquidError`.

The site imports this module with the first template it renders, and so python-liquid only then.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from liquid import BoundTemplate, Environment, Mode, Token, TokenStream
from liquid import exceptions as liquid_errors
from liquid.ast import Node
from liquid.tag import Tag

from bot.knowledge.files import refusal
from bot.knowledge.jekyll.bibliography import ScholarTag
from bot.knowledge.jekyll.filters import FILTERS, absolute_url, relative_url
from bot.knowledge.jekyll.errors import LiquidError
from bot.knowledge.jekyll.tags import HighlightTag, IncludeTag, LinkTag, SilentTag, line_of

if TYPE_CHECKING:
    from bot.knowledge.jekyll.site import JekyllSite

# What rendering a template raises for a broken template: Liquid's errors, and a filter's bad value or sum.
RENDER_ERRORS = (liquid_errors.LiquidError, ValueError, ArithmeticError)


class SiteEnvironment(Environment):
    """A site's Liquid: strict for page bodies (every error is reported), lax for layouts (the chrome)."""

    logical_parentheses = True  # Jekyll's lax parser lets `a and (b or c)` through; python-liquid needs this

    def __init__(self, site: JekyllSite, *, strict: bool) -> None:
        super().__init__(tolerance=Mode.STRICT if strict else Mode.LAX, strict_filters=strict)
        self.site = site
        self._parsed: dict[Path, BoundTemplate] = {}
        for name in ("include", "include_relative", "include_cached"):
            self.tags[name] = IncludeTag(self, name)
        for name in ("link", "post_url"):
            self.tags[name] = LinkTag(self, name)
        for name in ("seo", "feed_meta"):
            self.tags[name] = SilentTag(self, name)
        self.tags["highlight"] = HighlightTag(self, "highlight")
        for name in ("bibliography", "cite", "reference"):
            self.tags[name] = ScholarTag(self, name)
        self.tags = {name: _Located(tag) for name, tag in self.tags.items()}
        self.filters.update(FILTERS)
        self.filters.update(relative_url=partial(relative_url, site), absolute_url=partial(absolute_url, site))

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


def page_error(err: Exception, body: str) -> LiquidError:
    """One of RENDER_ERRORS as the site reports it, with its line when it is in `body` itself."""
    if not isinstance(err, liquid_errors.LiquidError):
        return LiquidError(None, f"{type(err).__name__}: {err}")
    line = line_of(err.token) if err.token is not None and err.token.source == body else None
    return LiquidError(line, str(err.message))
