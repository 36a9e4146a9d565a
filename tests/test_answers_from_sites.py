"""Answers on a workshop site the assistant was not tuned on: a built, minified site of another workshop.

Each answer must carry its fact (the time with its row, the room, the authors), say that programme
times are the venue's, and decline what the pages do not say.
"""

from datetime import UTC, datetime

import pytest

from tests.eval.harness import Corpus
from tests.eval.setup import corpus_assistant

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(scope="module")
def sysml(corpus_assistants):
    return corpus_assistants("sysml-built")


def ask(assistant, question: str):
    return assistant.ask(question, now=NOW)


def test_a_speakers_time_comes_with_their_row_and_the_venues_zone(sysml):
    answer = ask(sysml, "What time is Rebecca Lindqvist's keynote?")
    assert "13:45: Keynote 2" in answer.text and "Rebecca Lindqvist (Arm)" in answer.text
    assert "venue's local time" in answer.text and "PDT" in answer.text
    assert answer.sources[0].path == "program/index.html"


def test_a_name_spelt_as_on_the_speakers_page_finds_the_programmes_spelling(sysml):
    assert "09:15: Keynote 1" in ask(sysml, "When does Tomasz Wieczorek speak?").text  # "Wiezorek" on the programme


@pytest.mark.parametrize("question, row", [
    ("Who speaks after lunch?", "13:45: Keynote 2"),
    ("What is on at 2:30 pm?", "14:30: Panel"),
])
def test_programme_questions_by_neighbour_and_by_time(sysml, question, row):
    assert row in ask(sysml, question).text


def test_the_room_is_given_with_the_venue(sysml):
    assert "Room 447, Seattle Convention Center" in ask(sysml, "Which room is the workshop in?").text


def test_a_topic_is_answered_from_the_calls_list(sysml):
    answer = ask(sysml, "Is federated learning a topic?")
    assert "Federated, split and collaborative learning across devices" in answer.text


def test_a_papers_authors_come_with_its_title(sysml):
    assert "Jun Park, Elena Rossi, Tomas Ibarra" in ask(sysml, "Who wrote the MicroFlash paper?").text


def test_the_keynote_speakers_are_the_keynotes_of_the_speakers_list(sysml):
    text = ask(sysml, "Who are the keynote speakers?").text
    assert "Tomasz Wieczorek" in text and "Rebecca Lindqvist" in text and "Kenji Morimoto" not in text


def test_an_affiliation_is_answered_only_from_a_line_that_gives_it(sysml):
    assert "Carnegie Mellon University" in ask(sysml, "Which university is Shreya Balakrishnan at?").text


def test_a_message_asking_two_things_gets_both_answers(sysml):
    answer = ask(sysml, "When is the paper deadline, and where do I submit?")
    assert "March 6, 2026 (extended from February 27, 2026)" in answer.text and "OpenReview" in answer.text
    assert {s.path for s in answer.sources} == {"cfp/index.html"}


def test_a_part_the_pages_do_not_answer_is_said_plainly(sysml):
    answer = ask(sysml, "When is the paper deadline? And is there a registration fee?")
    assert "March 6, 2026" in answer.text
    assert "The pages don't say “And is there a registration fee?”" in answer.text


@pytest.mark.parametrize("question", ["Is there a registration fee?", "What size should my poster be?",
                                      "Which paper won the best paper award?"])
def test_what_the_pages_do_not_say_is_declined(sysml, question):
    answer = ask(sysml, question)
    assert not answer.answered and "sysmledge2026-chairs@googlegroups.com" in answer.text


@pytest.fixture(scope="module")
def mlforsystems(corpus_assistants):
    return corpus_assistants("mlforsystems")


def test_the_workshops_own_name_matches_no_programme_row(mlforsystems):
    """"ML for *Systems*" is not the "Intelligent *Systems*" keynote: an edition without a camera-ready
    date does not answer with a talk."""
    assert not ask(mlforsystems, "When was the camera-ready version due for ML for Systems at ISCA 2019?").answered


@pytest.mark.parametrize("question, row", [
    ("What time did the ML for Systems workshop at NeurIPS 2021 start?", "09:00: Opening Remarks"),
    ("What was the last thing on the NeurIPS 2021 programme?", "17:40: Closing"),
    ("Which paper won the best paper award at ISCA 2019?", "Ithemal"),
])
def test_the_programmes_first_last_and_awarded_rows(mlforsystems, question, row):
    assert row in ask(mlforsystems, question).text


