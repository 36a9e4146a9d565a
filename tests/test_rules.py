"""The call for papers' rules as facts: read by meaning from the pages of every edition we have, shown by
`workshop-bot facts` with their sources, stated instead by event.yaml where it says so, and answered
in the pages' own sentences, or not at all."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.assistant.assistant import Assistant
from bot.cli import app
from bot.events.model import EventFileError, load_event
from bot.events.rules import rule_ids
from bot.index.rules import RuleReader, sentences
from bot.index.vectors import TextVectors
from bot.knowledge.derive import PageText, texts_of
from bot.knowledge.editions import discover
from bot.knowledge.pages import PageError
from bot.knowledge.publication import publication_of
from bot.index.reader import read

from .conftest import KNOWLEDGE, ingest_all, make_settings

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
NOW = datetime(2025, 8, 25, tzinfo=UTC)


def rules_of(root: Path, embeddings) -> dict[str, dict[str, list]]:
    """Each edition's rules, read from its pages as `workshop-bot facts` reads them."""
    settings = make_settings(Path("/nonexistent"), root)
    reader = RuleReader(TextVectors(embeddings.embed_documents))
    found = {}
    for edition in discover(root).items:
        pages = []
        for path in edition.folder.pages:
            try:
                pages.append(read(path, edition.folder, settings, publication_of(edition.folder, settings)))
            except PageError:
                continue
        found[edition.id] = reader.read(texts_of(pages), edition.id)
    return found


@pytest.mark.parametrize("root", [KNOWLEDGE, SITES / "mlforsystems", SITES / "verifai"], ids=lambda p: p.name)
def test_every_edition_states_its_page_limit_and_format_with_the_sentence_and_page(root, embeddings):
    for edition, rules in rules_of(root, embeddings).items():
        assert "page_limit" in rules, edition
        [first, *_] = rules["page_limit"]
        assert "pages" in first.text and first.stated.source.startswith(first.stated.source.split("/")[0])
        assert {"template", "file_format"} & set(rules), edition


def test_the_rules_read_from_each_site_say_what_its_call_for_papers_says(embeddings):
    rules = rules_of(KNOWLEDGE, embeddings)["neurips2025"]
    assert "up to 4 pages" in rules["page_limit"][0].text
    assert rules["anonymity"][0].text == "Submissions do not have to be anonymized."
    assert "no formal" in rules["archival"][0].text
    verifai = rules_of(SITES / "verifai", embeddings)["iclr2025"]
    assert "double-blind" in verifai["anonymity"][0].text and "ICLR" in verifai["template"][0].text


def test_facts_shows_the_rules_with_their_sources_and_event_yaml_wins(tmp_path, monkeypatch):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    event = knowledge / "neurips2025" / "event.yaml"
    event.write_text(event.read_text() + "rules:\n  page_limit: 6 pages, appendix excluded\n")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    shown = CliRunner().invoke(app, ["facts", "--json"])
    assert shown.exit_code == 0, shown.output
    rules = {r["rule"]: r for r in json.loads(shown.stdout)["rules"]}
    assert rules["page_limit"] == {"rule": "page_limit", "label": "page limit", "text": "6 pages, appendix excluded",
                                   "source": "neurips2025/event.yaml"}
    assert rules["anonymity"]["source"] == "neurips2025/call_for_papers.html"
    text = CliRunner().invoke(app, ["facts"]).stdout
    assert "rules of the call for papers:" in text and "6 pages, appendix excluded" in text


def test_an_unknown_rule_in_event_yaml_is_refused_by_name(tmp_path):
    path = tmp_path / "event.yaml"
    path.write_text("name: Test\nrules:\n  pagelimit: 4 pages\n")
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    assert f"{path}, line 3: field 'rules': not a rule: 'pagelimit'" in str(refused.value)
    assert all(name in str(refused.value) for name in rule_ids())


@pytest.fixture(scope="module")
def ruled(tmp_path_factory, embeddings) -> Assistant:
    settings = make_settings(tmp_path_factory.mktemp("rules") / "data")
    from bot.index.store import KnowledgeStore

    store = KnowledgeStore(settings, embeddings)
    assert not ingest_all(store, settings).errors
    return Assistant.from_settings(settings, store)


