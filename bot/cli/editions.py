"""What the editions state and plan: `facts`, `calendar`, `reminders`, and `reload` for the running bot."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (BAD_INPUT, DataDir, app, err, fail, no_edition, notice, open_runtime, own_index,
                            parse_now, write_file)


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

    runtime = open_runtime()
    settings, editions = runtime.settings, runtime.registry.editions
    chosen = editions.get(edition) if edition else editions.default
    if chosen is None or chosen.folder is None:
        raise fail(f"unknown edition '{edition}' (known: {', '.join(editions.ids()) or 'none'})" if edition
                   else no_edition(settings))
    publication = publication_of(chosen.folder, settings)
    pages = []
    readers = shared(Budget.of(settings))
    readers.begin()
    for path in chosen.folder.pages:
        try:
            pages.append(readers.read(path, chosen.folder, settings, publication))
        except PageError as error:
            notice("error", str(error))
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
        notice("warning", str(conflict))


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

    runtime = open_runtime()
    known = runtime.registry.editions
    asked: list[str | None] = [*editions] if editions else [None]
    selected = []
    for wanted in asked:
        edition = known.get(wanted) if wanted else known.default
        if edition is None:
            raise fail(f"unknown edition '{wanted}' (known: {', '.join(known.ids())})" if wanted
                       else no_edition(runtime.settings))
        if edition.event_error:  # an empty calendar would take every date away from those who import it
            raise fail(edition.event_error)
        selected.append(edition)
    ics = calendar(selected, datetime.now(UTC), describer(runtime.settings.prompts_dir))
    if out is None:
        sys.stdout.buffer.write(ics)
        sys.stdout.flush()
        return
    write_file(out, ics)
    err.print(f"calendar of {', '.join(e.id for e in selected)} written to {out}", highlight=False)


@app.command("reminders")
def reminders_command(
    now: Annotated[str | None, typer.Option("--now", metavar="TIME", help="ISO-8601 time to plan from")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON array of the planned reminders")] = False,
) -> None:
    """The reminders planned after now (or --now), from every edition's event.yaml."""
    from bot.text.mrkdwn import plain
    from bot.scheduler.messages import render_message
    from bot.scheduler.planner import plan, upcoming

    runtime = open_runtime()
    settings, editions = runtime.settings, runtime.registry.editions
    moment = parse_now(now) or datetime.now(UTC)
    for edition in editions.items:
        if edition.event_error:
            notice("error", edition.event_error)
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
    from bot.ops.private import private_folder, write_private
    from bot.scheduler.service import RELOAD_FILE

    settings = open_runtime(data_dir).settings
    write_private(private_folder(settings.bot_data_dir) / RELOAD_FILE, datetime.now(UTC).isoformat().encode())
    lock = None if settings.uses_chroma_server() else own_index(settings)
    if lock is not None:  # nobody holds the index: no bot runs on this data folder
        lock.release()
        err.print(f"no bot is running on {settings.bot_data_dir}: it will plan afresh when it starts",
                  highlight=False)
        return
    err.print(f"reload requested: the bot re-plans within {settings.reload_interval:g} s", highlight=False)
