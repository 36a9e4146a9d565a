"""A workshop's published site, read from its URL as a visitor reads it.

The crawl writes what it fetched into a folder (`BOT_DATA_DIR/sites/<host…>/`), which ingest then
reads as a built site, as it reads any other: editions by folder, facts, programmes, and each passage
cited at the live URL it came from (`crawl.json` in the folder records them). A crawl:
- starts from the URL and the site's sitemaps, and stays on that host and under that path;
- obeys `robots.txt` (RFC 9309: unreachable means disallowed) and names itself and its contact;
- is bounded in pages, bytes per page, link depth, total time and requests per second;
- asks again with `If-None-Match` / `If-Modified-Since`: a page the server says is unchanged (304)
  is neither fetched nor re-read;
- removes a page the site answers 404 or 410 for, or, after a complete crawl, one no longer linked;
  when the site cannot be reached, it keeps everything it had.
It never sends credentials or cookies, and never follows a redirect off the site.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import time
import urllib.robotparser
from datetime import UTC, datetime
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import httpx
import lxml.html
from lxml import etree

from bot.config import Settings
from bot.knowledge.render import RenderError, render, scripted
from bot.knowledge.site import EVENT_FILE, YEAR
from bot.ops.private import replace_private

log = logging.getLogger(__name__)
MANIFEST = "crawl.json"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPE = "application/pdf"
PAGE_SUFFIXES = (".html", ".htm", ".pdf")
REDIRECTS = {301, 302, 303, 307, 308}
GONE = {404, 410}
SITEMAP_BYTES = 10_000_000
SITEMAPS = 20  # sitemap files read at most (an index lists others)
EVENT_FOLDERS = 20  # event.yaml files asked for at most: the top's, and editions' folders'
SAFE_SEGMENT = re.compile(r"[^\w.\-~@+=,]")
# Links to what is not a page: feeds, images, styles, scripts, archives, media, calendars, data.
NOT_PAGES = (".xml", ".rss", ".atom", ".css", ".js", ".json", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico",
             ".webp", ".zip", ".gz", ".tgz", ".tar", ".mp4", ".mov", ".webm", ".mp3", ".bib", ".ics", ".ppt",
             ".pptx", ".doc", ".docx", ".key")


Render = Callable[[str], bytes]  # a page's URL → its DOM once its scripts have run


class CrawlError(RuntimeError):
    """The site cannot be crawled at all (a bad URL, or its start page out of reach)."""


@dataclass(frozen=True)
class Limits:
    pages: int = 500
    page_bytes: int = 2_000_000
    depth: int = 8
    seconds: float = 600.0
    per_second: float = 4.0  # requests to the host, at most
    timeout: float = 20.0  # seconds one request may take to connect, or between bytes


@dataclass
class CrawlReport:
    origin: str
    fetched: list[str] = field(default_factory=list)  # new or changed pages, written
    unchanged: list[str] = field(default_factory=list)  # the server said 304
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URL, why)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (URL, what): read, but not all of it
    requests: int = 0
    complete: bool = True  # every page in reach was visited (no limit was hit)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.origin}: {len(self.fetched)} fetched, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed, {len(self.skipped)} skipped; {self.requests} requests "
                f"in {self.seconds:.1f} s{'' if self.complete else ' (stopped at a limit)'}")


@dataclass(frozen=True)
class Scope:
    """The pages of the site given: same scheme and host, under the path of the URL's folder."""

    scheme: str
    host: str
    prefix: str  # "/ws/" for https://host/ws/ and for https://host/ws/index.html

    @classmethod
    def of(cls, url: str) -> Scope:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CrawlError(f"{url!r}: not an http(s) URL of a site")
        if parts.username or parts.password:
            raise CrawlError(f"{url!r}: a URL with credentials in it is refused (the crawler sends none)")
        path = parts.path or "/"
        prefix = path if path.endswith("/") else posixpath.dirname(path).rstrip("/") + "/"
        return cls(parts.scheme, parts.netloc.lower(), prefix)

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}{self.prefix}"

    def holds(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme == self.scheme and parts.netloc.lower() == self.host
                and (parts.path.startswith(self.prefix) or parts.path + "/" == self.prefix))

    def file_of(self, url: str) -> str | None:
        """Where the page at `url` is written in the folder; None for a URL no file can stand for."""
        path = unquote(urlsplit(url).path)
        relative = path[len(self.prefix):] if path.startswith(self.prefix) else ""
        if "\0" in relative or "\\" in relative:
            return None
        relative = posixpath.normpath("/" + relative).lstrip("/") if relative else ""
        if relative.startswith("..") or relative == ".":
            relative = ""
        if not relative or path.endswith("/"):
            relative = posixpath.join(relative, "index.html")
        elif not relative.lower().endswith(PAGE_SUFFIXES):
            relative = relative + "/index.html"  # /cfp: its own folder, as a static site would write it
        parts = [SAFE_SEGMENT.sub("_", part)[:120] for part in PurePosixPath(relative).parts]
        if any(part.startswith((".", "_")) for part in parts):  # never a hidden or Jekyll-special name
            parts = [part.lstrip("._") or "page" for part in parts]
        return "/".join(parts)


