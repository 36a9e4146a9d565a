"""Facts read from real sites' pages: the workshop day, venue and room, deadlines with their history,
the programme as rows of time and event; disagreements between pages reported; event.yaml wins."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.events.model import Event, load_event
from bot.knowledge.derive import EditionFacts, contradictions, derive, texts_of
from bot.knowledge.facts import with_event
from bot.knowledge.pages import Page, read_page
from bot.knowledge.publication import publication_of
from bot.knowledge.site import edition_folders

from .conftest import KNOWLEDGE, MLFORSYSTEMS, SYSML, VERIFAI, copy_tree, make_settings

def edition_pages(root: Path, edition: str, settings) -> list[Page]:
    folder = next(f for f in edition_folders(root) if f.id == edition)
    publication = publication_of(folder, settings)
    return [read_page(path, folder, settings, publication) for path in folder.pages]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("facts"))


@pytest.fixture(scope="module")
def facts_of(settings):
    """`facts_of(site, edition)`: what the edition's pages state, derived once per edition."""
    cache: dict[tuple[Path, str], EditionFacts] = {}

    def derived(root: Path, edition: str) -> EditionFacts:
        if (root, edition) not in cache:
            cache[root, edition] = derive(edition, texts_of(edition_pages(root, edition, settings)))
        return cache[root, edition]

    return derived


def row_at(facts: EditionFacts, start: time):
    return next(item for item in facts.programme if item.start == start)


def test_neurips2023_day_venue_and_room_come_from_the_masthead(facts_of):
    """The layout's masthead "…, December 16, New Orleans Convention Center, 9:00AM-5:00PM, Room 211-213"."""
    facts = facts_of(MLFORSYSTEMS, "neurips2023")
    assert facts.date.value == date(2023, 12, 16)
    assert facts.venue.value == "New Orleans Convention Center"
    assert facts.room.value == "Room 211-213"
    assert facts.contact.value == "mlforsystems@googlegroups.com"


def test_neurips2023_submission_deadline_was_extended(facts_of):
    """"October 6th, 2023 (struck: September 29th) by midnight Anywhere in the World"."""
    deadline = next(d for d in facts_of(MLFORSYSTEMS, "neurips2023").deadlines if d.id == "submission")
    assert deadline.due == date(2023, 10, 6)
    assert deadline.previous == [date(2023, 9, 29)]
    assert (deadline.at, deadline.zone) == (time(23, 59), "AoE")
    assert deadline.stated.source == "call_for_papers.md"


def test_neurips2023_programme_runs_forward_through_the_lunch_typo(facts_of):
    """18 rows; "12:30AM Lunch" between 11:30 AM and 1:30 PM is read as half past noon."""
    facts = facts_of(MLFORSYSTEMS, "neurips2023")
    assert len(facts.programme) == 18
    starts = [item.start for item in facts.programme]
    assert starts == sorted(starts)
    lunch = next(item for item in facts.programme if item.text == "Lunch")
    assert (lunch.start, lunch.end, lunch.kind, lunch.row) == (time(12, 30), time(13, 30), "lunch", "12:30AM: Lunch")
    talk = row_at(facts, time(13, 30))
    assert talk.row == "1:30 PM: Invited Speaker: Atlas Wang, UT Austin" and talk.speakers == ["Atlas Wang"]
    assert row_at(facts, time(9, 5)).speakers == ["William Dally"]


def test_a_time_range_takes_am_or_pm_from_its_end(facts_of):
    """isca2019's "2:00-2:30 PM" starts at 14:00, and "12:20-2:00 PM" lunch ends at 14:00."""
    facts = facts_of(MLFORSYSTEMS, "isca2019")
    row = row_at(facts, time(14, 0))
    assert row.row.startswith("2:00-2:30 PM: Teaching an Old Cache New Tricks")
    assert row.end == time(14, 30) and row.speakers == ["Nathan Beckmann"]
    lunch = next(item for item in facts.programme if item.kind == "lunch")
    assert (lunch.start, lunch.end) == (time(12, 20), time(14, 0))
    assert facts.date.value == date(2019, 6, 23) and facts.room.value == "Room 101A"


def test_a_speaker_with_initials_is_named_not_their_university(facts_of):
    """A row's speaker is the person after the role, initials and all, never their affiliation."""
    row = row_at(facts_of(MLFORSYSTEMS, "isca2019"), time(10, 30))
    assert "H.T. Kung" in row.row
    assert row.speakers == ["H.T. Kung"]