def test_a_time_in_the_preamble_still_picks_the_row(sysml):
    answer = ask(sysml, "Say I walk into the room at around 2:45 pm: which session is going on?")
    assert "14:30: Panel" in answer.text


def test_a_part_of_the_day_narrows_the_anchor(sysml):
    assert "11:00: Invited talk" in ask(sysml, "Who talks after the morning coffee break?").text


def test_an_anchor_that_is_no_programme_row_is_not_answered_from_the_programme(sysml):
    answer = ask(sysml, "When is the abstract deadline, before the full paper deadline?")
    assert "Invited talk" not in answer.text and "Contributed talks" not in answer.text


def test_where_someone_works_is_not_guessed_from_a_line_that_only_names_them(sysml):
    assert not ask(sysml, "Which university is Jun Park from?").answered  # an author of MicroFlash, no more


def test_a_follow_up_without_a_subject_is_read_with_the_question_before_it(mlforsystems):
    answer = ask(mlforsystems, "when's the speeker video due for neurips 2021 ml for systems, do i still have time?")
    assert "November 1, 2021" in answer.text


def test_a_question_about_a_topic_asking_for_the_address_gets_the_address(sysml):
    answer = ask(sysml, "Who do I email with a question about the call for papers?")
    assert "sysmledge2026-chairs@googlegroups.com" in answer.text and answer.answered


TRACKS_SITE = """<!doctype html><html><head><title>DataSys 2026</title></head><body>
<nav><a href="#dates">Dates</a></nav>
<h1>DataSys 2026 @ VLDB</h1>
<h2>Important Dates</h2>
<h4>Research Track</h4>
<ul><li>Paper submission: <s>May 19, 2026</s> <b>June 2, 2026</b></li>
<li>Notification of acceptance: July 6, 2026</li></ul>
<h4>Systems Track</h4>
<ul><li>Registration deadline: May 19, 2026 (AoE)</li>
<li>Submission deadline: June 9, 2026</li></ul>
<h2>Submission</h2>
<p>Submission system: EasyChair (choose the DataSys track).</p>
<h2>Prizes</h2>
<p>Winners of the Systems Track receive prizes:</p>
<ul><li>First place: $1,100</li><li>Second place: $600</li></ul>
<h2>Keynote Speakers</h2>
<h3>Ada Lovelace</h3><p>Professor @ University of London</p>
<h4>Abstract</h4><p>Engines that compute.</p>
<h3>Alan Turing</h3><p>Reader @ University of Manchester</p>
<h4>Abstract</h4><p>Machines that think.</p>
<h2>Organization</h2>
<h3>General Chairs</h3>
<ul><li>Grace Hopper, Navy Labs</li><li>Edsger Dijkstra, TU Eindhoven</li><li>Barbara Liskov, MIT</li></ul>
<h3>Steering Committee</h3>
<ul><li>Donald Knuth, Stanford</li><li>Frances Allen, IBM</li></ul>
<h3>Program Committee</h3>
<ul><li>John Backus, IBM</li><li>Tony Hoare, Oxford</li></ul>
<footer>Contact: chairs@datasys.example</footer>
</body></html>"""


def one_page_site(tmp_path_factory, name: str, html: str):
    """The assistant over a built site of one page, indexed as an organizer would."""
    root = tmp_path_factory.mktemp(f"{name}-site")
    (root / "index.html").write_text(html, encoding="utf-8")
    assistant, report = corpus_assistant(Corpus(name, root, ()), tmp_path_factory.mktemp(f"{name}-data"))
    assert not report.errors
    return assistant


@pytest.fixture(scope="module")
def tracks(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "tracks", TRACKS_SITE)


def test_a_deadline_named_by_its_tracks_heading(tracks):
    answer = ask(tracks, "Is the research track submission still open?")
    assert "June 2, 2026 (extended from May 19, 2026)" in answer.text and "passed" in answer.text


def test_a_struck_date_is_not_read_into_another_deadline_of_the_same_date(tracks):
    facts = tracks.facts(tracks.editions.default)
    registration = next(d for d in facts.deadlines if "registration" in d.id)
    assert str(registration.due) == "2026-05-19" and not registration.previous


def test_where_to_submit_from_the_line_naming_the_system(tracks):
    assert "Submission system: EasyChair" in ask(tracks, "Where do I submit my paper?").text


