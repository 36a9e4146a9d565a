"""`workshop-bot`: ingest the pages, ask questions, run the bot. Exit 0 on success, 2 on bad input."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from typer.core import TyperCommand
from rich.console import Console
from rich.text import Text

from bot.config import SettingError, Settings, invalid_settings
from bot.logs import configure_logging

if TYPE_CHECKING:  # the runtime pulls in SQLAlchemy and more: `--help` and `--version` stay instant
    from typer._click import Context, HelpFormatter  # the click that Typer bundles and calls commands with

    from bot.runtime import Runtime

# Plain help, as terminals and copy-paste like it: no boxes, no `<bool>` type tags on flags.
log = logging.getLogger(__name__)
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode=None)
err = Console(stderr=True, markup=False, soft_wrap=True)  # messages quote files and values: `[/x]` is text,
# not markup, and a path is never broken across lines (the terminal wraps what is too long)
BAD_INPUT = 2
Opened = TypeVar("Opened")


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        print(f"workshop-bot {version('workshop-bot')}")
        raise typer.Exit()


@app.callback()
def options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                  help="print the version and exit")] = False) -> None:
    """Slack and email bot for an academic workshop."""


DataDir = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR", help="data folder (default: BOT_DATA_DIR)")]


def _runtime(data_dir: Path | None = None) -> Runtime:
    from bot.runtime import Runtime

    return Runtime(_settings(data_dir))


def _settings(data_dir: Path | None) -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:  # a bad variable in the environment or .env: one line naming it
        raise _fail(invalid_settings(error)) from None
    if data_dir is not None:
        settings = settings.model_copy(update={"bot_data_dir": data_dir})
    configure_logging(settings)
    return settings


def _report(kind: str, message: str) -> None:
    """`error: …` or `warning: …` on stderr, the label coloured, the message as it is."""
    label = (f"{kind}:", "red" if kind == "error" else "yellow")
    err.print(Text.assemble(label, " ", message), highlight=False, soft_wrap=True)


def _no_edition(settings: Settings) -> str:
    folder = settings.knowledge_dir
    why = "no such folder" if not folder.is_dir() else "no pages in it"
    return f"no edition to read: KNOWLEDGE_DIR={str(folder)!r} ({why}; one folder per edition, or a site's checkout)"


def _where(settings: Settings, medium: str) -> str:
    """Where a message marked sent went: without credentials, the console or the mail folder, said so."""
    if medium == "slack":
        return "posted to Slack" if settings.slack_bot_token else "shown above, not posted (SLACK_BOT_TOKEN is not set)"
    if medium == "email":
        return ("sent by SMTP" if settings.smtp_host else
                f"written to {settings.bot_data_dir / 'outbox' / 'mail'}, not mailed (SMTP_HOST is not set)")
    return "sent"


def _write(path: Path, data: bytes) -> None:
    """`--out`: the file written, or one line saying why it cannot be (a missing folder, no permission)."""
    try:
        path.write_bytes(data)
    except OSError as error:
        raise _fail(f"--out {str(path)!r}: cannot be written: {error.strerror}"
                    + ("" if path.parent.is_dir() else f" (no folder {str(path.parent)!r})")) from None


def _fail(message: str, code: int = BAD_INPUT) -> typer.Exit:
    _report("error", message)
    return typer.Exit(code)


def _opened(open_index: Callable[[], Opened]) -> Opened:
    """The index opened by `open_index`; a clear error when another embedding model built it."""
    from bot.index.embeddings import IndexMismatchError

    try:
        return open_index()
    except IndexMismatchError as error:
        raise _fail(str(error)) from error


def _log(kind: str, message: str) -> None:
    """What `serve` has to say once it runs: a service's stderr is its log, in LOG_FORMAT."""
    log.log(logging.ERROR if kind == "error" else logging.WARNING, message)


def _ingest(store, settings: Settings, paths: list[Path], progress: bool = True,
            say: Callable[[str, str], None] = _report):
    from bot.index.ingest import ingest, split_paths

    try:
        roots, scopes = split_paths(paths, settings)
    except FileNotFoundError as error:
        raise _fail(str(error)) from error
    report = ingest(store, settings, roots=roots, scopes=scopes,
                    console=err if progress else Console(stderr=True, force_terminal=False))
    for warning in report.warnings:
        say("warning", str(warning))
    for problem in report.errors:
        say("error", str(problem))
    return report