def test_verifai_deadline_venue_room_and_programme_zone(facts_of):
    """`~~February 3, 2025~~ February 7, 2025`; "Location: Garnet 218-219, Singapore EXPO";
    "(All times are in Singapore Time)"."""
    facts = facts_of(VERIFAI, "iclr2025")
    deadline = next(d for d in facts.deadlines if d.id == "submission")
    assert (deadline.due, deadline.previous) == (date(2025, 2, 7), [date(2025, 2, 3)])
    assert deadline.title == "Deadline for paper submission"
    assert facts.venue.value == "Singapore EXPO" and facts.room.value == "Garnet 218-219"
    assert facts.room.stated.line == "Location: Garnet 218-219, Singapore EXPO"
    assert facts.date.value == date(2025, 4, 27)
    assert facts.programme_zone.value == "Singapore Time"
    assert len(facts.programme) == 17 and row_at(facts, time(9, 0)).speakers == ["Kevin Ellis"]


def test_built_site_deadlines_are_aoe_and_the_venue_has_its_room(facts_of):
    """"All deadlines are 23:59 Anywhere on Earth (AoE)" applies to every dated line of the list."""
    facts = facts_of(SYSML, "mlsys2026")
    assert {d.id: (d.due, d.zone) for d in facts.deadlines} == {
        "submission": (date(2026, 3, 6), "AoE"),
        "notification": (date(2026, 4, 3), "AoE"),
        "camera-ready": (date(2026, 4, 24), "AoE"),
    }
    assert next(d for d in facts.deadlines if d.id == "submission").previous == [date(2026, 2, 27)]
    assert facts.date.value == date(2026, 5, 22)
    assert "Seattle Convention Center" in facts.venue.value
    assert facts.room.value == "Room 447"
    assert len(facts.programme) == 14 and facts.programme[1].start == time(9, 15)
    # The stale countdown and map label in the page's script are never facts.
    assert "612" not in facts.room.value and all(d.due != date(2026, 2, 27) for d in facts.deadlines)


def test_panel_speakers_are_the_panelists_not_words_of_its_title(facts_of):
    """A panel row's speakers are its moderator and panelists, not the capitalised words of its title."""
    panel = next(item for item in facts_of(SYSML, "mlsys2026").programme if item.kind == "panel")
    assert "Edge Ever Train" not in panel.speakers
    assert {"Daniel Cho", "Kenji Morimoto", "Shreya Balakrishnan"} <= set(panel.speakers)


@pytest.mark.parametrize("root, edition", [
    (MLFORSYSTEMS, "neurips2023"), (MLFORSYSTEMS, "neurips2018"), (MLFORSYSTEMS, "neurips2020"),
    (MLFORSYSTEMS, "neurips2021"), (MLFORSYSTEMS, "isca2019"), (VERIFAI, "iclr2025"), (SYSML, "mlsys2026"),
])
def test_the_real_sites_do_not_contradict_themselves(settings, root, edition):
    """Consistent real editions raise no false alarms for their organizers."""
    assert contradictions(edition, edition_pages(root, edition, settings)) == []


def test_pages_stating_different_workshop_days_are_reported(tmp_path, settings):
    """One page's masthead copied with a wrong day: the organizers are told which pages disagree."""
    site = copy_tree(MLFORSYSTEMS, tmp_path / "site")
    index = site / "neurips2021" / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("December 13th", "December 14th"), encoding="utf-8")
    found = contradictions("neurips2021", edition_pages(site, "neurips2021", settings))
    assert found and all(c.startswith("edition 'neurips2021': neurips2021/") for c in found)
    assert any("the workshop is on" in c and "December 14, 2021" in c and "December 13, 2021" in c
               and "index.md" in c and "call_for_papers.md" in c for c in found)


def write_edition(knowledge: Path, pages: dict[str, str]) -> None:
    for name, html in pages.items():
        path = knowledge / "neurips2030" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")


def test_a_deadline_with_two_dates_is_reported(tmp_path, settings):
    """Two pages giving one deadline different dates: both pages and both dates are named."""
    knowledge = tmp_path / "knowledge"
    write_edition(knowledge, {
        "call_for_papers.html": "<h2>Call for Papers</h2><p>We invite short papers.</p><h2>Important Dates</h2>"
                                "<ul><li>Submission deadline: August 29, 2030</li><li>Workshop: December 14, 2030"
                                "</li></ul>",
        "index.html": "<h2>About</h2><p>A workshop on ML for systems.</p><h2>Dates</h2>"
                      "<ul><li>Submission deadline: September 5, 2030</li></ul>",
    })
    found = contradictions("neurips2030", edition_pages(knowledge, "neurips2030", settings))
    assert found == ["edition 'neurips2030': neurips2030/index.html: 'Submission deadline' is September 05, 2030 "
                     "but neurips2030/call_for_papers.html says August 29, 2030"]


