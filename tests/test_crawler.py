"""A site given by its URL: crawled from a real HTTP server on loopback, then read and answered from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge.crawler import MANIFEST, CrawlError, Crawler, Limits, Scope, crawled_urls

from .site_server import SiteServer

SITE = Path(__file__).parent / "fixtures" / "sites" / "sysml-built"
PAGES = ["/", "/cfp/", "/organizers/", "/papers/", "/program/", "/speakers/"]
FAST = Limits(per_second=1000)
AGENT = "workshop-bot/test (+mailto:chairs@example.org)"


@pytest.fixture
def site(tmp_path) -> Path:
    """A copy of a built site that a test may change."""
    return Path(shutil.copytree(SITE, tmp_path / "published"))


def crawl(url: str, folder: Path, limits: Limits = FAST):
    return Crawler(url, folder, limits=limits, user_agent=AGENT).run()


def test_a_site_is_crawled_whole_and_nothing_else_is_asked_for(site, tmp_path):
    with SiteServer(site) as server:
        report = crawl(server.url + "/", tmp_path / "crawl")
        assert sorted(server.fetched(200)) == sorted(PAGES)
        assert set(server.fetched()) == {*PAGES, "/robots.txt", "/sitemap.xml", "/event.yaml"}
        assert {r.headers["User-Agent"] for r in server.log} == {AGENT}
        assert not any("Authorization" in r.headers or "Cookie" in r.headers for r in server.log)
    assert len(report.fetched) == 6 and report.complete and not report.removed
    assert (tmp_path / "crawl" / "cfp" / "index.html").read_bytes() == (site / "cfp" / "index.html").read_bytes()
    base, paths = crawled_urls(tmp_path / "crawl")
    assert base == server.url + "/" and paths["cfp/index.html"] == "/cfp/" and paths["index.html"] == "/"


def test_a_second_crawl_asks_conditionally_and_reads_only_what_changed(site, tmp_path):
    with SiteServer(site) as server:
        crawl(server.url + "/", tmp_path / "crawl")
        page = site / "program" / "index.html"
        page.write_bytes(page.read_bytes().replace(b"Opening remarks", b"Welcome and opening remarks"))
        server.log.clear()
        again = crawl(server.url + "/", tmp_path / "crawl")
        assert server.fetched(200) == ["/program/"]
        assert sorted(server.fetched(304)) == sorted(set(PAGES) - {"/program/"})
        assert all("If-None-Match" in r.headers for r in server.log if r.path in PAGES)
    assert again.fetched == [server.url + "/program/"] and len(again.unchanged) == 5
    assert b"Welcome and opening remarks" in (tmp_path / "crawl" / "program" / "index.html").read_bytes()


def test_robots_txt_is_obeyed(site, tmp_path):
    with SiteServer(site, robots="User-agent: *\nDisallow: /papers/\n") as server:
        report = crawl(server.url + "/", tmp_path / "crawl")
        assert "/papers/" not in server.fetched()
    assert (server.url + "/papers/", "robots.txt disallows it") in report.skipped
    assert not (tmp_path / "crawl" / "papers").exists()


def test_the_sitemap_brings_pages_no_link_reaches(site, tmp_path):
    (site / "travel").mkdir()
    (site / "travel" / "index.html").write_text("<h1>Travel grants</h1><p>Apply by May 1.</p>")
    with SiteServer(site) as server:
        sitemap = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                   f"<url><loc>{server.url}/travel/</loc></url><url><loc>https://elsewhere.example/x</loc></url>"
                   "</urlset>")
        server.routes["/sitemap.xml"] = (200, "application/xml", sitemap.encode())
        crawl(server.url + "/", tmp_path / "crawl")
        assert "/travel/" in server.fetched(200)
    assert (tmp_path / "crawl" / "travel" / "index.html").is_file()


def test_a_redirect_off_the_site_is_not_followed(site, tmp_path):
    with SiteServer(tmp_path) as elsewhere, SiteServer(site) as server:
        server.redirects["/papers/"] = elsewhere.url + "/papers/"
        server.redirects["/speakers/"] = "/program/"  # on the site: followed
        report = crawl(server.url + "/", tmp_path / "crawl")
        assert elsewhere.log == []
    assert (server.url + "/papers/", f"redirects off the site, to {elsewhere.url}/papers/") in report.skipped
    assert not (tmp_path / "crawl" / "papers").exists() and (tmp_path / "crawl" / "program").exists()


def test_a_page_over_the_limit_a_slow_page_and_an_archive_are_reported_not_written(site, tmp_path):
    (site / "program" / "index.html").write_bytes(b"<p>" + b"x" * 50_000 + b"</p>")
    with SiteServer(site) as server:
        server.held.add("/speakers/")
        server.routes["/papers/"] = (200, "application/zip", b"PK\x03\x04")
        report = crawl(server.url + "/", tmp_path / "crawl", Limits(per_second=1000, page_bytes=20_000, timeout=0.5))
    why = dict(report.skipped)
    assert why[server.url + "/program/"].startswith("larger than 20,000 bytes")
    assert why[server.url + "/speakers/"] == "unreachable: ReadTimeout"
    assert why[server.url + "/papers/"] == "not a web page (application/zip)"
    assert sorted(p.parent.name for p in (tmp_path / "crawl").rglob("index.html")) == ["cfp", "crawl", "organizers"]


def test_a_page_gone_from_the_site_is_removed_and_a_site_out_of_reach_keeps_everything(site, tmp_path):
    folder = tmp_path / "crawl"
    with SiteServer(site) as server:
        url = server.url + "/"
        crawl(url, folder)
        shutil.rmtree(site / "organizers")
        report = crawl(url, folder)
        assert "/organizers/" in server.fetched(404)
    assert report.removed == [server.url + "/organizers/"] and not (folder / "organizers").exists()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert "organizers/index.html" not in manifest["pages"] and len(manifest["pages"]) == 5

    with pytest.raises(CrawlError, match="no page of the site could be read"):
        crawl(url, folder)  # the server has stopped
    assert json.loads((folder / MANIFEST).read_text()) == manifest and (folder / "cfp" / "index.html").is_file()


def test_a_crawl_stopped_at_a_limit_removes_nothing(site, tmp_path):
    with SiteServer(site) as server:
        crawl(server.url + "/", tmp_path / "crawl")
        report = crawl(server.url + "/", tmp_path / "crawl", Limits(per_second=1000, pages=2))
    assert not report.complete and report.removed == []
    assert len(json.loads((tmp_path / "crawl" / MANIFEST).read_text())["pages"]) == 6


@pytest.mark.parametrize(("url", "file"), [
    ("http://h/ws/", "index.html"), ("http://h/ws/cfp", "cfp/index.html"), ("http://h/ws/cfp/", "cfp/index.html"),
    ("http://h/ws/a.html", "a.html"), ("http://h/ws/%2e%2e/%2e%2e/etc/passwd", "etc/passwd/index.html"),
    ("http://h/ws/_config.yml", "config.yml/index.html"), ("http://h/ws/a b/", "a_b/index.html"),
])
def test_a_url_becomes_a_file_inside_the_folder(url, file):
    assert Scope.of("http://h/ws/").file_of(url) == file


def test_only_http_urls_without_credentials_are_crawled():
    with pytest.raises(CrawlError, match="not an http"):
        Scope.of("file:///etc/passwd")
    with pytest.raises(CrawlError, match="credentials"):
        Scope.of("https://user:secret@example.org/")
    scope = Scope.of("https://example.org/ws/2025/index.html")
    assert scope.prefix == "/ws/2025/" and scope.holds("https://example.org/ws/2025/cfp")
    assert not scope.holds("https://example.org/ws/2024/") and not scope.holds("http://example.org/ws/2025/")


def test_ingest_by_url_answers_with_the_live_pages_links(site, tmp_path):
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(tmp_path / "no-files"),
           "CRAWL_CONTACT": "chairs@example.org"}
    (tmp_path / "no-files").mkdir()
    runner = CliRunner()
    with SiteServer(site) as server:
        ingested = runner.invoke(app, ["ingest", server.url + "/"], env=env)
        assert ingested.exit_code == 0, ingested.output
        assert "6 fetched" in ingested.output
        assert all("(+mailto:chairs@example.org)" in r.headers["User-Agent"] for r in server.log)
        answer = runner.invoke(app, ["ask", "--json", "When is the paper submission deadline?"], env=env)
        assert answer.exit_code == 0, answer.output
        found = json.loads(answer.output.strip().splitlines()[-1])
        assert found["answered"] and any(s["url"] == server.url + "/cfp/" for s in found["sources"])

        # Ingest again, with no argument: the site is crawled again, conditionally.
        server.log.clear()
        again = runner.invoke(app, ["ingest"], env=env)
        assert again.exit_code == 0, again.output
        assert server.fetched(200) == [] and len(server.fetched(304)) == 6

    refused = runner.invoke(app, ["ingest", server.url + "/"], env=env)  # the server has stopped
    assert refused.exit_code == 2 and "no page of the site could be read" in refused.output


def test_the_evaluation_questions_score_the_same_by_url_as_from_the_files(tmp_path, corpus_assistants):
    from tests.eval.harness import CORPORA, Corpus, corpus_items, evaluate
    from tests.eval.setup import corpus_assistant

    files = CORPORA["sysml-built"]
    with SiteServer(files.root) as server:
        crawl(server.url + "/", tmp_path / "crawl")
    crawled = Corpus(files.name, tmp_path / "crawl", files.files)
    assistant, report = corpus_assistant(crawled, tmp_path / "data")
    assert not report.errors and len(report.added) == 6
    items = corpus_items(files)
    by_url = [outcome.passed for outcome in evaluate(assistant, items, files.name)]
    from_files = [outcome.passed for outcome in evaluate(corpus_assistants(files.name), items, files.name)]
    assert len(items) >= 90 and by_url == from_files
    assert sum(by_url) >= 0.8 * len(items)


def test_a_running_bot_keeps_a_site_current_and_says_when_it_is_out_of_reach(site, tmp_path, embeddings):
    from prometheus_client import REGISTRY

    from bot.index.store import KnowledgeStore
    from bot.index.watch import KnowledgeWatcher
    from bot.knowledge.crawler import site_status
    from bot.runtime import Runtime

    from .conftest import make_settings

    (tmp_path / "no-files").mkdir()
    question = "When is the paper submission deadline?"
    with SiteServer(site) as server:
        settings = make_settings(tmp_path / "data", tmp_path / "no-files", knowledge_url=server.url + "/",
                                 crawl_rate=1000)
        store = KnowledgeStore(settings, embeddings)
        runtime = Runtime(settings, deliveries={}, store=store)
        watcher = KnowledgeWatcher(settings, store, runtime.registry)
        assert watcher.check() is not None  # crawled and indexed
        assistant = runtime.assistant
        assert "March 6, 2026" in assistant.ask(question).text

        cfp = site / "cfp" / "index.html"
        cfp.write_bytes(cfp.read_bytes().replace(b"<strong>March 6, 2026</strong>",
                                                 b"<del>March 6, 2026</del> <strong>March 13, 2026</strong>"))
        server.log.clear()
        report = watcher.check()
        assert report is not None and [page.rsplit("/", 2)[-2:] for page in report.updated] == [["cfp", "index.html"]]
        assert server.fetched(200) == ["/cfp/"]
        assert "March 13, 2026" in assistant.ask(question).text

        server.log.clear()
        assert watcher.check() is None  # nothing changed: every page answered 304, nothing re-read
        assert server.fetched(200) == [] and len(server.fetched(304)) == 6
        url = server.url + "/"
    assert REGISTRY.get_sample_value("workshop_bot_site_up", {"site": url}) == 1

    assert watcher.check() is None  # the site is down: the index keeps what it had
    assert REGISTRY.get_sample_value("workshop_bot_site_up", {"site": url}) == 0
    assert "out of reach" in site_status(settings)[url]
    assert "March 13, 2026" in assistant.ask(question).text


EVENT = """name: SysML-Edge 2026
timezone: AoE
deadlines:
  - id: submission
    title: Paper submission
    due: {due}