def _own_index(settings: Settings):
    """The lock on the embedded index, or None when a running bot holds it (a Chroma server needs none)."""
    from bot.index.watch import IndexLock

    if settings.uses_chroma_server():
        return IndexLock(settings)  # never acquired: a server takes writers from several processes
    lock = IndexLock(settings)
    return lock if lock.acquire() else None


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

    runtime = _runtime(data_dir)
    settings = runtime.settings
    paths = [Path(source) for source in sources or [] if not _is_url(source)]
    urls = [source for source in sources or [] if _is_url(source)]
    crawled = _crawl(urls, settings, whole=not sources)
    failed = len(crawled) < len(urls) if sources else False
    if sources and not paths and not crawled:
        raise typer.Exit(BAD_INPUT)  # no site given could be read: said above, site by site
    paths = [*paths, *crawled] if sources else [settings.knowledge_dir, *crawled]
    owner = _own_index(settings)  # held until the command ends
    if owner is None:
        if rebuild:
            raise _fail("a running workshop-bot owns the index in BOT_DATA_DIR: stop it before --rebuild")
        try:
            roots, scopes = split_paths(paths or [], settings)
        except FileNotFoundError as error:
            raise _fail(str(error)) from error
        request_ingest(settings, roots, scopes)
        err.print(f"the running bot owns the index: it ingests within {settings.reload_interval:g} s "
                  "(its log shows the report)", highlight=False)
        return
    store = _opened(lambda: runtime.open_store(rebuild=rebuild))
    report = _ingest(store, settings, paths or [settings.knowledge_dir])
    err.print(report.summary(), highlight=False)
    if rebuild:  # organizers' FAQ answers live in the database: put them back into the new index
        from bot.index.faq import reindex_faq

        entries = runtime.db.faq_entries()
        reindex_faq(store, entries, settings.site_base_url)
        err.print(f"{len(entries)} FAQ entries re-indexed", highlight=False)
    if report.errors or failed:
        raise typer.Exit(BAD_INPUT)


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _crawl(urls: list[str], settings: Settings, *, whole: bool,
           say: Callable[[str, str], None] = _report) -> list[Path]:
    """Crawl the sites given, and with `whole` (an ingest of everything) those of KNOWLEDGE_URL and every
    site crawled before; the folders they were written to. A site out of reach keeps what it had."""
    from bot.knowledge.crawler import crawl_sites, known_sites

    return crawl_sites(settings, [*urls, *(known_sites(settings) if whole else [])], say)


