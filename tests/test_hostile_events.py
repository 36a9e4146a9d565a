"""Hostile event.yaml files (tests/hostile/events/): each breaks its own edition only, with an error that
names the file, the field and the line; the other editions keep answering, planning and sending."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.events.model import EventFileError, load_event
from bot.knowledge.editions import Registry
from bot.storage.models import SchedulerState

from .conftest import REPO, make_settings
from .reminder_harness import keys_posted, write_event
from .waiting import wait_until

HOSTILE = Path(__file__).parent / "hostile" / "events"
BROKEN = {  # fixture → what organizers read after "<file>, "
    "feb30.yaml": "line 7: field 'deadlines.0.due': '2025-02-30' is not a real date or time: "
                  "day is out of range for month",
    "month13.yaml": "line 7: field 'deadlines.0.due': '2025-13-01' is not a real date or time: month must be in 1..12",
    "hour25.yaml": "line 7: field 'deadlines.0.due': '2025-08-29T25:00:00Z' is not a real date or time: "
                   "hour must be in 0..23",
    "session_hour25.yaml": "line 6: field 'program.0.start': '2025-12-06T25:00:00' is not a real date or time: "
                           "hour must be in 0..23",
    "year9999.yaml": "line 7: field 'deadlines.0.due': 9999-12-31 is not between the years 1900 and 2999",
    "remind_999999999d.yaml": "line 8: field 'deadlines.0.remind': '999999999d' is more than 366d "
                              "before the deadline",
    "remind_overflow.yaml": "line 8: field 'deadlines.0.remind': '9999999999d' is too long a duration",
    "duplicate_due.yaml": "line 8: not valid YAML: 'due' is given twice (first on line 7)",
    "duplicate_id.yaml": "line 5: field 'deadlines': deadline id 'submission' used more than once",
    "markup_zone.yaml": "line 3: field 'timezone': unknown time zone '[/x] Europe/Paris' (use AoE or an "
                        "IANA name like Europe/Paris)",
}
NOW = "2025-08-28T00:00:00Z"  # neurips2025's submission reminders 1d and 6h are still to come


def flat(text: str) -> str:
    return " ".join(text.split())


def hostile_knowledge(knowledge: Path, *fixtures: str) -> dict[str, Path]:
    """One extra edition per fixture, next to the real ones: {fixture: its event.yaml}."""
    placed = {}
    for fixture in fixtures:
        folder = knowledge / f"hostile-{fixture.removesuffix('.yaml')}"
        folder.mkdir()
        placed[fixture] = shutil.copy(HOSTILE / fixture, folder / "event.yaml")
    return placed


@pytest.mark.parametrize("fixture", sorted(BROKEN))
def test_each_impossible_value_is_named_with_its_file_field_and_line(tmp_path, fixture):
    path = shutil.copy(HOSTILE / fixture, tmp_path / "event.yaml")
    with pytest.raises(EventFileError) as caught:
        load_event(path)
    assert str(caught.value) == f"{path}, {BROKEN[fixture]}"


def test_sessions_with_and_without_an_offset_are_one_clock():
    event = load_event(HOSTILE / "mixed_offsets.yaml")
    starts = sorted(event.program, key=lambda s: s.start)  # naive and aware datetimes never compare
    assert [s.title for s in starts] == ["Opening remarks", "Keynote", "Closing remarks"]
    assert starts[0].start.isoformat() == "2025-12-06T09:00:00-08:00"


def refusal_of_deadlines(tmp_path, count: int, due: str) -> str:
    """The error for an event.yaml of `count` deadlines, all due on `due`."""
    path = tmp_path / "event.yaml"
    path.write_text("name: X\ndeadlines:\n" + "".join(f"  - {{id: d{i}, title: T, due: {due}}}\n"
                                                        for i in range(count)))
    with pytest.raises(EventFileError) as caught:
        load_event(path)
    return str(caught.value)


def test_more_deadlines_than_a_workshop_has_are_refused(tmp_path):
    refusal = refusal_of_deadlines(tmp_path, 101, "2030-01-01")
    assert refusal == (f"{tmp_path / 'event.yaml'}, line 3: field 'deadlines': List should have at most 100 items "
                       "after validation, not 101")


def test_many_problems_are_listed_up_to_ten_and_counted(tmp_path):
    path = tmp_path / "event.yaml"
    lines = refusal_of_deadlines(tmp_path, 25, "2030-02-30").splitlines()
    assert len(lines) == 11 and lines[-1] == f"{path}: … and 15 more problems"
    assert lines[9].startswith(f"{path}, line 12: field 'deadlines.9.due': '2030-02-30' is not a real date")


def test_the_size_limit_is_a_setting(tmp_path, knowledge_copy):
    sizes = {e: (knowledge_copy / e / "event.yaml").stat().st_size for e in ("neurips2025", "neurips2023")}
    small, large = sorted(sizes, key=sizes.get)
    limit = sizes[small]  # the smaller file fits exactly, the larger one does not
    editions = Registry(make_settings(tmp_path / "data", knowledge_copy, event_max_bytes=limit)).editions
    assert editions.get(small).event is not None and editions.get(large).event is None
    assert editions.get(large).event_error == (
        f"{knowledge_copy}/{large}/event.yaml: larger than {limit:,} bytes (EVENT_MAX_BYTES): "
        "an event.yaml holds one edition's facts, not data")


@pytest.fixture
def cli(tmp_path, knowledge_copy, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    return lambda *args: CliRunner().invoke(app, list(args))


def test_reminders_name_every_broken_edition_and_plan_the_others(cli, knowledge_copy):
    placed = hostile_knowledge(knowledge_copy, *BROKEN, "mixed_offsets.yaml")
    result = cli("reminders", "--json", "--now", NOW)
    assert result.exit_code == 2, result.output  # bad input, told: no traceback
    for fixture, path in placed.items():
        if fixture in BROKEN:
            assert f"error: {path}, {BROKEN[fixture]}" in flat(result.stderr)
    items = json.loads(result.stdout)
    assert [i["key"].split(":")[:3] for i in items if i["edition"] == "neurips2025"] == [
        ["neurips2025", "submission", "1d"], ["neurips2025", "submission", "6h"]]
    sessions = [i["key"].split(":")[2] for i in items if i["edition"] == "hostile-mixed_offsets"
                and ":session:" in i["key"]]
    assert sessions == ["opening-remarks", "keynote", "closing-remarks"]
    assert {i["edition"] for i in items} == {"neurips2025", "hostile-mixed_offsets"}


def test_an_oversized_event_yaml_is_refused_by_its_size(cli, knowledge_copy):
    folder = knowledge_copy / "hostile-huge"
    folder.mkdir()
    deadlines = "".join(f"  - {{id: d{i}, title: Deadline {i}, due: 2030-01-01}}\n" for i in range(153_000))
    (folder / "event.yaml").write_text(f"name: Huge\ndeadlines:\n{deadlines}")
    assert (folder / "event.yaml").stat().st_size > 7_000_000
    result = cli("reminders", "--json", "--now", NOW)
    assert result.exit_code == 2
    assert (f"error: {folder}/event.yaml: larger than 262,144 bytes (EVENT_MAX_BYTES): an event.yaml holds one "
            "edition's facts, not data") in flat(result.stderr)
    assert {i["edition"] for i in json.loads(result.stdout)} == {"neurips2025"}


@pytest.mark.slow  # a subprocess
def test_nesting_that_would_crash_libyaml_is_refused(knowledge_copy, tmp_path):
    """50,000 nested brackets overflow libyaml's C stack (a segfault, no message at all): run in a child."""
    folder = knowledge_copy / "hostile-deep"
    folder.mkdir()
    (folder / "event.yaml").write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    env = {**os.environ, "KNOWLEDGE_DIR": str(knowledge_copy), "BOT_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "400"}
    result = subprocess.run([sys.executable, "-m", "bot", "reminders", "--json", "--now", NOW], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2, result.stderr
    assert f"error: {folder}/event.yaml, line 1: not valid YAML: nested more than 20 levels deep" in flat(result.stderr)
    assert {i["edition"] for i in json.loads(result.stdout)} == {"neurips2025"}


def test_ingest_and_ask_carry_on_past_broken_editions(cli, knowledge_copy):
    placed = hostile_knowledge(knowledge_copy, *BROKEN)
    result = cli("ingest")
    assert result.exit_code == 2, result.output  # the broken files are reported, the pages are indexed
    for fixture, path in placed.items():
        assert f"error: {path}: {BROKEN[fixture]}" in flat(result.stderr)
    answer = cli("ask", "--json", "--now", "2025-08-25T00:00:00Z", "When is the submission deadline?")
    assert answer.exit_code == 0, answer.output
    reply = json.loads(answer.stdout)
    assert reply["answered"] and reply["edition"] == "neurips2025" and "August 29, 2025" in reply["answer"]


@pytest.mark.slow  # `serve` in a subprocess
def test_serve_starts_and_answers_past_broken_editions(knowledge_copy, tmp_path):
    placed = hostile_knowledge(knowledge_copy, *BROKEN)
    env = {**os.environ, "KNOWLEDGE_DIR": str(knowledge_copy), "BOT_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "400"}
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], input="Do submissions need to be anonymized?\n"
                            "quit\n", cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "do not have to be anonymized" in " ".join(result.stdout.replace("│", " ").split())
    for fixture, path in placed.items():  # the reminder service says which edition keeps its old plan
        assert f"{path}, {BROKEN[fixture]}; its reminders stay as they were" in flat(result.stderr)


@pytest.mark.parametrize("fixture", ["year9999.yaml", "remind_999999999d.yaml", "feb30.yaml"])
def test_a_running_bot_keeps_replanning_and_sending_the_other_editions(service, slack_emulator, caplog, fixture):
    reminders = service()
    broken = shutil.copy(HOSTILE / fixture, service.knowledge / "neurips2023" / "event.yaml")
    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=1), ["2s"])  # planned after the break
    [timer] = wait_until(lambda: reminders.scheduler.get_jobs(jobstore="default"), 60, what="the new edition planned")
    reminders.fire(timer.id)  # as its timer would, an hour early: sent before it returns
    service.stop_all()
    [key] = keys_posted(slack_emulator)
    assert key.startswith("test2030:submission:2s:")
    assert f"{broken}, {BROKEN[fixture]}; its reminders stay as they were" in caplog.text


def test_what_fell_due_while_down_is_sent_or_recorded_missed_despite_a_broken_edition(service, slack_emulator):
    now = datetime.now(UTC)
    shutil.copy(HOSTILE / "remind_999999999d.yaml", service.knowledge / "neurips2023" / "event.yaml")
    write_event(service.knowledge, now + timedelta(minutes=5), ["95m", "15m"])  # due 90 and 10 minutes ago
    with service.db.session() as s:
        s.add(SchedulerState(name="reminders", heartbeat_at=now - timedelta(hours=2)))
    reminders = service()  # starting settles what fell due before it returns
    statuses = {row.key.split(":")[2]: row.status for row in reminders.outbox.with_status("sent", "missed")}
    assert statuses == {"95m": "missed", "15m": "sent"}
    assert [k.split(":")[2] for k in keys_posted(slack_emulator)] == ["15m"]
