"""The embedded default: talk to the bot on this terminal, no Slack or SMTP needed."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel

from bot.assistant.assistant import Assistant
from bot.assistant.question import QuestionError
from bot.config import Settings
from bot.index.store import KnowledgeStore
from bot.templates import render

QUIT = {"quit", "exit", ":q"}


def run_console(settings: Settings, store: KnowledgeStore, console: Console | None = None) -> None:
    """Read questions until EOF or `quit`; print each answer with its sources."""
    console = console or Console()
    assistant = Assistant.from_settings(settings, store)
    default = assistant.editions.default
    console.print(render(settings.prompts_dir, "console/welcome.txt.j2",
                         editions=[e.label for e in assistant.editions.items],
                         default=default.label if default else None), highlight=False)
    while True:
        try:
            question = console.input("[bold cyan]you>[/bold cyan] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if question.strip().lower() in QUIT:
            return
        if not question.strip():
            continue
        try:
            answer = assistant.ask(question)
        except QuestionError as error:
            console.print(f"[red]{error}[/red]", highlight=False)
            continue
        sources = render(settings.prompts_dir, "assistant/sources.txt.j2", sources=answer.sources)
        style = "green" if answer.answered else "yellow"
        body = answer.text + (f"\n\n{sources}" if sources else "")
        console.print(Panel(body, title=f"bot · {answer.edition or '—'}", border_style=style,
                            title_align="left"), highlight=False, markup=False)