def _parse_now(value: str | None, option: str = "--now") -> datetime | None:
    """An ISO-8601 time (UTC without an offset), which must also exist in UTC: later code compares it."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)
    except ValueError as error:
        raise _fail(f"{option} '{value}' is not an ISO-8601 date or time (e.g. 2025-08-25T12:00:00Z)") from error
    except OverflowError as error:
        raise _fail(f"{option} '{value}' is out of range: it is not a time in the years 1 to 9999 UTC") from error
    return moment


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="the question, or - to read one per line from stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per answer, one per line")] = False,
    now: Annotated[str | None, typer.Option("--now", metavar="TIME", help="ISO-8601 time to answer as of")] = None,
    edition: Annotated[str | None, typer.Option("--edition", metavar="EDITION",
                                                help="edition id, e.g. neurips2023")] = None,
    data_dir: DataDir = None,
) -> None:
    """Answer a question from the pages (ingests KNOWLEDGE_DIR first if the index is empty)."""
    from bot.assistant.answer import Answer
    from bot.assistant.question import QuestionError, clean_question
    from bot.runtime import long_lived
    from bot.templates import render

    runtime = _runtime(data_dir)
    settings = runtime.settings
    moment = _parse_now(now)
    # Refused before the index and the model load: bad input need not wait for them.
    if question != "-":
        try:
            clean_question(question, settings.max_question_chars)
        except QuestionError as error:
            raise _fail(str(error)) from error
    if edition is not None and runtime.registry.editions.get(edition) is None:
        raise _fail(f"unknown edition '{edition}' (known: {', '.join(runtime.registry.editions.ids())})")
    owner = _own_index(settings)
    with long_lived():
        passages = _opened(runtime.open_passages)
    if passages.count() == 0 and owner is not None:
        _ingest(_opened(runtime.open_store), settings, [settings.knowledge_dir])
    with long_lived():
        assistant = runtime.assistant

    def emit(answer: Answer) -> None:
        if as_json:
            print(json.dumps(answer.contract(), ensure_ascii=False), flush=True)
        else:
            print(answer.text)
            sources = render(settings.prompts_dir, "assistant/sources.txt.j2", sources=answer.sources)
            print(f"\n{sources}\n" if sources else "", flush=True)

    if question != "-":
        try:
            emit(assistant.ask(question, edition=edition, now=moment))
        except QuestionError as error:
            raise _fail(str(error)) from error
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            emit(assistant.ask(line.rstrip("\n"), edition=edition, now=moment))
        except QuestionError as error:
            emit(Answer(question=line.strip()[:200], text=f"Sorry: {error}.", answered=False, edition=edition))


@app.command("serve")
def serve_command(data_dir: DataDir = None) -> None:
    """Run the bot: Socket Mode, HTTP mode, or (no Slack credentials) a console on this terminal."""
    from bot.serve import serve
    from bot.startup import Startup, StartupError

    runtime = _runtime(data_dir)
    settings = runtime.settings
    owner = _own_index(settings)  # held as long as the bot runs
    if owner is None:
        raise _fail(f"another workshop-bot serve owns the index in {settings.bot_data_dir}: one bot per data "
                    "folder (several need a Chroma server, CHROMA_HOST)")
    if not settings.knowledge_dir.exists():
        raise _fail(f"{settings.knowledge_dir.resolve()}: no such file or folder")

    def refresh(store) -> None:  # in the background: no progress bar across the console's prompt
        if settings.slack_mode == "console":  # news at the prompt
            sites = _crawl([], settings, whole=True)
            report = _ingest(store, settings, [settings.knowledge_dir, *sites], progress=False)
            if report.changed:
                err.print(report.summary(), highlight=False)
        else:  # log lines
            sites = _crawl([], settings, whole=True, say=_log)
            _log("warning", _ingest(store, settings, [settings.knowledge_dir, *sites], progress=False,
                                    say=_log).summary())

    startup = Startup(runtime, refresh)
    try:
        serve(startup)
    except (StartupError, KeyboardInterrupt):  # a part failed to load: said below
        if startup.failure is None:
            raise
    finally:
        startup.stop()
    _leave(_fail(str(startup.failure)).exit_code if startup.failure is not None else 0)


def _leave(code: int) -> NoReturn:
    """End `serve` once its parts are stopped, without the native libraries' teardown: a part still
    loading in the background may be inside ONNX Runtime or Chroma, and tearing them down under it
    crashed the process at exit (SIGSEGV, in about one stop in 15 on a loaded machine). What matters is
    stored by then: questions, answers and the outbox are in the database, the index in Chroma."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command("facts")
def facts_command(
    edition: Annotated[str | None, typer.Argument(help="edition id (default: the newest)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the facts and their sources as JSON")] = False,
    as_yaml: Annotated[bool, typer.Option("--yaml", help="a draft event.yaml for organizers to check")] = False,
) -> None:
    """What the pages state about an edition (dates, venue, contact, programme), each with its source.

    Where the edition has an event.yaml, its values win, field by field. Disagreements between pages
    are listed so organizers can fix them."""
    from bot.index.embeddings import load_embeddings
    from bot.index.rules import RuleReader
    from bot.index.vectors import TextVectors
    from bot.knowledge.derive import texts_of
    from bot.knowledge.facts import draft_event, edition_facts, facts_record
    from bot.index.budget import Budget, shared
    from bot.knowledge.pages import PageError
    from bot.knowledge.publication import publication_of
    from bot.templates import render

    runtime = _runtime()
    settings, editions = runtime.settings, runtime.registry.editions
    chosen = editions.get(edition) if edition else editions.default
    if chosen is None or chosen.folder is None:
        raise _fail(f"unknown edition '{edition}' (known: {', '.join(editions.ids()) or 'none'})" if edition
                    else _no_edition(settings))
    publication = publication_of(chosen.folder, settings)
    pages = []
    readers = shared(Budget.of(settings))
    readers.begin()
    for path in chosen.folder.pages:
        try:
            pages.append(readers.read(path, chosen.folder, settings, publication))
        except PageError as error:
            _report("error", str(error))
    texts = texts_of(pages)
    rules = RuleReader(TextVectors(load_embeddings(settings.embeddings).embed_documents)).read(texts, chosen.id)
    facts = edition_facts(chosen, texts, chosen.folder.source(chosen.folder.event_file), rules)
    if as_yaml:
        print(render(settings.prompts_dir, "knowledge/event.yaml.j2", **draft_event(chosen, facts)))
    elif as_json:
        print(json.dumps(facts_record(facts), ensure_ascii=False, indent=2))
    else:
        print(render(settings.prompts_dir, "knowledge/facts.txt.j2", label=chosen.label, facts=facts_record(facts)))
    for conflict in facts.conflicts:
        _report("warning", str(conflict))