def test_a_page_opening_with_its_dates_does_not_make_a_deadline_the_workshop_day(tmp_path, settings):
    """A page that starts with its Important Dates states deadlines, not the workshop day."""
    knowledge = tmp_path / "knowledge"
    write_edition(knowledge, {
        "call_for_papers.html": "<h2>Important Dates</h2><ul><li>Submission deadline: August 29, 2030</li>"
                                "<li>Notification: September 30, 2030</li></ul><h2>Venue</h2><p>Room 5AB</p>",
    })
    pages = edition_pages(knowledge, "neurips2030", settings)
    facts = derive("neurips2030", texts_of(pages))
    assert [(d.id, d.due) for d in facts.deadlines] == [
        ("submission", date(2030, 8, 29)), ("notification", date(2030, 9, 30))]
    assert facts.date is None  # the pages never say when the workshop is
    assert contradictions("neurips2030", pages) == []


def test_event_yaml_wins_field_by_field(facts_of):
    """event.yaml's venue and deadlines replace the pages'; what it leaves out (the day, the room, the
    programme) still comes from the pages."""
    pages = facts_of(MLFORSYSTEMS, "neurips2023")
    event = load_event(KNOWLEDGE / "neurips2023" / "event.yaml")  # venue "New Orleans", no date, no program
    assert event.venue == "New Orleans" and event.date is None and event.program == []
    merged = with_event(pages, event, "neurips2023/event.yaml")
    assert merged.venue.value == "New Orleans" and merged.venue.stated.source == "neurips2023/event.yaml"
    assert merged.room.value == "Room 211-213" and merged.room.stated.source == "index.md"
    assert merged.date.value == date(2023, 12, 16)
    assert merged.programme == pages.programme and len(merged.programme) == 18
    assert [d.id for d in merged.deadlines] == ["submission", "notification", "competition"]
    assert pages.venue.value == "New Orleans Convention Center"  # the pages' facts are left as they were


def test_event_yaml_programme_and_a_venue_naming_the_room_replace_the_pages(facts_of):
    """A programme in event.yaml replaces the pages' rows; a venue that names the room leaves no second room."""
    pages = facts_of(MLFORSYSTEMS, "neurips2023")
    event = Event.model_validate({
        "name": "ML for Systems Workshop at NeurIPS 2023", "venue": "New Orleans Convention Center, Room 211-213",
        "program": [{"title": "Keynote", "speakers": ["Chris Lattner"], "start": "2023-12-16T10:00:00-06:00"}],
    })
    merged = with_event(pages, event, "neurips2023/event.yaml")
    assert [(item.start, item.text, item.speakers) for item in merged.programme] == [
        (time(10, 0), "Keynote: Chris Lattner", ["Chris Lattner"])]
    assert merged.venue.value == "New Orleans Convention Center, Room 211-213" and merged.room is None
    assert merged.date.value == date(2023, 12, 16) and merged.date.stated.source == "index.md"
    assert len(pages.programme) == 18


@pytest.mark.parametrize(("home", "venue"), [
    # A masthead as a layout table's cell: the place right before the day, not the event it is held with.
    ('<table><tr><td><div>The Fifteenth International Workshop on<br>Accelerators (AsHES)</div>'
     '<div>To be held in conjunction with<br>39th IEEE International Symposium<br>Milan, Italy<br>June 3rd, 2030'
     '</div></td></tr></table><h2>About</h2><p>A workshop.</p>', "Milan, Italy"),
    # The day first, the place under it, then the event it is held with.
    ("<div><b>October 13, 2030<br>Seoul, Republic of Korea<br></b>In conjunction with the<br>"
     "<a href='https://sosp.org'>31st ACM Symposium on Operating Systems Principles</a></div>"
     "<h2>About</h2><p>A workshop.</p>", "Seoul, Republic of Korea"),
    # The sentence that says when the workshop is held says where.
    ("<h2>About</h2><p>We will host a workshop on Causal Learning at NeurIPS 2030, in New Orleans, and held on "
     "December 15th, 2030.</p>", "New Orleans"),
    ("<h2>About</h2><p>The workshop takes place on December 15, 2030 in Rio de Janeiro, Brazil.</p>",
     "Rio de Janeiro, Brazil"),
])
def test_the_venue_where_the_pages_say_the_workshop_is_held(tmp_path, settings, home, venue):
    knowledge = tmp_path / "knowledge"
    write_edition(knowledge, {"index.html": home})
    facts = derive("neurips2030", texts_of(edition_pages(knowledge, "neurips2030", settings)), 2030)
    assert facts.venue is not None and facts.venue.value == venue
    assert facts.date is not None and facts.date.value.year == 2030


