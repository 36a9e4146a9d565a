"""Which Slack channel an edition's messages go to: the one way to work it out, for every sender."""

from __future__ import annotations

from typing import Literal

from bot.config import Settings
from bot.events.model import Event


def channel_of(event: Event | None, settings: Settings,
               which: Literal["announcements", "workshop"] = "announcements") -> str | None:
    """The edition's own channel (`slack.<which>` in its event.yaml), else ANNOUNCEMENTS_CHANNEL.

    Programme reminders go to `slack.workshop`, falling back to the announcements channel; None when
    nothing is configured (a console run, or a setup still missing its channel)."""
    slack = event.slack if event else None
    chosen = getattr(slack, which) if slack else None
    if which == "workshop" and slack:
        chosen = chosen or slack.announcements
    return chosen or settings.announcements_channel
