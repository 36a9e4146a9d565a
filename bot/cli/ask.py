"""`ask`: a question answered on the terminal, or one per line from stdin, as text or JSON."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bot.cli.common import DataDir, app, fail, open_runtime, opened, own_index, parse_now
from bot.cli.index import ingest_paths


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

    runtime = open_runtime(data_dir)
    settings = runtime.settings
    moment = parse_now(now)
    # Refused before the index and the model load: bad input need not wait for them.
    if question != "-":
        try:
            clean_question(question, settings.max_question_chars)
        except QuestionError as error:
            raise fail(str(error)) from error
    if edition is not None and runtime.registry.editions.get(edition) is None:
        raise fail(f"unknown edition '{edition}' (known: {', '.join(runtime.registry.editions.ids())})")
    owner = own_index(settings)
    with long_lived():
        passages = opened(runtime.open_passages)
    if passages.count() == 0 and owner is not None:
        ingest_paths(opened(runtime.open_store), settings, [settings.knowledge_dir])
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
            raise fail(str(error)) from error
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            emit(assistant.ask(line.rstrip("\n"), edition=edition, now=moment))
        except QuestionError as error:
            emit(Answer(question=line.strip()[:200], text=f"Sorry: {error}.", answered=False, edition=edition))