def test_how_much_money_is_answered_with_an_amount(tracks):
    assert "$1,100" in ask(tracks, "How much money does the first place get?").text


def test_two_keynotes_with_abstracts_are_listed_together(tracks):
    text = ask(tracks, "Who are the keynote speakers?").text
    assert "Ada Lovelace" in text and "Alan Turing" in text


def test_a_group_is_answered_whole_and_is_no_person(tracks):
    text = ask(tracks, "Who are the general chairs?").text
    assert all(name in text for name in ("Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"))
    answer = ask(tracks, "Is Ken Thompson on the program committee?")
    assert "Donald Knuth" not in answer.text  # the steering committee is not the programme committee


DAYS_SITE = """<!doctype html><html><head><title>Sparse Nets 2027</title></head><body>
<h1>Sparse Nets Workshop 2027</h1>
<p>Workshop dates: 3rd - 5th January, 2027, at the Harbour Hotel.</p>
<h2>Schedule</h2><p>All times in GST (GMT+4).</p>
<p>Tuesday, Jan 4 (Morning)</p>
<ul><li>9:00 AM - 10:00 AM: Ada Byron (Cambridge)</li><li>10:00 AM - 11:00 AM: Coffee break</li>
<li>11:00 AM - 12:00 PM: Carl Gauss (Gottingen)</li></ul>
<p>Wednesday, Jan 5 (Afternoon)</p>
<ul><li>1:30 PM - 2:30 PM: Emmy Noether (Erlangen)</li><li>2:30 PM - 3:30 PM: Kurt Godel (Vienna)</li>
<li>3:30 PM - 4:00 PM: Closing</li></ul>
<h2>Calendar</h2>
<ul><li>8:00 AM</li><li>8:30 AM</li><li>9:00 AM</li><li>8:30 AM–9:00 AM</li><li>310 Soda</li></ul>
<h2>Speakers</h2><h3>Emmy Noether</h3><p>Erlangen</p><h3>Kurt Godel</h3><p>Vienna</p>
</body></html>"""


@pytest.fixture(scope="module")
def days(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "days", DAYS_SITE)


def test_a_programme_over_several_days_gives_each_row_its_day(days):
    rows = days.facts(days.editions.default).programme
    assert [(row.day, f"{row.start:%H:%M}") for row in rows][:2] == [("Tuesday, Jan 4", "09:00"),
                                                                   ("Tuesday, Jan 4", "10:00")]
    assert all(row.text[:2] not in {"AM", "PM", "00", "30", "10"} for row in rows)  # a clock alone is no row
    answer = ask(days, "When does Emmy Noether speak?")
    assert "Wednesday, Jan 5, 1:30 PM - 2:30 PM: Emmy Noether" in answer.text
    assert "January 3" not in answer.text  # the workshop's first day is not her day


def test_a_named_day_chooses_that_days_rows(days):
    answer = ask(days, "What is on Wednesday at 2:45 pm?")
    assert "Kurt Godel" in answer.text and "Carl Gauss" not in answer.text


def test_a_persons_email_is_given_only_when_the_pages_give_it(days):
    assert not ask(days, "What is Kurt Godel's email address?").answered


NAMED_SITE = """<!doctype html><html><head><title>Home</title></head><body>
<h1>Sparse Kernels Workshop</h1>
<p>The Sparse Kernels and Irregular Workloads (SKIW) workshop meets at SC 2027. SKIW welcomes papers on sparse
computation.</p>
<p>Location: Colorado Convention Center, Denver, Colorado</p>
<h2>Important Dates</h2>
<ul><li>Paper submission: July 20, 2027 (AoE)</li><li>Notification: August 30, 2027</li>
<li>Workshop: November 14, 2027</li></ul>
<p>Late submissions are not accepted.</p>
</body></html>"""


@pytest.fixture(scope="module")
def named(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "named", NAMED_SITE)


def test_the_workshop_named_by_its_short_or_long_name_is_the_workshop(named):
    """Its name says which workshop, not which deadline or which topic: "when were papers due for SKIW?"
    is the submission deadline, and the long name it abbreviates names it as well as "the workshop"."""
    edition = named.editions.default
    assert (edition.name, edition.long_name) == ("SKIW", "Sparse Kernels and Irregular Workloads")
    assert "July 20, 2027" in ask(named, "When are papers due for SKIW?").text
    day = ask(named, "What date is the Sparse Kernels and Irregular Workloads workshop?")
    assert "November 14, 2027" in day.text and "July 20" not in day.text
    assert "July 20" not in ask(named, "How many days until SKIW?").text  # the workshop, not a deadline
    assert "Denver" in ask(named, "waht city is SKIW in?").text  # two letters swapped
    assert "Denver" in ask(named, "In which city will the workshop take place?").text  # where, not only when
    terms = named.retriever.snapshot(edition.id).terms("Which LaTeX template should I use?")
    assert "latex" in terms.tokens and "late" not in terms.tokens  # a name as written, not a typo of "late"