@app.command("calendar")
def calendar_command(
    editions: Annotated[list[str] | None, typer.Argument(metavar="[EDITION]...",
                                                         help="edition ids (default: the newest); several make "
                                                              "one calendar")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE.ics",
                                             help="write the calendar to this file (default: print it)")] = None,
) -> None:
    """An edition's deadlines (at their exact instants, in UTC), workshop day and sessions, as iCalendar."""
    from bot.events.calendar import calendar
    from bot.templates import describer

    runtime = _runtime()
    known = runtime.registry.editions
    asked: list[str | None] = [*editions] if editions else [None]
    selected = []
    for wanted in asked:
        edition = known.get(wanted) if wanted else known.default
        if edition is None:
            raise _fail(f"unknown edition '{wanted}' (known: {', '.join(known.ids())})" if wanted
                        else _no_edition(runtime.settings))
        if edition.event_error:  # an empty calendar would take every date away from those who import it
            raise _fail(edition.event_error)
        selected.append(edition)
    ics = calendar(selected, datetime.now(UTC), describer(runtime.settings.prompts_dir))
    if out is None:
        sys.stdout.buffer.write(ics)
        sys.stdout.flush()
        return
    _write(out, ics)
    err.print(f"calendar of {', '.join(e.id for e in selected)} written to {out}", highlight=False)


