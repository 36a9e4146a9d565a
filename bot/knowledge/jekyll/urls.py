"""Where Jekyll publishes each page and document: permalinks and their styles, slugs, `site.url` and the
baseurl, and the README that GitHub Pages makes a folder's index."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from pathlib import PurePosixPath

from bot.text.addresses import web_url_error
from bot.knowledge.jekyll.dates import datetime_or_none
from bot.knowledge.jekyll.documents import Collection
from bot.knowledge.jekyll.source import CNAME_FILE, CONFIG_FILE, SiteSource, deep_merge
from bot.knowledge.jekyll.values import as_text

POST_NAME = re.compile(r"(?:.*/)?(\d{4})-(\d{2})-(\d{2})-(.+?)(?:\.\w+)?")
POST_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "none": "/:categories/:title:output_ext",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
}
DATE_PLACEHOLDERS = {
    "year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S", "i_day": "%-d",
    "i_month": "%-m", "short_month": "%b", "long_month": "%B", "short_year": "%y", "y_day": "%j", "w_year": "%G",
    "week": "%V", "w_day": "%u", "short_day": "%a", "long_day": "%A",
}
PLACEHOLDER = re.compile(r":([a-z_]+)")
# A URL that is a folder's index (jekyll-readme-index's test): `/a/` or `/a/index.html`.
INDEX_URL = re.compile(r"(.*/)(?:index\.(?:html?|xhtml|xml))?", re.I)
SLUG_PATTERNS = {
    "raw": re.compile(r"\s+"),
    "default": re.compile(r"[\W_]+"),
    "latin": re.compile(r"[\W_]+"),
    "pretty": re.compile(r"(?:[^\w.~!$&'()+,;=@]|_)+"),
    "ascii": re.compile(r"[^A-Za-z0-9]+"),
}


class SiteUrls(SiteSource):
    """A site's URLs: each file's as Jekyll writes it, and the site's own."""

    @cached_property
    def _permalink_style(self) -> str:
        return str(self.config.get("permalink") or "date")

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

    def base_url(self) -> str | None:
        """Where the site is published: `url` + `baseurl`, else the CNAME host, else None."""
        if not self._url:
            return None
        url = self.config.get("url")
        return self._url + self._baseurl if isinstance(url, str) and url.strip() else self._url

    def readme_index(self, relative: str) -> bool:
        """GitHub Pages' jekyll-readme-index: a Markdown README is the index page of a folder that has none."""
        option = self.config.get("readme_index")
        if not self._is_readme(relative) or (isinstance(option, dict) and option.get("enabled") is False):
            return False
        folder = PurePosixPath(relative).parent.as_posix()
        return ("/" if folder == "." else f"/{folder}/").lower() not in self._index_urls

    @cached_property
    def _index_urls(self) -> set[str]:
        """Folder URLs (lower case) that a page or file other than a README serves as the index."""
        urls = set()
        for relative, front in self._published:
            if self._is_readme(relative):
                continue
            data = deep_merge(self._defaults(relative), front or {})
            if match := INDEX_URL.fullmatch(self._page_url(relative, data)):
                urls.add(match.group(1).lower())
        return urls

    def _document_url(self, collection: Collection, relative: str, data: Mapping) -> str:
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
        moment = datetime_or_none(data.get("date")) or datetime.now()
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


def slugify(value: object, mode: object = None) -> str:
    text, kind = as_text(value), as_text(mode) or "default"
    return _slugged(text, kind).lower() if kind in SLUG_PATTERNS else text.lower()


def _slugged(text: str, kind: str) -> str:
    """Jekyll's slug, its case kept (as in URLs)."""
    if kind == "latin":
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return SLUG_PATTERNS[kind].sub("-", text).removeprefix("-").removesuffix("-")
