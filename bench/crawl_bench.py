"""Crawling a site from its URL: 200 generated pages served on loopback, crawled, then crawled again
with nothing changed (every page answered 304). Loopback has no network latency: these figures are the
crawler's own cost and the rate it keeps, which a real site's round trips add to. CPU is this process's,
the server's threads included."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from bench.synthetic import page
from bot.config import Settings
from bot.knowledge.crawler import Crawler, Limits
from tests.site_server import SiteServer

PAGES = 200


def build_site(root: Path, count: int = PAGES) -> None:
    """An index linking to every page, as a programme or an archive page does."""
    rng = random.Random(7)
    links = []
    for n in range(count):
        body = page(rng, n).split("---\n", 2)[2]
        (root / f"session{n}").mkdir(parents=True)
        (root / f"session{n}" / "index.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        links.append(f'<li><a href="/session{n}/">Session {n}</a></li>')
    (root / "index.html").write_text(f"<html><body><h1>Sessions</h1><ul>{''.join(links)}</ul></body></html>")


def crawl(url: str, folder: Path, rate: float) -> tuple[float, float, int, int]:
    """(wall s, CPU s, requests, pages answered 304)."""
    crawler = Crawler(url, folder, limits=Limits(pages=1000, per_second=rate), user_agent="workshop-bot/bench")
    wall, cpu = time.perf_counter(), time.process_time()
    report = crawler.run()
    return time.perf_counter() - wall, time.process_time() - cpu, report.requests, len(report.unchanged)


def run() -> dict[str, float | int | str]:
    figures: dict[str, float | int | str] = {"load average (1 min) at the start": os.getloadavg()[0]}
    default_rate = Settings(_env_file=None).crawl_rate
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build_site(site)
        with SiteServer(site) as server:
            for label, rate in ((f"CRAWL_RATE={default_rate:g} (default)", default_rate), ("no rate limit", 1e6)):
                folder = Path(tmp) / f"crawl-{rate:g}"
                wall, cpu, requests, _ = crawl(server.url + "/", folder, rate)
                figures[f"{label}: first crawl of {PAGES + 1} pages, wall / CPU (s)"] = f"{wall:.2f} / {cpu:.2f}"
                figures[f"{label}: first crawl, requests per page"] = f"{requests / (PAGES + 1):.3f}"
                wall, cpu, requests, unchanged = crawl(server.url + "/", folder, rate)
                figures[f"{label}: re-crawl, nothing changed, wall / CPU (s)"] = f"{wall:.2f} / {cpu:.2f}"
                figures[f"{label}: re-crawl, requests per page / pages answered 304"] = (
                    f"{requests / (PAGES + 1):.3f} / {unchanged}")
    return figures