SLOTS = [("09:00 - 09:30", "Opening remarks"), ("09:30 - 10:30", "Keynote: Jane Doe"),
         ("10:30 - 11:00", "Coffee break"), ("11:00 - 12:00", "Poster session")]
ONE_DAY = [(time(9, 0), "Opening remarks"), (time(9, 30), "Keynote: Jane Doe"), (time(10, 30), "Coffee break"),
           (time(11, 0), "Poster session")]


@pytest.mark.parametrize("schedule", [
    "<table>" + "".join(f"<tr><td>{t}</td><td>{x}</td></tr>" for t, x in SLOTS) + "</table>",
    "<dl>" + "".join(f"<dt>{t}</dt><dd>{x}</dd>" for t, x in SLOTS) + "</dl>",
    "<h3>Morning</h3><ul>" + "".join(f"<li>{t} {x}</li>" for t, x in SLOTS) + "</ul>",
    # One paragraph per slot: a bold time, a line break, the talk.
    "".join(f"<p><strong>{t}</strong><br/>{x}</p>" for t, x in SLOTS),
    # Cards: the time in the card's header, the talk as the card's title, a description under it.
    "".join(f'<div class="card"><div class="card-header">{t}</div><div class="card-body">'
            f'<h5 class="card-title">{x}</h5><p>Room 2</p></div></div>' for t, x in SLOTS),
], ids=["table", "definition list", "heading and list", "paragraph per slot", "cards"])
def test_a_programme_is_read_in_every_common_layout(tmp_path, settings, schedule):
    knowledge = tmp_path / "knowledge"
    write_edition(knowledge, {"index.html": "<h2>About</h2><p>The workshop is held on December 12, 2030.</p>"
                                            f"<h2>Schedule</h2>{schedule}"})
    facts = derive("neurips2030", texts_of(edition_pages(knowledge, "neurips2030", settings)), 2030)
    assert [(row.start, row.text) for row in facts.programme] == ONE_DAY
    assert facts.programme[0].end == time(9, 30) and facts.programme[0].day is None


@pytest.mark.parametrize("schedule", [
    # A heading per day, a table under each.
    "<h3>Day 1: December 12</h3><table><tr><td>09:00</td><td>Opening remarks</td></tr><tr><td>09:30</td>"
    "<td>Keynote: Jane Doe</td></tr></table><h3>Day 2: December 13</h3><table><tr><td>09:00</td>"
    "<td>Keynote: John Roe</td></tr><tr><td>09:30</td><td>Poster session</td></tr></table>",
    # A timetable with a column per day; a break spans both.
    "<table><tr><th>Time</th><th>Day 1: December 12</th><th>Day 2: December 13</th></tr>"
    "<tr><td>09:00</td><td>Opening remarks</td><td>Keynote: John Roe</td></tr>"
    "<tr><td>09:30</td><td>Keynote: Jane Doe</td><td>Poster session</td></tr>"
    "<tr><td>10:30</td><td colspan='2'>Coffee break</td></tr></table>",
], ids=["heading per day", "column per day"])
def test_a_programme_over_several_days_keeps_each_row_on_its_day(tmp_path, settings, schedule):
    knowledge = tmp_path / "knowledge"
    write_edition(knowledge, {"index.html": f"<h2>Schedule</h2>{schedule}"})
    facts = derive("neurips2030", texts_of(edition_pages(knowledge, "neurips2030", settings)), 2030)
    rows = {(row.on, row.start, row.text) for row in facts.programme}
    assert {(date(2030, 12, 12), time(9, 0), "Opening remarks"), (date(2030, 12, 12), time(9, 30), "Keynote: Jane Doe"),
            (date(2030, 12, 13), time(9, 0), "Keynote: John Roe"),
            (date(2030, 12, 13), time(9, 30), "Poster session")} <= rows
    assert all("John Roe" not in row.text for row in facts.programme if row.on == date(2030, 12, 12))
    if "colspan" in schedule:
        assert {(day, time(10, 30), "Coffee break") for day in (date(2030, 12, 12), date(2030, 12, 13))} <= rows