@app.command("reminders")
def reminders_command(
    now: Annotated[str | None, typer.Option("--now", metavar="TIME", help="ISO-8601 time to plan from")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON array of the planned reminders")] = False,
) -> None:
    """The reminders planned after now (or --now), from every edition's event.yaml."""
    from bot.mrkdwn import plain
    from bot.scheduler.messages import render_message
    from bot.scheduler.planner import plan, upcoming

    runtime = _runtime()
    settings, editions = runtime.settings, runtime.registry.editions
    moment = _parse_now(now) or datetime.now(UTC)
    for edition in editions.items:
        if edition.event_error:
            _report("error", edition.event_error)
    planned = [(m, render_message(settings.prompts_dir, m)) for m in upcoming(plan(editions, settings), moment)]
    if as_json:
        print(json.dumps([{
            "key": m.key, "due": m.due.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "edition": m.edition, "deadline": m.deadline, "offset": m.offset,
            "destinations": [str(d) for d in m.destinations], "text": text,
        } for m, text in planned], ensure_ascii=False, indent=None))
    else:
        for m, text in planned:
            print(f"{m.due:%Y-%m-%d %H:%M} UTC  {m.key}  → {', '.join(map(str, m.destinations))}\n  {plain(text)}\n")
        if not planned:
            err.print(f"nothing planned after {moment:%Y-%m-%d %H:%M} UTC (reminders come from each edition's "
                      "event.yaml)", highlight=False)
    if any(e.event_error for e in editions.items):
        raise typer.Exit(BAD_INPUT)


@app.command("reload")
def reload_command(data_dir: DataDir = None) -> None:
    """Tell the running bot to re-plan its reminders now (it also notices event.yaml changes itself)."""
    from bot.private import private_folder, write_private
    from bot.scheduler.service import RELOAD_FILE

    settings = _runtime(data_dir).settings
    write_private(private_folder(settings.bot_data_dir) / RELOAD_FILE, datetime.now(UTC).isoformat().encode())
    lock = None if settings.uses_chroma_server() else _own_index(settings)
    if lock is not None:  # nobody holds the index: no bot runs on this data folder
        lock.release()
        err.print(f"no bot is running on {settings.bot_data_dir}: it will plan afresh when it starts",
                  highlight=False)
        return
    err.print(f"reload requested: the bot re-plans within {settings.reload_interval:g} s", highlight=False)


class AnnounceHelp(TyperCommand):
    """`announce --help` ends with the templates in PROMPTS_DIR and the fields each takes."""

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        from bot.announcements.templates import described

        try:
            lines = [(name, fields) for name, _, fields in
                     (line.partition(": ") for line in described(Settings().prompts_dir))]
        except Exception as error:  # a bad setting or a broken template must not hide the help
            lines = [("(none listed)", str(error))]
        with formatter.section("Templates and their --var fields ([optional])"):
            formatter.write_dl(lines)


@app.command("announce", cls=AnnounceHelp)
def announce_command(
    template: Annotated[str, typer.Argument(help="a template in prompts/announcements/, e.g. general")],
    var: Annotated[list[str] | None, typer.Option("--var", metavar="KEY=VALUE",
                                                  help="a field of the template (repeat for each)")] = None,
    to: Annotated[str, typer.Option("--to", metavar="slack,email",
                                    help="destinations: slack, email, or slack,email")] = "slack",
    at: Annotated[str | None, typer.Option("--at", metavar="TIME",
                                           help="ISO-8601 time to send at; now if omitted")] = None,
    now_if_past: Annotated[bool, typer.Option("--now-if-past", help="if --at has passed, send now")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be sent, send nothing")] = False,
    corrects: Annotated[int | None, typer.Option("--corrects", metavar="ID",
                                                 help="id of the announcement this corrects")] = None,
    data_dir: DataDir = None,
) -> None:
    """Announce to the announcements channel and the list: rendered, recorded, sent once, indexed.

    Everything is checked for every destination before anything is stored or sent."""
    import getpass

    from bot.announcements.compose import AnnouncementError, prepare
    from bot.announcements.records import record
    from bot.outbox.keys import announcement_key
    from bot.storage.models import OutboxStatus

    runtime = _runtime(data_dir)
    settings = runtime.settings
    send_at = _parse_now(at, "--at")
    if send_at is not None and send_at <= datetime.now(UTC):
        if not now_if_past:
            raise _fail(f"--at '{at}' has passed: give a later time, or add --now-if-past to send it now")
        err.print(f"--at '{at}' has passed: sending now (--now-if-past)", highlight=False)
        send_at = None
    variables = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _fail(f"--var '{item}' is not KEY=VALUE")
        variables[key.strip()] = value
    try:
        prepared = prepare(settings, runtime.registry.editions, template, variables,
                           [t.strip() for t in to.split(",") if t.strip()], send_at)
    except AnnouncementError as error:
        raise _fail(str(error)) from error
    prepared.corrects = corrects
    print(prepared.text)
    if dry_run:
        err.print(f"dry run: nothing sent (would go to {', '.join(map(str, prepared.destinations))} "
                  f"at {prepared.send_at:%Y-%m-%d %H:%M} UTC)", highlight=False)
        return
    announcement = record(runtime.db, runtime.outbox, prepared, getpass.getuser(), settings.prompts_dir,
                          settings.mail_from, editions=runtime.registry.editions)
    if prepared.send_at > datetime.now(UTC):
        err.print(f"scheduled announcement {announcement.id} for {prepared.send_at:%Y-%m-%d %H:%M} UTC; "
                  "the running bot sends it", highlight=False)
        return
    owner = _own_index(settings)  # held until the command ends
    if owner is None:  # the running bot sends it, and indexes it once sent
        err.print(f"announcement {announcement.id} queued: the running bot sends it within "
                  f"{settings.reload_interval:g} s", highlight=False)
        return
    _opened(runtime.open_store)  # a sent announcement is indexed: the index must be usable first
    rows = [row for row in runtime.outbox.of_key(announcement_key(announcement.id))
            if row.due_at <= datetime.now(UTC)]
    outcomes = [runtime.sender.send(row.id) or "taken" for row in rows]
    said = [f"{medium}: {_where(settings, medium) if outcome == OutboxStatus.SENT else outcome}"
            for medium, outcome in zip((row.destination.split(":")[0] for row in rows), outcomes, strict=True)]
    err.print(f"announcement {announcement.id}: {'; '.join(said)}", highlight=False)
    if OutboxStatus.FAILED in outcomes:
        raise typer.Exit(1)


@app.command("digest")
def digest_command(
    now: Annotated[str | None, typer.Option("--now", metavar="TIME",
                                            help="ISO-8601 time: the digest of the slot at it")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="write the email to this .eml file")] = None,
    send: Annotated[bool, typer.Option("--send", help="deliver it through the outbox (once per slot)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Build the mailing-list digest for the latest DIGEST_CRON slot; print, save or send it."""
    from bot import digest
    from bot.deliveries import EMAIL, PermanentError
    from bot.deliveries.dkim_signing import DkimSigner
    from bot.deliveries.email import compose, wire_bytes
    from bot.storage.models import OutboxMessage, OutboxStatus

    runtime = _runtime(data_dir)
    settings = runtime.settings
    moment = _parse_now(now) or datetime.now(UTC)
    db, editions = runtime.db, runtime.registry.editions
    if (send or out) and not settings.mailing_list.strip():  # said before anything is built or stored
        raise _fail("digest: MAILING_LIST is not set: nowhere to send")
    if send:
        queued = digest.queue(settings, db, runtime.outbox, editions, moment, **runtime.digest_helpers())
        name = f"digest {queued.slot:%Y-%m-%d %H:%M} UTC"
        if queued.row is None:
            err.print(f"{name}: nothing to say, not sent", highlight=False)
            return
        if queued.row.status == OutboxStatus.SENT:
            err.print(f"{name} was already sent", highlight=False)
            return
        if not queued.fresh:  # left pending or failed by an earlier try: this one is meant to send it
            err.print(f"{name}: retrying (last error: {queued.row.last_error or 'none'})", highlight=False)
            runtime.outbox.release(queued.row.id, queued.row.last_error or "retried")
        outcome = runtime.sender.send(queued.row.id)
        err.print(f"{name}: {outcome}", highlight=False)
        if outcome != OutboxStatus.SENT:
            raise typer.Exit(1)
        return
    slot, since = digest.slot_at(settings, moment)
    built = digest.build(settings, db, editions, slot, since, reviewed=digest.review_of(settings, db, slot),
                         **runtime.digest_helpers())
    if built.empty:
        err.print(f"digest {slot:%Y-%m-%d %H:%M} UTC: nothing to say", highlight=False)
        return
    body = digest.render(settings, built)
    if out is None:
        print(json.loads(body)["text"])
        return
    newest = editions.default
    try:
        mail = compose(OutboxMessage(key=built.key, destination=str(EMAIL), kind="digest", body=body),
                       settings, newest.contact if newest else None, newest.label if newest else None)
        raw = wire_bytes(mail, DkimSigner.from_settings(settings))
    except PermanentError as error:  # no MAILING_LIST, a bad address, an unreadable DKIM key: said in one line
        raise _fail(f"digest: {error}") from error
    _write(out, raw)
    err.print(f"digest written to {out}", highlight=False)


templates_app = typer.Typer(help="Message templates in prompts/.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(templates_app, name="templates")


@templates_app.command("check")
def templates_check_command() -> None:
    """Render every template with sample data; exit 2 on any error, before a reminder is due."""
    from bot.scheduler.messages import check_templates

    settings = _runtime().settings
    problems = check_templates(settings)
    for problem in problems:
        _report("error", problem)
    if problems:
        raise typer.Exit(BAD_INPUT)
    err.print(f"all templates in {settings.prompts_dir} render", highlight=False)


db_app = typer.Typer(help="The bot's database (DATABASE_URL, or SQLite in BOT_DATA_DIR).", no_args_is_help=True,
                     rich_markup_mode=None)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_command(data_dir: DataDir = None) -> None:
    """Bring the schema to the newest migration (the bot also does it when it starts); print the revisions."""
    from sqlalchemy.exc import OperationalError

    from bot.storage import migrate
    from bot.storage.db import database_url, open_engine
    from bot.storage.url import DatabaseUrlError

    try:
        engine = open_engine(database_url(_settings(data_dir)), pool_size=1)
        where = engine.url.render_as_string(hide_password=True)
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    except (DatabaseUrlError, migrate.UnknownRevision) as error:
        raise _fail(str(error)) from None
    except OperationalError as error:
        raise _fail(f"cannot reach the database of DATABASE_URL: {error.orig}") from None
    if before == after:
        err.print(f"{where}: at revision {after}, the newest: nothing to do", highlight=False)
    else:
        err.print(f"{where}: upgraded from revision {before or 'none (empty database)'} to {after}", highlight=False)


def main() -> None:
    from bot.heap import return_large_blocks
    from bot.private import restrict_umask

    return_large_blocks()  # a process's size follows what it holds, not what it once held
    restrict_umask()  # questions, the index, mail: nothing any command writes is readable by others
    try:
        app()
    except SettingError as error:  # a setting that only fails when used: one line, never a traceback
        _report("error", str(error))
        sys.exit(BAD_INPUT)
    finally:  # what is left is freed with the process: not walked by the collector first (half a second)
        gc.freeze()
