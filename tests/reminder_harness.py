"""Reminder-service fixtures: real APScheduler job store and database, deliveries to the Slack emulator."""

from datetime import UTC, datetime

import pytest

from bot.deliveries.email import EmailDelivery
from bot.deliveries import Medium
from bot.runtime import Runtime
from bot.scheduler.service import ReminderService
from bot.slack.client import slack_delivery
from bot.storage.db import Database

from .conftest import make_settings
from .slack_emulator import BOT_TOKEN

CHANNEL, ORGANIZERS = "CANN", "CORG"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_event(knowledge, due: datetime, remind: list[str], channel: str = CHANNEL, email: bool = False) -> None:
    folder = knowledge / "test2030"
    folder.mkdir(exist_ok=True)
    (folder / "event.yaml").write_text(
        f"name: Test Workshop 2030\nslack: {{announcements: {channel}}}\ndeadlines:\n"
        f"  - id: submission\n    title: Paper submission\n    due: {iso(due)}\n    remind: [{', '.join(remind)}]\n"
        f"    email: {'true' if email else 'false'}\n")


@pytest.fixture
def service_database_url() -> str | None:
    """The service's DATABASE_URL: SQLite in its data folder, unless a module overrides this with `database_url`
    (then its tests run on PostgreSQL too)."""
    return None


@pytest.fixture
def service(tmp_path, knowledge_copy, slack_emulator, service_database_url):
    settings = make_settings(tmp_path / "data", knowledge_copy, slack_bot_token=BOT_TOKEN,
                             slack_api_url=slack_emulator.url, organizers_channel=ORGANIZERS, reload_interval=0.3,
                             database_url=service_database_url)
    db = Database.from_settings(settings)
    services = []

    def start(email: bool = False, **overrides) -> ReminderService:
        for key, value in overrides.items():
            setattr(settings, key, value)
        deliveries = {Medium.SLACK: slack_delivery(settings)}
        if email:  # no SMTP_HOST here: mail is written as .eml files
            deliveries[Medium.EMAIL] = EmailDelivery(settings)
        reminders = Runtime(settings, deliveries=deliveries, send_attempts=2).reminders
        reminders.start()
        services.append(reminders)
        return reminders

    def stop_all() -> None:
        while services:
            services.pop().stop()

    start.db, start.settings, start.knowledge, start.stop_all = db, settings, knowledge_copy, stop_all
    yield start
    stop_all()


def keys_posted(emulator, channel=CHANNEL) -> list[str]:
    return [c.body["metadata"]["event_payload"]["key"] for c in emulator.of("chat.postMessage")
            if c.body.get("channel") == channel]
