"""Jinja2 templates from `prompts/`: organizers edit wording there, never in code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import humanize
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from markupsafe import escape as html_escape

from bot.events.model import AOE
from bot.text.mrkdwn import escape, local_time


def long_date(moment: datetime) -> str:
    """`August 29, 2025`: how the pages write dates."""
    return f"{moment:%B} {moment.day}, {moment.year}"


def relative(moment: datetime, now: datetime) -> str:
    """`in 3 days` / `2 months ago`, from `now`."""
    delta = moment - now
    # Countdowns in days below two months: "in 19 days", never a rounded-up "in a month".
    words = humanize.naturaldelta(abs(delta), months=abs(delta) >= timedelta(days=60))
    return f"in {words}" if delta.total_seconds() >= 0 else f"{words} ago"


def aoe(moment: datetime) -> str:
    """`August 29, 2025 23:59 AoE`: the canonical form of a deadline."""
    local = moment.astimezone(AOE)
    return f"{long_date(local)} {local:%H:%M} AoE"


def slack_date(moment: datetime) -> str:
    """Each Slack reader's local time, with the AoE time where Slack can't render it."""
    return local_time(moment, aoe(moment))


WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def _linked(line: str) -> Markup:
    pieces, last = [], 0
    for found in WEB_ADDRESS.finditer(line):
        pieces += [html_escape(line[last:found.start()]), Markup('<a href="{0}">{0}</a>').format(found.group())]
        last = found.end()
    return Markup("").join([*pieces, html_escape(line[last:])])


def paragraphs(text: str) -> Markup:
    """Plain text (an announcement's body, an answer) as HTML: blank lines part paragraphs, line breaks
    stay, web addresses become links; everything else escaped."""
    blocks = [block for block in re.split(r"\n\s*\n", str(text).strip()) if block.strip()]
    return Markup("\n").join(Markup("<p>{}</p>").format(Markup("<br>\n").join(_linked(line) for line in
                                                                               block.splitlines()))
                              for block in blocks)


@lru_cache(maxsize=8)
def environment(prompts_dir: Path) -> Environment:
    """StrictUndefined: a misspelt variable fails loudly instead of sending a blank."""
    env = Environment(
        loader=FileSystemLoader(str(prompts_dir)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["mrkdwn"] = escape  # Slack templates: what users, pages or an LLM wrote, escaped
    env.filters["quote"] = lambda text: "\n".join(f"> {line}" for line in str(text).splitlines())
    env.filters["aoe"] = aoe
    env.filters["slack_date"] = slack_date
    env.filters["paragraphs"] = paragraphs  # HTML email templates
    env.filters["countdown"] = relative  # `due | countdown(now)`: "in 3 days"
    env.globals["relative"] = relative
    env.globals["local_time"] = local_time
    return env


def render(prompts_dir: Path, name: str, **context: object) -> str:
    return environment(prompts_dir).get_template(name).render(**context).strip()


def describer(prompts_dir: Path) -> Callable[..., str]:
    """Calendar descriptions from `prompts/calendar/<name>.txt.j2`, for bot.events.calendar (which sits
    below the templates)."""
    return lambda name, **context: render(prompts_dir, f"calendar/{name}.txt.j2", **context)