def site_folder(sites: Path, url: str) -> Path:
    """The folder a site's crawl is written to: one per host and path."""
    scope = Scope.of(url)
    name = SAFE_SEGMENT.sub("_", (scope.host + scope.prefix.rstrip("/")).replace("/", "_"))
    return sites / name


def crawled_origin(folder: Path) -> str | None:
    """The URL a folder was crawled from, when it was."""
    manifest = _read_manifest(folder)
    return manifest.get("origin") if manifest else None


def crawled_urls(folder: Path) -> tuple[str, dict[str, str]] | None:
    """(the site's base URL, each page file's path under it) for a crawled folder; None for others."""
    manifest = _read_manifest(folder)
    if not manifest:
        return None
    base = Scope.of(manifest["origin"]).base
    paths = {relative: unquote(urlsplit(page["url"]).path)[len(urlsplit(base).path) - 1:]
             for relative, page in manifest.get("pages", {}).items()}
    return base, paths


def _read_manifest(folder: Path) -> dict | None:
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("origin"), str) else None


class Crawler:
    def __init__(self, url: str, folder: Path, *, limits: Limits | None = None, user_agent: str,
                 transport: httpx.BaseTransport | None = None, render: Render | None = None) -> None:
        """`render`: what runs a page's scripts (KNOWLEDGE_RENDER), for a page they build."""
        self.start = urldefrag(url)[0]
        self.scope = Scope.of(self.start)
        self.folder = folder
        self.limits = limits or Limits()
        self.client = httpx.Client(headers={"User-Agent": user_agent}, follow_redirects=False, trust_env=False,
                                   timeout=httpx.Timeout(self.limits.timeout), transport=transport)
        self._last_request = 0.0
        self.render = render
        self._files_by_url: dict[str, str] = {}  # a page's file, by its URL, as the last crawl wrote it
        self._gone: set[str] = set()  # URLs the site answered 404 or 410 for: their files go
        self._interval = 1.0 / self.limits.per_second

    def run(self) -> CrawlReport:
        started = time.monotonic()
        report = CrawlReport(self.start)
        old = _read_manifest(self.folder) or {}
        known: dict[str, dict] = old.get("pages", {})
        pages: dict[str, dict] = {}
        self._files_by_url = {page["url"]: relative for relative, page in known.items()}
        try:
            robots = self._robots(report)
            frontier: deque[tuple[str, int]] = deque([(self.start, 0)])
            if not self.start.lower().endswith(".pdf"):  # a PDF given by its URL is read alone
                frontier.extend((url, 1) for url in self._sitemap_pages(robots, report))
            seen = {url for url, _ in frontier}
            while frontier:
                if len(pages) >= self.limits.pages or time.monotonic() - started > self.limits.seconds:
                    report.complete = False
                    break
                url, depth = frontier.popleft()
                if not robots.can_fetch(self.client.headers["User-Agent"], url):
                    report.skipped.append((url, "robots.txt disallows it"))
                    continue
                for link in self._visit(url, known, pages, report):
                    if link in seen:
                        continue
                    if depth >= self.limits.depth:
                        report.complete = False  # deeper than allowed: not reached, so not removed either
                        continue
                    seen.add(link)
                    frontier.append((link, depth + 1))
            self._event_files(known, pages, report, robots)
        finally:
            self.client.close()
        if not report.fetched and not report.unchanged:
            raise CrawlError(f"{self.start}: no page of the site could be read ({_why(report, self.start)}); "
                             "what was crawled before is kept")
        self._finish(known, pages, report)
        report.seconds = time.monotonic() - started
        return report

    def _finish(self, known: dict[str, dict], pages: dict[str, dict], report: CrawlReport) -> None:
        """Write the manifest; remove the files of pages gone from the site."""
        for relative, page in known.items():
            if relative in pages:
                continue
            if page["url"] in self._gone or report.complete:
                self._remove(relative)
                report.removed.append(page["url"])
            else:
                pages[relative] = page  # not reached this time (a limit was hit): kept
        manifest = json.dumps({"origin": self.start, "pages": dict(sorted(pages.items()))}, indent=1).encode()
        path = self.folder / MANIFEST
        if not path.is_file() or path.read_bytes() != manifest:  # unchanged, untouched: nothing to re-read
            replace_private(path, manifest)

    def _remove(self, relative: str) -> None:
        """A page's file, and the folders it leaves empty."""
        target = self.folder / relative
        target.unlink(missing_ok=True)
        for parent in target.parents:
            if parent == self.folder or any(parent.iterdir()):
                break
            parent.rmdir()

    def _visit(self, url: str, known: dict[str, dict], pages: dict[str, dict], report: CrawlReport) -> list[str]:
        """Fetch one page (conditionally, when it was fetched before); the in-scope links it holds."""
        relative = self._files_by_url.get(url) or self.scope.file_of(url)
        if relative is None:
            report.skipped.append((url, "no file can hold this URL"))
            return []
        before = known.get(relative)
        try:
            response, body = self._get(url, self._conditions(before, relative), report)
        except _TooLarge as error:
            report.skipped.append((url, str(error)))
            return []
        except httpx.HTTPError as error:
            report.skipped.append((url, f"unreachable: {type(error).__name__}"))
            if before:
                pages[relative] = before  # kept: the site may be down for a moment
            return []
        if response.status_code in REDIRECTS:
            target = urldefrag(urljoin(url, response.headers.get("location", "")))[0]
            if not self.scope.holds(target):
                report.skipped.append((url, f"redirects off the site, to {target}"))
                return []
            return [target]
        if response.status_code == 304 and before:
            pages[relative] = before
            report.unchanged.append(url)
            return [] if relative.endswith(".pdf") else self._links(url, (self.folder / relative).read_bytes())
        if response.status_code in GONE:
            self._gone.add(url)
            report.skipped.append((url, f"gone ({response.status_code})"))
            return []
        if response.status_code != 200:
            report.skipped.append((url, f"HTTP {response.status_code}"))
            if before:
                pages[relative] = before
            return []
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == PDF_TYPE:  # a call for papers, a programme: read as pages of text
            relative = relative if relative.endswith(".pdf") else (
                relative.removesuffix("index.html").rstrip("/") or "index") + ".pdf"
        elif kind not in HTML_TYPES:
            report.skipped.append((url, f"not a web page ({kind or 'no content type'})"))
            return []
        if kind in HTML_TYPES and scripted(body):
            body = self._rendered(url, body, report)
        self._keep(url, relative, response, body, pages, report)
        return [] if kind == PDF_TYPE else self._links(url, body)

    def _keep(self, url: str, relative: str, response: httpx.Response, body: bytes, pages: dict[str, dict],
              report: CrawlReport) -> None:
        """A file fetched: written whole, and recorded with what makes the next request conditional."""
        replace_private(self.folder / relative, body)
        pages[relative] = {"url": url, "etag": response.headers.get("etag"),
                           "last_modified": response.headers.get("last-modified")}
        report.fetched.append(url)

    def _rendered(self, url: str, body: bytes, report: CrawlReport) -> bytes:
        """A page its scripts build, as the browser shows it; as it came, and said, without a browser."""
        if self.render is None:
            report.warnings.append((url, "its text is built by JavaScript, and is read as it shows without: "
                                         "set KNOWLEDGE_RENDER=chromium to run its scripts"))
            return body
        try:
            return self.render(url)
        except RenderError as error:
            report.warnings.append((url, f"{error}; read as it shows without its scripts"))
            return body

    def _conditions(self, before: dict | None, relative: str) -> dict[str, str]:
        """What makes a request for a file fetched before conditional: the server answers 304 if unchanged."""
        headers = {}
        if before and (self.folder / relative).is_file():
            if before.get("etag"):
                headers["If-None-Match"] = before["etag"]
            if before.get("last_modified"):
                headers["If-Modified-Since"] = before["last_modified"]
        return headers

    def _event_files(self, known: dict[str, dict], pages: dict[str, dict], report: CrawlReport,
                     robots: urllib.robotparser.RobotFileParser) -> None:
        """The event.yaml organizers publish with the site (its deadlines and programme, which reminders are
        planned from): at the top, and in each edition's year-named folder. Most sites have none."""
        editions = sorted({relative.split("/")[0] + "/" for relative in pages
                           if "/" in relative and YEAR.search(relative.split("/")[0])})
        for folder in ["", *editions][:EVENT_FOLDERS]:
            url, relative = self.scope.base + folder + EVENT_FILE, folder + EVENT_FILE
            if not robots.can_fetch(self.client.headers["User-Agent"], url):
                continue
            before = known.get(relative)
            try:
                response, body = self._get(url, self._conditions(before, relative), report)
            except (httpx.HTTPError, _TooLarge) as error:
                report.skipped.append((url, f"unreachable: {type(error).__name__}" if before else str(error)))
                if before:
                    pages[relative] = before  # kept: the site may be down for a moment
                continue
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if response.status_code == 304 and before:
                pages[relative] = before
            elif response.status_code == 200 and kind not in HTML_TYPES:  # a site answering every path with a page
                self._keep(url, relative, response, body, pages, report)
            elif before:
                self._gone.add(url)
                report.skipped.append((url, f"gone ({response.status_code})"))

    def _get(self, url: str, headers: dict[str, str], report: CrawlReport) -> tuple[httpx.Response, bytes]:
        """One request, paced; the body read up to the page limit."""
        wait = self._last_request + self._interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        report.requests += 1
        with self.client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.limits.page_bytes:
                raise _TooLarge(f"larger than {self.limits.page_bytes:,} bytes ({int(declared):,})")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.limits.page_bytes:
                    raise _TooLarge(f"larger than {self.limits.page_bytes:,} bytes")
                chunks.append(chunk)
        return response, b"".join(chunks)

    def _links(self, url: str, body: bytes) -> list[str]:
        """The page's links to other pages of the site, without fragments. Left out: links with a query
        string (calendars and search pages that never end) and links to files that are not pages."""
        try:
            document = lxml.html.document_fromstring(body, base_url=url)
        except (etree.ParserError, ValueError):
            return []
        base = document.base_url or url
        found = []
        for element, attribute, link, _ in document.iterlinks():
            if element.tag != "a" or attribute != "href":
                continue
            target = urldefrag(urljoin(base, link.strip()))[0]
            parts = urlsplit(target)
            if self.scope.holds(target) and not parts.query and not parts.path.lower().endswith(NOT_PAGES):
                found.append(target)
        return list(dict.fromkeys(found))

    def _robots(self, report: CrawlReport) -> urllib.robotparser.RobotFileParser:
        robots = urllib.robotparser.RobotFileParser()
        try:
            response, body = self._get(f"{self.scope.scheme}://{self.scope.host}/robots.txt", {}, report)
        except (httpx.HTTPError, _TooLarge):
            response, body = None, b""
        if response is None or response.status_code >= 500:
            robots.parse(["User-agent: *", "Disallow: /"])  # RFC 9309: unreachable means disallowed
        elif response.status_code >= 400:
            robots.parse([])  # none: everything allowed
        else:
            robots.parse(body.decode("utf-8", "replace").splitlines())
        delay = robots.crawl_delay(self.client.headers["User-Agent"])
        if delay:
            self._interval = max(self._interval, float(delay))
        return robots

    def _sitemap_pages(self, robots: urllib.robotparser.RobotFileParser, report: CrawlReport) -> Iterator[str]:
        """The in-scope pages the site's sitemaps list (robots.txt's, else sitemap.xml beside the start)."""
        queue = deque(robots.site_maps() or [urljoin(self.scope.base, "sitemap.xml")])
        read = 0
        while queue and read < SITEMAPS:
            sitemap = queue.popleft()
            read += 1
            if not robots.can_fetch(self.client.headers["User-Agent"], sitemap):
                continue
            try:
                response, body = self._get(sitemap, {}, report)
            except (httpx.HTTPError, _TooLarge):
                continue
            if response.status_code != 200:
                continue
            try:
                root = ElementTree.fromstring(body[:SITEMAP_BYTES])
            except ElementTree.ParseError:
                report.skipped.append((sitemap, "not a readable sitemap"))
                continue
            for location in root.iter():
                if not location.tag.endswith("}loc") and location.tag != "loc":
                    continue
                url = urldefrag((location.text or "").strip())[0]
                if root.tag.endswith("sitemapindex"):
                    queue.append(url)
                elif self.scope.holds(url):
                    yield url