@pytest.mark.parametrize(("question", "said"), [
    ("Which LaTeX style file should I use?", "NeurIPS 2025 format"),
    ("How long can the extended abstract be?", "up to 4 pages"),
    ("Do I need to anonymize my paper?", "Submissions do not have to be anonymized."),
    ("Will my paper appear in official proceedings?", "no formal"),
])
def test_rules_asked_in_other_words_are_answered_in_the_pages_sentences(ruled, question, said):
    answer = ruled.ask(question, now=NOW)
    assert answer.answered and said in answer.text, answer.text
    assert answer.sources and answer.sources[0].path == "neurips2025/call_for_papers.html"


@pytest.mark.parametrize("question", ["What is the page limit?", "How many pages can my paper have?",
                                      "Is there a page limit?"])
def test_a_rule_is_said_once_even_when_a_sentence_and_its_paragraph_both_state_it(ruled, question):
    answer = ruled.ask(question, now=NOW)
    sentences_said = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\[\d+\]", answer.text) if len(s.strip()) > 20]
    assert answer.answered and len(sentences_said) == len(set(sentences_said)), answer.text
    assert not re.search(r"\]\S", answer.text), answer.text  # a citation is followed by a space or a line's end


def test_a_rule_the_pages_do_not_state_is_not_answered_from_a_neighbouring_one(ruled):
    answer = ruled.ask("What size should my poster be?", now=NOW)
    assert not answer.answered, answer.text


def test_each_sentence_of_a_line_is_read_and_a_programme_row_is_not():
    """A line stating a template and a page limit gives each its own sentence (and the line whole, for a
    sentence that says "this is a strict limit" of the one before); a talk in the programme states no rule."""
    text = PageText("x/cfp.html", "Call", "", "Formatting", (
        "Submissions should be formatted using the NeurIPS latex style. Papers should be at most 6 pages long.",
        "09:50 - 10:05: Contributed talk: The Linear Representation Hypothesis in Language Models"))
    found = [sentence for _, sentence in sentences([text])]
    assert found == ["Submissions should be formatted using the NeurIPS latex style.",
                     "Papers should be at most 6 pages long.", text.lines[0]]


def test_the_examples_vectors_are_kept_for_the_next_process_and_a_broken_file_is_made_again(tmp_path, embeddings):
    kept = tmp_path / "vectors" / "rule-examples.npz"
    made = []

    def embed(texts: list[str]) -> list[list[float]]:
        made.extend(texts)
        return embeddings.embed_documents(texts)

    def place(name: str) -> Path:
        return tmp_path / "vectors" / f"{name}.npz"

    first = RuleReader(TextVectors(embed), kept=place)._examples
    assert len(made) >= 150 and kept.is_file()
    made.clear()
    again = RuleReader(TextVectors(embed), kept=place)._examples  # another process, as it were
    assert made == []
    assert all((again[k][0] == first[k][0]).all() and (again[k][1] == first[k][1]).all() for k in first)

    kept.write_bytes(kept.read_bytes()[:1000])  # cut short (a full disk, a killed process)
    assert RuleReader(TextVectors(embed), kept=place)._examples.keys() == first.keys()
    assert len(made) >= 150  # made again, and kept again
    made.clear()
    assert RuleReader(TextVectors(embed), kept=place)._examples.keys() == first.keys()
    assert made == []


def test_an_editions_sentences_are_kept_until_its_pages_change(tmp_path, embeddings):
    made: list[str] = []

    def embed(texts: list[str]) -> list[list[float]]:
        made.extend(texts)
        return embeddings.embed_documents(texts)

    def reader() -> RuleReader:  # a new process, as it were, with the examples' vectors kept already
        found = RuleReader(TextVectors(embed), kept=lambda name: tmp_path / f"{name}.npz")
        assert found._examples
        made.clear()
        return found

    page = PageText("cfp.md", "Call for papers", "https://ws.example/cfp", "Submission", (
        "Papers should be at most 4 pages long, excluding references.",
        "Submissions must be anonymized for double-blind review."))
    first = reader().read([page], "ws2025")
    assert set(first) >= {"page_limit"} and len(made) == 2
    assert reader().read([page], "ws2025") == first and made == []  # read again from what was kept
    assert reader().read([page], "other2025") == first and len(made) == 2  # another edition: its own file

    longer = replace(page, lines=("Papers should be at most 8 pages long, excluding references.", *page.lines[1:]))
    again = reader().read([longer], "ws2025")
    assert made == ["Submission: Papers should be at most 8 pages long, excluding references.",
                    "Submission: Submissions must be anonymized for double-blind review."]
    assert [rule.text for rule in again["page_limit"]] == [longer.lines[0]]
