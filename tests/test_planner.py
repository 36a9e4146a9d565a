"""Reminder planning: exact AoE instants, keys that change with the deadline, nothing in the past."""

import json
import shutil
from datetime import datetime

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge.editions import discover
from bot.scheduler.messages import render_message, sample_messages
from bot.scheduler.planner import plan, upcoming

from .conftest import REPO, make_settings


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def planned(settings, now="2025-08-01T00:00:00Z"):
    return upcoming(plan(discover(settings.knowledge_dir), settings), at(now))


def test_deadline_reminders_fire_at_exact_aoe_instants(settings):
    messages = [m for m in planned(settings) if m.deadline == "submission"]
    assert [(m.offset, m.due.isoformat()) for m in messages] == [
        ("14d", "2025-08-16T11:59:59+00:00"), ("7d", "2025-08-23T11:59:59+00:00"),
        ("3d", "2025-08-27T11:59:59+00:00"), ("1d", "2025-08-29T11:59:59+00:00"),
        ("6h", "2025-08-30T05:59:59+00:00"),
    ]
    assert messages[0].key.startswith("neurips2025:submission:14d:")
    assert not [m for m in planned(settings) if m.deadline == "notification"]  # remind: []


def test_reminders_whose_time_has_passed_are_not_planned(settings):
    assert [m.offset for m in planned(settings, "2025-08-28T00:00:00Z")] == ["1d", "6h"]
    assert planned(settings, "2025-08-30T12:00:00Z") == []


def test_an_extension_replans_under_new_keys(settings):
    before = {m.key: m for m in planned(settings)}
    path = settings.knowledge_dir / "neurips2025" / "event.yaml"
    path.write_text(path.read_text().replace("due: 2025-08-29", "due: 2025-09-05").replace(
        "extended_from: [2025-08-22]", "extended_from: [2025-08-22, 2025-08-29]"))
    after = {m.key: m for m in planned(settings)}
    assert not set(before) & set(after)  # none of the old reminders can be sent
    one_day = next(m for m in after.values() if m.offset == "1d")
    assert one_day.due == at("2025-09-05T11:59:59Z")
    text = render_message(settings.prompts_dir, one_day)
    assert "Extended from August 22, 2025, then from August 29, 2025" in text


def test_the_workshop_day_gets_a_morning_programme_and_session_reminders(settings):
    messages = {m.kind: m for m in sample_messages(settings)}
    assert messages["program_day"].due == at("2030-12-06T08:00:00Z")
    assert messages["session_reminder"].due == at("2030-12-06T08:50:00Z")
    slack = render_message(settings.prompts_dir, messages["session_reminder"])
    assert "*Opening &lt;remarks&gt; &amp; welcome* with A. Author starts in 10 minutes" in slack
    assert "at <!date^1922778000^{date_short_pretty} at {time}|December 5, 2030 21:00 AoE>" in slack
    html = render_message(settings.prompts_dir, messages["deadline_reminder"], "email_html")
    assert "<strong>Paper submission</strong>" in html and "<a href=\"https://example.org/submit\">" in html


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("BOT_DATA_DIR", str(settings.bot_data_dir))
    return lambda *args: CliRunner().invoke(app, list(args))


def test_reminders_json_contract(cli):
    result = cli("reminders", "--json", "--now", "2025-08-28T00:00:00Z")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [list(i) for i in items] == [["key", "due", "edition", "deadline", "offset", "destinations", "text"]] * 2
    assert items[0]["due"] == "2025-08-29T11:59:59Z" and items[0]["deadline"] == "submission"
    assert items[0]["offset"] == "1d" and "is due *in a day*" in items[0]["text"]


def test_a_broken_event_yaml_is_named_and_the_others_still_plan(cli, settings):
    (settings.knowledge_dir / "neurips2023" / "event.yaml").write_text("name: X\ndeadlines:\n  - id: s\n    due: x\n")
    result = cli("reminders", "--json", "--now", "2025-08-28T00:00:00Z")
    assert result.exit_code == 2
    assert "neurips2023/event.yaml, line 3: field 'deadlines.0.title'" in " ".join(result.stderr.split())
    assert len(json.loads(result.stdout)) == 2


def test_templates_check_catches_a_typo_before_a_reminder_is_due(tmp_path, monkeypatch):
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    monkeypatch.setenv("PROMPTS_DIR", str(prompts))
    assert CliRunner().invoke(app, ["templates", "check"]).exit_code == 0
    template = prompts / "messages" / "deadline_reminder.slack.md.j2"
    template.write_text(template.read_text().replace("deadline.title", "deadline.titel"))
    result = CliRunner().invoke(app, ["templates", "check"])
    assert result.exit_code == 2
    assert "messages/deadline_reminder.slack.md.j2" in result.stderr and "titel" in result.stderr
    (prompts / "messages" / "broken.slack.md.j2").write_text("{% if %}")
    assert "broken.slack.md.j2" in CliRunner().invoke(app, ["templates", "check"]).stderr
    session = prompts / "calendar" / "session.txt.j2"  # the feed's and the attachments' wording too
    session.write_text(session.read_text().replace("speakers", "speakerz"))
    assert "calendar: 'speakerz' is undefined" in CliRunner().invoke(app, ["templates", "check"]).stderr


def test_no_knowledge_plans_nothing(tmp_path):
    assert planned(make_settings(tmp_path, tmp_path / "none")) == []
