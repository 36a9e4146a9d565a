"""The embedded default: talk to the bot on this terminal, no Slack or SMTP needed."""

from __future__ import annotations

import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from bot.assistant.question import QuestionError
from bot.config import Settings
from bot.knowledge.editions import Registry
from bot.startup import ASSISTANT, DATABASE, Startup
from bot.templates import render

QUIT = {"quit", "exit", ":q"}
PROMPT = "[bold cyan]you>[/bold cyan] "
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
HELP = {"help", "?", "/help"}


def welcome(settings: Settings, registry: Registry) -> str:
    editions = registry.editions
    default = editions.default
    return render(settings.prompts_dir, "console/welcome.txt.j2", editions=[e.label for e in editions.items],
                  default=default.label if default else None)


def greet(settings: Settings, registry: Registry, console: Console) -> None:
    """Shown at once, before the knowledge base loads (a few seconds): the terminal is alive."""
    console.print(welcome(settings, registry), highlight=False, markup=False)
    console.print(render(settings.prompts_dir, "console/loading.txt.j2"), style="dim", highlight=False, markup=False)


def _readline_prompt(console: Console, markup: str) -> str:
    """`markup` as the terminal shows it, its colour codes marked invisible for readline (\\001…\\002): with
    them counted as characters, arrow-up redrew a remembered question over the prompt."""
    with console.capture() as captured:
        console.print(markup, end="")
    return ANSI_CODE.sub("\001\\g<0>\002", captured.get())


class Prompt:
    """Where the console waits for a line. A part that fails to load while it waits interrupts it, as
    Ctrl-C would (only the main thread can be); a question waiting for that part gets the error instead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading = False
        self._thread = threading.get_ident()

    def read(self, console: Console, stream: TextIO | None) -> str:
        """One line, as input() gives it: without its newline, EOFError at the end."""
        with self._lock:
            self._reading = True
        try:
            if stream is None and console.is_terminal:
                line = input(_readline_prompt(console, PROMPT))  # readline knows the prompt: history redraws it
            else:
                line = console.input(PROMPT, stream=stream)
        finally:
            with self._lock:
                self._reading = False
        if stream is None:
            return line
        if not line:
            raise EOFError
        return line.removesuffix("\n")

    @property
    def reading(self) -> bool:
        with self._lock:
            return self._reading

    def interrupt(self, error: Exception) -> None:
        with self._lock:
            if self._reading and self._thread == threading.main_thread().ident:
                signal.pthread_kill(self._thread, signal.SIGINT)


class AbovePrompt:
    """The terminal's stderr while the console reads there: a line written while the prompt waits (an
    ingest's warning, a log line) is printed above it, and the prompt is drawn again with what was typed,
    as a shell does; written onto the prompt's line, it hid the prompt and the typing."""

    def __init__(self, stream: TextIO, prompt: Prompt, shown: str) -> None:
        self._stream, self._prompt, self._shown = stream, prompt, shown
        self._lock = threading.Lock()
        self._line_start = True

    def write(self, text: str) -> int:
        with self._lock:
            if not self._prompt.reading:
                self._stream.write(text)
            else:
                if self._line_start:
                    self._stream.write("\r\x1b[K")  # the prompt's line cleared, the text in its place
                self._stream.write(text)
                if text.endswith("\n"):
                    self._stream.write(self._shown + _typed())
            self._line_start = text.endswith("\n")
            self._stream.flush()
            return len(text)

    def __getattr__(self, name: str) -> object:  # fileno, isatty, encoding, flush: the terminal's
        return getattr(self._stream, name)


def _typed() -> str:
    """What is typed at the prompt so far (readline's buffer), to draw again after a line above it."""
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()


@contextmanager
def lines_above(prompt: Prompt, console: Console) -> Iterator[None]:
    """While the console reads a terminal, what goes to stderr is printed above its prompt."""
    if not (console.is_terminal and sys.stderr.isatty()):
        yield
        return
    terminal = sys.stderr
    with console.capture() as captured:
        console.print(PROMPT, end="")
    sys.stderr = AbovePrompt(terminal, prompt, captured.get())
    try:
        yield
    finally:
        sys.stderr = terminal


def run_console(startup: Startup, console: Console, stream: TextIO | None = None, prompt: Prompt | None = None) -> None:
    """Read questions (from `stream`, else the terminal) until EOF or `quit`; print each answer with its
    sources. A question typed while the knowledge base loads waits for it, saying so.

    Questions are stored as Slack ones are; an unanswered one shows the message the organizers'
    channel would receive in Slack. StartupError when the knowledge base or the database failed to load.
    """
    with suppress(ImportError):  # line editing and history for input(), where the platform has readline
        import readline  # noqa: F401
    prompt = prompt or Prompt()
    with lines_above(prompt, console) if stream is None else nullcontext():
        _converse(startup, console, stream, prompt)


def _converse(startup: Startup, console: Console, stream: TextIO | None, prompt: Prompt) -> None:
    settings, registry = startup.settings, startup.registry
    while True:
        try:
            question = prompt.read(console, stream)
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if question.strip().lower() in QUIT:
            return
        if question.strip().lower() in HELP:  # answered here, never escalated as a question
            console.print(welcome(settings, registry), highlight=False, markup=False)
            continue
        if not question.strip():
            continue
        if not (startup.ready(ASSISTANT) and startup.ready(DATABASE)):
            console.print(render(settings.prompts_dir, "console/waiting.txt.j2"), style="dim", highlight=False,
                          markup=False)
        assistant, db = startup.assistant, startup.db
        try:
            answer = assistant.ask(question)
        except QuestionError as error:
            console.print(f"[red]{escape(str(error))}[/red]", highlight=False)  # a question may quote "[/x]"
            continue
        db.record_question(via="console", user_id="console", public=False, text=question, answer=answer.text,
                           answer_json=answer.model_dump_json(), answered=answer.answered,
                           edition=answer.edition, confidence=answer.confidence)
        sources = render(settings.prompts_dir, "assistant/sources.txt.j2", sources=answer.sources)
        style = "green" if answer.answered else "yellow"
        body = answer.text + (f"\n\n{sources}" if sources else "")
        console.print(Panel(body, title=f"bot · {answer.edition or '—'}", border_style=style,
                            title_align="left"), highlight=False, markup=False)
        if not answer.answered:
            escalation = render(settings.prompts_dir, "console/escalation.txt.j2", user="you",
                                question=question, bot_answer=None)
            console.print(Panel(escalation, title=f"would post to {settings.organizers_channel or 'the organizers'}"
                                " on 'Ask an organizer'", border_style="dim", title_align="left"),
                          highlight=False, markup=False)