def user_agent(settings: Settings) -> str:
    """The bot, its version and whom to contact, as a site's logs show it."""
    from email.utils import parseaddr
    from importlib.metadata import PackageNotFoundError, version

    try:
        name = f"workshop-bot/{version('workshop-bot')}"
    except PackageNotFoundError:
        name = "workshop-bot"
    contact = settings.crawl_contact or (parseaddr(settings.mail_from)[1] if settings.mail_from else None)
    if not contact:
        return name
    return f"{name} (+{contact})" if "://" in contact or "@" not in contact else f"{name} (+mailto:{contact})"


def crawl_site(url: str, settings: Settings) -> tuple[Path, CrawlReport]:
    """Crawl the site at `url` into its folder under BOT_DATA_DIR/sites; CrawlError when none of it could
    be read. Either way the outcome is recorded beside the folder and in /metrics."""
    folder = site_folder(settings.sites_dir, url)
    limits = Limits(pages=settings.crawl_max_pages, page_bytes=settings.max_page_bytes, per_second=settings.crawl_rate)
    try:
        report = Crawler(url, folder, limits=limits, user_agent=user_agent(settings),
                         render=render if settings.knowledge_render == "chromium" else None).run()
    except CrawlError as error:
        _record(folder, url, str(error))
        raise
    _record(folder, url, None)
    return folder, report