CARDS_SITE = """<!doctype html><html><head><title>GridML 2027</title></head><body>
<h1>GridML Workshop 2027</h1>
<p>GridML brings together people who build grids of machine learning accelerators.</p>
<h2>Organizers</h2>
<div class="grid">
<div class="card"><h2 class="card-title"><b>Ada</b> <br> Byron</h2>
<p class="card-text">Analytical Engines Ltd</p></div>
<div class="card"><h2 class="card-title"><b>Carl</b> <br> Gauss</h2>
<p class="card-text">University of Gottingen</p></div>
<div class="card"><h2 class="card-title"><b>Emmy</b> <br> Noether</h2><p class="card-text">Erlangen Institute</p></div>
</div>
</body></html>"""


@pytest.fixture(scope="module")
def cards(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "cards", CARDS_SITE)


def test_a_grid_of_cards_beside_its_heading_introduces_people(cards):
    """Each card's heading is a name over an affiliation, a section of its own after the heading that
    introduces the grid: "which org is Carl Gauss with?" is his card, and a yes/no question the card does
    not settle is not answered with it."""
    assert "University of Gottingen" in ask(cards, "which org is Carl Gauss with?").text
    assert "Erlangen Institute" in ask(cards, "What university is Emmy Noether at?").text
    assert "Analytical Engines" in ask(cards, "Which company is Ada Byron with?").text  # the first card
    assert "Analytical Engines" not in ask(cards, "Is Ada Byron giving the keynote?").text


NO_DAY_SITE = """<!doctype html><html><head><title>TinyML Hub 2027</title></head><body>
<h1>TinyML Hub Workshop 2027</h1>
<p>Join us at the conference in Vancouver. The day of the workshop will be announced.</p>
<h2>Important Dates</h2>
<ul><li>Submission deadline: 2027/05/27, 11:59PM UTC</li><li>Acceptance notification: 2027/06/09</li>
<li>Camera-ready deadline: 2027/07/03</li></ul>
</body></html>"""


@pytest.fixture(scope="module")
def no_day(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "noday", NO_DAY_SITE)


def test_the_important_dates_do_not_say_when_the_workshop_is(no_day):
    answer = ask(no_day, "What date is the TinyML Hub workshop held on?")
    assert not answer.answered, answer.text  # not the deadlines: the pages don't say
    assert "June 9, 2027" in ask(no_day, "When will the workshop send out acceptance notifications?").text


SLOTS_SITE = """<!doctype html><html><head><title>MemFit 2027</title></head><body>
<h1>MemFit Workshop 2027</h1>
<h2>Schedule</h2>
<ul><li>09:00 - 10:00: Invited talk: Checkpointing at scale, Ada Byron</li>
<li>10:00 - 11:00: Coffee break</li><li>11:00 - 12:00: Invited talk: Paging tensors, Carl Gauss</li>
<li>12:00 - 13:00: Lunch</li></ul>
<p>Abstract: we minimize the recomputation time given a fixed memory budget.</p>
</body></html>"""


@pytest.fixture(scope="module")
def slots(tmp_path_factory, embeddings):
    return one_page_site(tmp_path_factory, "slots", SLOTS_SITE)


def test_a_slot_by_the_clock_and_no_time_zone_read_from_an_abstract(slots):
    """"times given a fixed memory budget" is no time zone; "the 11 o'clock slot" is 11:00."""
    assert slots.facts(slots.editions.default).programme_zone is None
    answer = ask(slots, "Whose talk is in the 11 o'clock slot?")
    assert "Carl Gauss" in answer.text and "memory budget" not in answer.text


def test_an_extended_version_is_no_extension_of_a_deadline(no_day):
    """"Extended versions of the papers" are papers; "how long have I got?" asks for the deadline."""
    assert "May 27" not in ask(no_day, "Will there be a journal special issue for extended versions of papers?").text
    assert "May 27, 2027" in ask(no_day, "Sending an extended abstract: how long have I got?").text
