"""Messages rendered from `prompts/messages/<kind>.<variant>.j2`: organizers edit wording, not code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from jinja2 import TemplateError, meta

from bot.config import Settings
from bot.deliveries import Destination, Medium
from bot.deliveries.attachments import Attachment
from bot.events.calendar import calendar
from bot.events.model import Deadline, Event, Session
from bot.knowledge.editions import Edition, Editions
from bot.outbox.calendar import deadline_attachment
from bot.outbox.render import render as render_body
from bot.scheduler.planner import PlannedMessage, plan
from bot.templates import describer, environment, render

VARIANTS = {"slack": "slack.md.j2", "email_text": "email.txt.j2", "email_html": "email.html.j2",
            "email_subject": "email.subject.txt.j2"}


def template_name(kind: str, variant: str) -> str:
    return f"messages/{kind}.{VARIANTS[variant]}"


def render_message(prompts_dir: Path, message: PlannedMessage, variant: str = "slack") -> str:
    """The message as sent at its due time (`now` in the template is the moment it goes out)."""
    return render(prompts_dir, template_name(message.kind, variant), now=message.due, **message.context)


def render_for(prompts_dir: Path, message: PlannedMessage, destination: Destination) -> str:
    """The outbox body of `message` for `destination`: Slack mrkdwn, or the email's three parts (and, for
    a deadline, its calendar event)."""
    attachments = calendar_of(prompts_dir, message) if destination.medium == Medium.EMAIL else []
    return render_body(prompts_dir, f"messages/{message.kind}", destination, attachments=attachments,
                       now=message.due, **message.context)


def calendar_of(prompts_dir: Path, message: PlannedMessage) -> list[Attachment]:
    """A deadline reminder's event, stamped with the reminder's time: rendering it again gives the same body."""
    event = message.origin.event if message.origin else None
    deadline = next((d for d in event.deadlines if d.id == message.deadline), None) if event else None
    if message.origin is None or deadline is None:
        return []
    return [deadline_attachment(prompts_dir, message.origin, deadline, message.due)]


def sample_edition() -> Edition:
    """A made-up edition with an extended deadline and a programme."""
    event = Event(
        name="Sample Workshop 2030", contact="organizers@example.org", venue="Room 1",
        deadlines=[Deadline(id="submission", title="Paper submission", due=date(2030, 8, 29),
                            extended_from=[date(2030, 8, 22)], url="https://example.org/submit", email=True)],
        program=[Session(title="Opening <remarks> & welcome", speakers=["A. Author"], room="Hall A",
                         start=datetime(2030, 12, 6, 9, 0, tzinfo=UTC))],
    )
    return Edition(id="sample2030", path=Path("sample2030"), event=event, year=2030)


def sample_messages(settings: Settings) -> list[PlannedMessage]:
    """One message of every kind, from the sample edition."""
    messages = plan(Editions([sample_edition()]), settings)
    return list({m.kind: m for m in messages}.values())


def check_templates(settings: Settings) -> list[str]:
    """Every template compiles, and every message template renders with sample data."""
    env = environment(settings.prompts_dir)
    problems, broken = [], set()
    for path in sorted(settings.prompts_dir.rglob("*.j2")):
        name = path.relative_to(settings.prompts_dir).as_posix()
        try:
            env.get_template(name)
        except TemplateError as error:
            problems.append(f"{name}: {error}")
            broken.add(path)  # reported once: not rendered below
    samples = {m.kind: m for m in sample_messages(settings)}
    for path in sorted((settings.prompts_dir / "messages").glob("*.j2")):
        kind = path.name.split(".")[0]
        variant = next((v for v, suffix in VARIANTS.items() if path.name == f"{kind}.{suffix}"), None)
        if path in broken:
            continue
        if kind not in samples or variant is None:
            suffixes = ", ".join(f".{suffix}" for suffix in VARIANTS.values())
            problems.append(f"messages/{path.name}: unknown message kind or variant (expected <kind> one of "
                            f"{sorted(samples)} with {suffixes})")
            continue
        try:
            if not render_message(settings.prompts_dir, samples[kind], variant).strip():
                problems.append(f"messages/{path.name}: renders to nothing")
        except TemplateError as error:
            problems.append(f"messages/{path.name}: {error}")
    try:  # the feed's and the attachments' descriptions
        if not any(path.parent.name == "calendar" for path in broken):
            calendar([sample_edition()], datetime.now(UTC), describer(settings.prompts_dir))
    except TemplateError as error:
        problems.append(f"calendar: {error}")
    for path in sorted((settings.prompts_dir / "announcements").glob("*.j2")):
        if path in broken:
            continue
        name = f"announcements/{path.name}"
        try:  # every variable an organizer passes with --var, filled with a sample value
            names = meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8")))
            render(settings.prompts_dir, name, **{n: f"<{n}>" for n in names})
        except TemplateError as error:
            problems.append(f"{name}: {error}")
    return problems
