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
    ("name: X\ntimezone: Mars/Olympus\n", "line 2: field 'timezone': Value error, unknown time zone 'Mars/Olympus'"),
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
