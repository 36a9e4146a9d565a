"""event.yaml: AoE arithmetic is exact, and a broken file names the file, the field and the line."""

from datetime import UTC, datetime

import pytest

from bot.events.model import EventFileError, load_event, utc

from .conftest import KNOWLEDGE


def test_a_date_means_the_end_of_that_day_anywhere_on_earth():
    event = load_event(KNOWLEDGE / "neurips2025" / "event.yaml")
    submission = event.deadlines[0]
    assert utc(event.due(submission)) == datetime(2025, 8, 30, 11, 59, 59, tzinfo=UTC)
    assert [utc(d).date().isoformat() for d in event.previous_dues(submission)] == ["2025-08-23"]


def test_an_iso_datetime_keeps_its_own_offset(tmp_path):
    path = tmp_path / "event.yaml"
    path.write_text("name: X\ndeadlines:\n  - {id: talk, title: Talk, due: 2025-12-06T09:00:00-08:00}\n")
    event = load_event(path)
    assert utc(event.due(event.deadlines[0])) == datetime(2025, 12, 6, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("body, expected", [
    ("name: X\ntimezone: Mars/Olympus\n", "line 2: field 'timezone': unknown time zone 'Mars/Olympus'"),
    ("name: X\ndeadlines:\n  - id: submission\n    title: S\n    due: someday\n", "line 5: field 'deadlines.0.due'"),
    ("name: X\ndeadlines:\n  - id: s\n    title: S\n    due: 2025-08-29\n    remind: [3 days]\n",
     "line 6: field 'deadlines.0.remind'"),
    ("venue: Somewhere\n", "field 'name': Field required"),
    ("name: X\nvenu: typo\n", "line 2: field 'venu': Extra inputs are not permitted"),
    ("name: [unclosed\n", "line 1: not valid YAML"),
])
def test_errors_name_the_file_field_and_line(tmp_path, body, expected):
    path = tmp_path / "event.yaml"
    path.write_text(body)
    with pytest.raises(EventFileError) as caught:
        load_event(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize("body, expected", [
    # The hour the clocks skip in New York on 2025-03-09, and the one they repeat on 2025-11-02.
    ("name: X\ntimezone: America/New_York\nprogram:\n  - title: Talk\n    start: 2025-03-09T02:30:00\n",
     "line 5: field 'program.0.start': 2025-03-09 02:30 does not exist in America/New_York: the clocks skip that "
     "hour; write the time the clocks show then, with its offset (2025-03-09T03:30-04:00)"),
    ("name: X\ntimezone: America/New_York\ndeadlines:\n  - id: s\n    title: S\n    due: 2025-11-02T01:30:00\n",
     "line 6: field 'deadlines.0.due': 2025-11-02 01:30 happens twice in America/New_York: the clocks go back "
     "over that hour; give its offset (2025-11-02T01:30-04:00 or 2025-11-02T01:30-05:00)"),
    ("name: X\nprogram:\n  - title: Talk\n    start: 2025-05-01T10:00:00+23:59\n",
     "line 4: field 'program.0.start': 2025-05-01T10:00:00+23:59: no place on Earth is more than 14 hours from UTC"),
    ("name: X\nprogram:\n  - title: Talk\n    start: 2025-05-01T10:00:00\n    end: 2025-05-01T09:30:00\n",
     "line 5: field 'program.0.end': 2025-05-01T09:30-12:00 is not after the start, 2025-05-01T10:00-12:00"),
], ids=["spring forward", "fall back", "offset beyond 14 hours", "end before start"])
def test_a_calendar_time_names_one_instant_and_a_session_ends_after_it_starts(tmp_path, body, expected):
    path = tmp_path / "event.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    assert str(refused.value) == f"{path}, {expected}"


def test_a_time_in_a_zone_without_daylight_saving_is_always_one_instant(tmp_path):
    path = tmp_path / "event.yaml"
    path.write_text("name: X\ntimezone: Asia/Kolkata\nprogram:\n  - {title: Talk, start: 2025-03-09T02:30:00}\n")
    assert utc(load_event(path).program[0].start) == datetime(2025, 3, 8, 21, 0, tzinfo=UTC)
