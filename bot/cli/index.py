"""`ingest`: the pages into the index, from folders or crawled sites; the running bot does it when it owns the index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli.common import BAD_INPUT, DataDir, app, err, fail, notice, open_runtime, opened, own_index
from bot.config import Settings


def ingest_paths(store, settings: Settings, paths: list[Path], progress: bool = True,
            say: Callable[[str, str], None] = notice):
    from bot.index.ingest import ingest, split_paths

    try:
        roots, scopes = split_paths(paths, settings)
    except FileNotFoundError as error:
        raise fail(str(error)) from error
    report = ingest(store, settings, roots=roots, scopes=scopes,
                    console=err if progress else Console(stderr=True, force_terminal=False))
    for warning in report.warnings:
        say("warning", str(warning))
    for problem in report.errors:
        say("error", str(problem))
    return report


@app.command("ingest")
def ingest_command(
    sources: Annotated[list[str] | None, typer.Argument(
        metavar="[PATH_OR_URL]...", help="pages, folders or published sites' URLs (default: KNOWLEDGE_DIR)")] = None,
    rebuild: Annotated[bool, typer.Option(help="drop the index and embed everything again")] = False,
    data_dir: DataDir = None,
) -> None:
    """Index the workshop's pages. Unchanged pages are skipped; a broken page keeps its old passages.

    A site given by its URL (or in KNOWLEDGE_URL) is crawled first, and again at every ingest.
    While the bot runs (it owns the embedded index), the running bot does the ingest instead."""
    from bot.index.ingest import split_paths
    from bot.index.watch import request_ingest

    runtime = open_runtime(data_dir)
    settings = runtime.settings
    paths = [Path(source) for source in sources or [] if not is_url(source)]
    urls = [source for source in sources or [] if is_url(source)]
    crawled = crawl(urls, settings, whole=not sources)
    failed = len(crawled) < len(urls) if sources else False
    if sources and not paths and not crawled:
        raise typer.Exit(BAD_INPUT)  # no site given could be read: said above, site by site
    paths = [*paths, *crawled] if sources else [settings.knowledge_dir, *crawled]
    owner = own_index(settings)  # held until the command ends
    if owner is None:
        if rebuild:
            raise fail("a running workshop-bot owns the index in BOT_DATA_DIR: stop it before --rebuild")
        try:
            roots, scopes = split_paths(paths or [], settings)
        except FileNotFoundError as error:
            raise fail(str(error)) from error
        request_ingest(settings, roots, scopes)
        err.print(f"the running bot owns the index: it ingests within {settings.reload_interval:g} s "
                  "(its log shows the report)", highlight=False)
        return
    store = opened(lambda: runtime.open_store(rebuild=rebuild))
    report = ingest_paths(store, settings, paths or [settings.knowledge_dir])
    err.print(report.summary(), highlight=False)
    if rebuild:  # organizers' FAQ answers live in the database: put them back into the new index
        from bot.index.faq import reindex_faq

        entries = runtime.db.faq_entries()
        reindex_faq(store, entries, settings.site_base_url)
        err.print(f"{len(entries)} FAQ entries re-indexed", highlight=False)
    if report.errors or failed:
        raise typer.Exit(BAD_INPUT)


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def crawl(urls: list[str], settings: Settings, *, whole: bool,
           say: Callable[[str, str], None] = notice) -> list[Path]:
    """Crawl the sites given, and with `whole` (an ingest of everything) those of KNOWLEDGE_URL and every
    site crawled before; the folders they were written to. A site out of reach keeps what it had."""
    from bot.knowledge.crawler import crawl_sites, known_sites

    return crawl_sites(settings, [*urls, *(known_sites(settings) if whole else [])], say)