"""


def test_an_event_yaml_published_with_the_site_plans_reminders_and_a_moved_deadline_is_drafted(
        site, tmp_path, embeddings):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from bot.index.store import KnowledgeStore
    from bot.index.watch import KnowledgeWatcher
    from bot.runtime import Runtime
    from bot.storage.models import Announcement

    from .conftest import make_settings

    (tmp_path / "no-files").mkdir()
    (site / "event.yaml").write_text(EVENT.format(due="2030-03-06"))
    now = datetime(2030, 2, 1, tzinfo=UTC)
    with SiteServer(site) as server:
        settings = make_settings(tmp_path / "data", tmp_path / "no-files", knowledge_url=server.url + "/",
                                 crawl_rate=1000)
        runtime = Runtime(settings, deliveries={}, store=KnowledgeStore(settings, embeddings))
        watcher = KnowledgeWatcher(settings, runtime.open_store(), runtime.registry)
        watcher.check()
        assert "/event.yaml" in server.fetched(200)
        (edition,) = runtime.registry.editions.items
        assert [d.due.isoformat() for d in edition.event.deadlines] == ["2030-03-06"]
        assert any(m.deadline == "submission" for m in runtime.reminders.sync(now))

        (site / "event.yaml").write_text(EVENT.format(due="2030-03-13"))
        watcher.check()
        runtime.reminders.sync(now)
    with runtime.db.session() as session:
        drafts = session.scalars(select(Announcement).where(Announcement.template == "deadline_extended")).all()
    assert len(drafts) == 1 and "March 13, 2030" in drafts[0].text


SCRIPTED = b"""<html><head><title>Programme</title></head><body><div id="app"></div><script>
document.getElementById("app").innerHTML = "<h2>Programme</h2><p>09:00 Opening remarks by the chairs</p>";
fetch("http://elsewhere.invalid/track");
</script></body></html>"""


def test_a_page_its_scripts_build_is_named_with_the_option_that_would_read_it(site, tmp_path):
    (site / "program" / "index.html").write_bytes(SCRIPTED)
    with SiteServer(site) as server:
        report = crawl(server.url + "/", tmp_path / "crawl")
    assert report.warnings == [(server.url + "/program/", "its text is built by JavaScript, and is read as it "
                                "shows without: set KNOWLEDGE_RENDER=chromium to run its scripts")]
    assert (tmp_path / "crawl" / "program" / "index.html").read_bytes() == SCRIPTED  # nothing ran


def test_scripted_pages_are_told_from_pages_with_scripts():
    from bot.knowledge.render import scripted

    assert scripted(SCRIPTED)
    assert not scripted((SITE / "cfp" / "index.html").read_bytes())  # text, and a script or two beside it
    assert not scripted(b"<html><body><p>No scripts, no text.</p></body></html>")


@pytest.mark.skipif(not shutil.which("chromium") and not shutil.which("chromium-browser"),
                    reason="Chromium not found (Debian package `chromium`): rendering pages built by "
                           "JavaScript is not tested here")
def test_with_the_option_a_scripted_page_is_rendered_with_no_network_beyond_its_site(site, tmp_path):
    from bot.knowledge.render import render

    with SiteServer(tmp_path / "nothing") as elsewhere, SiteServer(site) as server:
        page = SCRIPTED.replace(b"http://elsewhere.invalid/track", f"{elsewhere.url}/track".encode())
        (site / "program" / "index.html").write_bytes(page)
        report = Crawler(server.url + "/", tmp_path / "crawl", limits=FAST, user_agent=AGENT, render=render).run()
        assert elsewhere.log == []
    assert report.warnings == []
    assert b"09:00 Opening remarks by the chairs" in (tmp_path / "crawl" / "program" / "index.html").read_bytes()


def test_a_site_whose_paths_hold_editions_gives_one_edition_per_path(tmp_path):
    site = tmp_path / "site"
    (site / "2024").mkdir(parents=True)
    (site / "index.html").write_text(
        "<html><head><title>Edge Systems Workshop 2025</title></head><body><h1>Edge Systems Workshop 2025</h1>"
        "<p>Paper submission deadline: May 2, 2025 (AoE).</p><p><a href='/2024/'>Last year's workshop</a></p>"
        "</body></html>")
    (site / "2024" / "index.html").write_text(
        "<html><head><title>Edge Systems Workshop 2024</title></head><body><h1>Edge Systems Workshop 2024</h1>"
        "<p>Paper submission deadline: May 3, 2024 (AoE).</p></body></html>")
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(tmp_path / "none")}
    runner = CliRunner()
    with SiteServer(site) as server:
        assert runner.invoke(app, ["ingest", server.url + "/"], env=env).exit_code == 0
    from bot.config import Settings
    from bot.knowledge.editions import Registry

    editions = Registry(Settings(_env_file=None, bot_data_dir=tmp_path / "data", knowledge_dir=tmp_path / "none"))
    ids = editions.editions.ids()
    assert len(ids) == 2 and "2024" in ids  # the top is this year's edition, /2024/ last year's
    assert runner.invoke(app, ["facts", "2024", "--json"], env=env).exit_code == 0
    asked = json.loads(runner.invoke(app, ["ask", "--json", "When was the 2024 paper deadline?"], env=env).output)
    assert "May 3, 2024" in asked["answer"]
    assert [s["url"] for s in asked["sources"]] == [server.url + "/2024/"]
