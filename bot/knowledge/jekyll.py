"""Render a Jekyll site's pages the way Jekyll does, so the bot reads what visitors read.

Workshop sites keep schedules, speakers and papers in `_data/` and loop over them in Liquid; the
page files alone say little. python-liquid does the Liquid. This module adds what Jekyll adds on
top of it: the `site` and `page` variables, Jekyll's `include`, its filters and plugin tags,
front-matter defaults, layouts, and the rules for what a site publishes.
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import html
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
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
}
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


@dataclass
class JekyllSite:
    """A Jekyll checkout read once (config, data, layouts, includes) and shared by all its pages.

    A snapshot: when `fingerprint()` changes, load the site again.
    """

    root: Path
    config: dict  # parsed _config.yml ({} when absent or not a mapping)
    problems: list[str] = field(default_factory=list)  # broken data files, layouts, front matter, as they are read

    @classmethod
    def load(cls, root: Path) -> JekyllSite:
        """Read `_config.yml`; raise SiteConfigError naming the file and line when it is not valid YAML."""
        path = root / CONFIG_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(root, {})
        try:
            config = _yaml(_decode(raw))
        except ValueError as err:
            raise SiteConfigError(path, str(err)) from err
        return cls(root, config if isinstance(config, dict) else {})

    @cached_property
    def data(self) -> dict:
        """`site.data`: every data file, nested by folder and keyed by stem; broken files go to `problems`."""
        return self._read_data(self._folder("data_dir", "_data"))

    @cached_property
    def pages(self) -> list[dict]:
        """`site.pages`: every published file with front matter, as its `page` variable (without content)."""
        pages = []
        for folder, subfolders, files in os.walk(self.root):
            here = Path(folder).relative_to(self.root)
            subfolders[:] = sorted(name for name in subfolders if not self.excluded((here / name).as_posix()))
            for name in sorted(files):
                relative = (here / name).as_posix()
                front = None if self.excluded(relative) else self._page_front_matter(relative)
                if front is not None:
                    pages.append(self._page_vars(front, relative))
        return pages

    def fingerprint(self) -> str:
        """A hash of everything besides a page that changes how it renders, so pages re-render when it changes."""
        files = [self.root / CONFIG_FILE, self.root / CNAME_FILE]
        for key, default in (("data_dir", "_data"), ("includes_dir", "_includes"), ("layouts_dir", "_layouts")):
            files += sorted(path for path in self._folder(key, default).rglob("*") if path.is_file())
        digest = hashlib.sha256()
        for path in files:
            if path.is_file():
                raw = path.read_bytes()
                digest.update(f"{path.relative_to(self.root).as_posix()}\0{len(raw)}\0".encode())
                digest.update(raw)
        return digest.hexdigest()

    def excluded(self, relative: str) -> bool:
        """True for what Jekyll does not publish: `_`/`.` names, `exclude` and its defaults, unless in `include`."""
        include, exclude = self._entry_patterns
        parts = PurePosixPath(relative).parts
        for depth, name in enumerate(parts, start=1):
            entry = "/".join(parts[:depth])
            if _glob_matches(include, entry) or _glob_matches(include, name):
                continue
            if name.startswith(SPECIAL_PREFIXES) or name.endswith("~") or _glob_matches(exclude, entry):
                return True
        return False

    def base_url(self) -> str | None:
        """Where the site is published: `url` + `baseurl`, else the CNAME host, else None."""
        url = self.config.get("url")
        if isinstance(url, str) and url.strip():
            return self._url + self._baseurl
        return self._url or None

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
        return {
            **self.config,
            "data": self.data,
            "pages": self.pages,
            "posts": [],
            "tags": {},
            "categories": {},
            "url": self._url,
            "baseurl": self.config.get("baseurl") or "",
            "time": datetime.now(),
        }

    @cached_property
    def _url(self) -> str:
        """`site.url`: the config's `url` with a scheme, else the CNAME host, as GitHub Pages sets it."""
        url = self.config.get("url")
        if isinstance(url, str) and url.strip():
            url = url.strip().rstrip("/")
            return url if "://" in url else f"https://{url}"
        return f"https://{self._cname}" if self._cname else ""

    @cached_property
    def _baseurl(self) -> str:
        value = self.config.get("baseurl")
        path = value.strip().strip("/") if isinstance(value, str) else ""
        return f"/{path}" if path else ""

    @cached_property
    def _cname(self) -> str | None:
        try:
            lines = (self.root / CNAME_FILE).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        return next((line.strip() for line in lines if line.strip()), None)

    @cached_property
    def _markdown_extensions(self) -> set[str]:
        value = self.config.get("markdown_ext")
        return {ext.strip().lower() for ext in (value if isinstance(value, str) else MARKDOWN_EXTENSIONS).split(",")}

    @cached_property
    def _layouts(self) -> dict[str, _Layout]:
        """Layouts by name: their path under `_layouts/` without the extension."""
        folder = self._folder("layouts_dir", "_layouts")
        layouts = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
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

    def _read_data(self, folder: Path) -> dict:
        data: dict = {}
        if not folder.is_dir():
            return data
        for path in sorted(folder.iterdir()):
            if path.name.startswith(SPECIAL_PREFIXES):
                continue
            if path.is_dir():
                data[_data_key(path.name)] = self._read_data(path)
            elif path.suffix.lower() in DATA_SUFFIXES:
                try:
                    data[_data_key(path.stem)] = _read_data_file(path)
                except (OSError, ValueError) as err:
                    self.problems.append(f"{path.relative_to(self.root).as_posix()}: {err}")
        return data

    def _page_front_matter(self, relative: str) -> dict | None:
        """A file's front matter, or None for a file without any (Jekyll copies those as they are)."""
        path = self.root / relative
        try:
            with path.open("rb") as stream:
                if stream.read(3) != b"---":
                    return None
            parts = _split_front_matter(_decode(path.read_bytes()))
        except OSError:
            return None
        except ValueError as err:
            self.problems.append(f"{relative}: front matter: {err}")
            return None
        return parts[0] if parts else None

    def _page_vars(self, front: Mapping, relative: str, content: str | None = None) -> dict:
        """`page` as Jekyll exposes it: front matter over the config's defaults, plus url, path, name, dir."""
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

    def _defaults(self, relative: str) -> dict:
        """Config `defaults` that apply to a page at `relative`; the most specific scope wins, as in Jekyll."""
        merged: dict = {}
        winner: dict | None = None
        sets = self.config.get("defaults")
        for entry in sets if isinstance(sets, list) else []:
            scope = entry.get("scope") if isinstance(entry, dict) else None
            values = entry.get("values") if isinstance(entry, dict) else None
            scope = scope if isinstance(scope, dict) else {}
            if not isinstance(values, dict) or not _scope_applies(scope, relative):
                continue
            if winner is None or _has_precedence(winner, scope):
                merged, winner = _deep_merge(merged, values), scope
            else:
                merged = _deep_merge(values, merged)
        return merged

    def _page_url(self, relative: str, data: Mapping) -> str:
        """Where Jekyll writes a page: its permalink, else by the site's permalink style (`pretty`: `/about/`)."""
        path = PurePosixPath(relative)
        ext = ".html" if path.suffix.lower().lstrip(".") in self._markdown_extensions else path.suffix
        style = str(self.config.get("permalink") or "date")
        permalink = data.get("permalink")
        if isinstance(permalink, str) and permalink.strip():
            template = permalink.strip()
        elif ext != ".html":
            template = "/:path/:basename:output_ext"
        elif path.stem == "index":
            template = "/:path/"
        elif style == "pretty" or style.endswith("/"):
            template = "/:path/:basename/"
        elif style in ("date", "ordinal", "none") or style.endswith(":output_ext"):
            template = "/:path/:basename:output_ext"
        else:
            template = "/:path/:basename"
        folder = "" if path.parent.as_posix() == "." else path.parent.as_posix()
        url = template.replace(":path", folder).replace(":basename", path.stem).replace(":output_ext", ext)
        return re.sub(r"/{2,}", "/", f"/{url}")

    def _layout_name(self, data: Mapping, relative: str) -> str | None:
        """The page's layout; Markdown without one gets GitHub Pages' default (jekyll-default-layout)."""
        layout = data.get("layout")
        if isinstance(layout, str) and layout:
            return None if layout == "none" else layout
        if PurePosixPath(relative).suffix.lower().lstrip(".") not in self._markdown_extensions:
            return None
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
        style = str(self.config.get("permalink") or "date")
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


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ValueError(f"line {line}: not UTF-8 text") from err


