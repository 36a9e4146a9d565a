"""The embedded default: messages meant for channels are printed where the organizer can see them."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel

from bot.text.mrkdwn import plain
from bot.storage.models import OutboxMessage


class ConsoleDelivery:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()

    def send(self, message: OutboxMessage) -> str | None:
        self.console.print(Panel(plain(message.body), title=f"→ {message.destination} · {message.kind}",
                                 border_style="magenta", title_align="left"), highlight=False, markup=False)
        return None

    def already_sent(self, message: OutboxMessage) -> str | None:
        return None  # a line on a terminal cannot be looked up: printing twice beats losing it