def crawl_sites(settings: Settings, urls: list[str], say: Callable[[str, str], None]) -> list[Path]:
    """Crawl each site, saying how it went (`say(kind, message)`, kind `error`, `warning` or `note`); the
    folders of those read. One out of reach keeps what it had and does not stop the others."""
    folders = []
    for url in dict.fromkeys(urls):
        try:
            folder, report = crawl_site(url, settings)
        except CrawlError as error:
            say("error", str(error))
            continue
        say("note", report.summary())
        for where, what in [*report.skipped, *report.warnings]:
            say("warning", f"{where}: {what}")
        folders.append(folder)
    return folders


def known_sites(settings: Settings) -> list[str]:
    """The sites to keep current: KNOWLEDGE_URL's, and every site ingested by its URL before."""
    from bot.knowledge.editions import knowledge_roots

    crawled = [origin for root in knowledge_roots(settings) if (origin := crawled_origin(root))]
    return list(dict.fromkeys([*settings.knowledge_urls, *crawled]))


def site_status(settings: Settings) -> dict[str, str]:
    """How each known site's last crawl went, for /readyz."""
    found = {}
    for url in known_sites(settings):
        try:
            status = json.loads(_status_file(site_folder(settings.sites_dir, url)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found[url] = "not crawled yet"
            continue
        found[url] = (f"read at {status['at']}" if status.get("ok") else
                      f"out of reach at {status['at']} ({status.get('error')}); answering from the crawl of "
                      f"{status.get('last_read') or 'never'}")
    return found


def _status_file(folder: Path) -> Path:
    """Beside the folder, not in it: a crawl that changed nothing leaves the folder as it was."""
    return folder.with_name(folder.name + ".status.json")


def _record(folder: Path, url: str, error: str | None) -> None:
    from bot.ops.metrics import SITE_CRAWLED, SITE_UP

    now = datetime.now(UTC)
    path = _status_file(folder)
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    at = now.isoformat(timespec="seconds")
    status = {"url": url, "at": at, "ok": error is None, "error": error,
              "last_read": at if error is None else before.get("last_read")}
    replace_private(path, json.dumps(status).encode())
    SITE_UP.labels(site=url).set(0 if error else 1)
    if error is None:
        SITE_CRAWLED.labels(site=url).set(now.timestamp())


class _TooLarge(Exception):
    pass


def _why(report: CrawlReport, url: str) -> str:
    return next((why for skipped, why in report.skipped if skipped == url), "no answer")