def _yaml(text: str, first_line: int = 1) -> object:
    """Parsed YAML; a ValueError 'line N: problem' where the parser gave up, counted from `first_line`."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = " ".join(filter(None, [getattr(err, "context", None), getattr(err, "problem", None)])) or str(err)
        raise ValueError(f"line {mark.line + first_line}: {problem}" if mark else problem) from err


def _split_front_matter(text: str) -> tuple[dict, str] | None:
    """Jekyll's split of a file into front matter and body; None when the file has no front matter."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return None
    data = _yaml(match.group(1), first_line=2)
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def _read_data_file(path: Path) -> object:
    """One `_data` file as Jekyll reads it: CSV and TSV become lists of rows keyed by the header."""
    text = _decode(path.read_bytes())
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
    """Jekyll's `exclude`/`include` test: a glob, the entry itself, or a prefix of its path."""
    return any(entry == p.rstrip("/") or entry.startswith(p) or fnmatchcase(entry, p) for p in patterns)


def _scope_applies(scope: Mapping, relative: str) -> bool:
    kind = scope.get("type")
    if kind is not None and kind != "pages":
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


def smartify(value: object) -> str:
    """Curly quotes change nothing a reader needs, so the text is kept as it is."""
    return _text(value)


def slugify(value: object, mode: object = None) -> str:
    text, kind = _text(value), _text(mode) or "default"
    if kind not in SLUG_PATTERNS:
        return text.lower()
    if kind == "latin":
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return SLUG_PATTERNS[kind].sub("-", text).removeprefix("-").removesuffix("-").lower()


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
