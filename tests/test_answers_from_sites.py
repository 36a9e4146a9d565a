"""Answers on a workshop site the assistant was not tuned on: a built, minified site of another workshop.

Each answer must carry its fact (the time with its row, the room, the authors), say that programme
times are the venue's, and decline what the pages do not say.
"""

from datetime import UTC, datetime

import pytest

from tests.eval.harness import CORPORA
from tests.eval.setup import corpus_assistant

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(scope="module")
def sysml(tmp_path_factory, embeddings):
    assistant, report = corpus_assistant(CORPORA["sysml-built"], tmp_path_factory.mktemp("sysml"))
    assert not report.errors
    return assistant


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
