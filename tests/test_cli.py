"""The CLI contract that other tools depend on: arguments, JSON lines, exit codes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

from .conftest import KNOWLEDGE, REPO

FIELDS = ["question", "answer", "answered", "edition", "sources", "confidence"]
SOURCE_FIELDS = {"title", "path", "url", "edition", "section"}


def invoker(data: Path, knowledge: Path, monkeypatch: pytest.MonkeyPatch):
    """The CLI in-process, on `data` and `knowledge`."""
    monkeypatch.setenv("BOT_DATA_DIR", str(data))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin)

    return invoke


@pytest.fixture
def run(tmp_path, knowledge_copy, monkeypatch):
    """An empty data folder: for what the first run of a command does."""
    return invoker(tmp_path / "data", knowledge_copy, monkeypatch)


@pytest.fixture(scope="module")
def indexed_data(tmp_path_factory) -> Path:
    """A data folder whose index `workshop-bot ingest` built from knowledge/ once for the module."""
    data = tmp_path_factory.mktemp("cli-indexed") / "data"
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert invoker(data, KNOWLEDGE, monkeypatch)("ingest").exit_code == 0
    return data


@pytest.fixture
def run_indexed(tmp_path, knowledge_copy, indexed_data, monkeypatch):
    """A private copy of the prebuilt index: for commands that read it, or change it from there."""
    shutil.copytree(indexed_data, tmp_path / "data")
    return invoker(tmp_path / "data", knowledge_copy, monkeypatch)


def test_ask_json_is_one_object_with_the_contract_fields(run_indexed):
    result = run_indexed("ask", "--json", "--now", "2025-08-25T00:00:00Z", "When is the submission deadline?")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert list(answer) == FIELDS
    assert answer["answered"] is True and answer["edition"] == "neurips2025"
    assert "August 29, 2025" in answer["answer"] and "in 5 days" in answer["answer"]
    assert set(answer["sources"][0]) == SOURCE_FIELDS and 0 < answer["confidence"] <= 1


def test_ask_ingests_an_empty_index_first(run, tmp_path):
    assert run("ask", "Is the page limit strict?").exit_code == 0
    assert (tmp_path / "data" / "chroma").is_dir()


def test_ask_dash_reads_one_question_per_line(run_indexed):
    stdin = "Is the page limit strict?\n\nWas the page limit strict in 2023?\n" + "x" * 4001 + "\nHotel prices?\n"
    result = run_indexed("ask", "--json", "-", stdin=stdin)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [a["answered"] for a in answers] == [True, True, False, False]
    assert [a["edition"] for a in answers[:2]] == ["neurips2025", "neurips2023"]
    assert "limit is 4,000" in answers[2]["answer"]
    assert all(list(a) == FIELDS for a in answers)


def test_plain_output_lists_sources(run_indexed):
    result = run_indexed("ask", "--edition", "neurips2023", "Is the page limit strict?")
    assert "not a strict limit" in result.stdout
    assert "Sources:\n[1] Call for Papers › Submission Instructions (neurips2023) — https://" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["ask", ""], "the question is empty"),
    (["ask", "--now", "yesterday", "deadline?"], "--now 'yesterday' is not an ISO-8601"),
    (["ask", "--edition", "neurips1999", "deadline?"], "unknown edition 'neurips1999'"),
    (["ask", "y" * 4001], "the limit is 4,000"),
    (["ingest", "no/such/folder"], "no such file or folder"),
    (["calendar", "--out", "no/such/folder/workshop.ics"], "--out 'no/such/folder/workshop.ics': cannot be written: "
                                                           "No such file or directory (no folder 'no/such/folder')"),
])
def test_bad_input_exits_2_with_a_clear_message(run_indexed, args, message):
    result = run_indexed(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_an_empty_question_is_refused_before_the_index_or_model_is_opened(run, tmp_path):
    result = run("ask", "  ")
    assert result.exit_code == 2 and "the question is empty" in result.stderr
    assert not (tmp_path / "data" / "chroma").exists()


def test_small_commands_say_what_happened(run, knowledge_copy, monkeypatch):
    assert run("--version").stdout.startswith("workshop-bot ")
    help_text = run("announce", "--help").stdout
    assert "general            body title" in help_text  # the templates and the fields each needs
    assert "deadline_extended  deadline new_date old_date [note]" in help_text  # [note]: tested `is defined`
    assert "<list" not in help_text and "<bool>" not in help_text
    monkeypatch.setenv("MAILING_LIST", "")
    digest = run("digest", "--now", "2025-08-25T00:00:00Z", "--out", str(knowledge_copy / "d.eml"))
    assert digest.exit_code == 2 and digest.stderr.strip() == "error: digest: MAILING_LIST is not set: nowhere to send"
    for event in knowledge_copy.rglob("event.yaml"):
        event.unlink()
    planned = run("reminders")
    assert planned.exit_code == 0 and "nothing planned after" in planned.stderr
    reload = run("reload")
    assert reload.exit_code == 0 and "no bot is running" in reload.stderr


def test_ingest_reports_a_broken_page_and_exits_non_zero(run_indexed, knowledge_copy):
    assert run_indexed("ingest").exit_code == 0
    (knowledge_copy / "neurips2023" / "index.html").write_bytes(b"\xff\xfe broken")
    result = run_indexed("ingest")
    assert result.exit_code == 2
    assert "neurips2023/index.html: not UTF-8 text" in " ".join(result.stderr.split())
    ok = run_indexed("ask", "--json", "Who was on the 2023 steering committee?")
    assert json.loads(ok.stdout)["answered"] is True  # the old passages of the broken page remain


@pytest.mark.slow  # a subprocess loading the model
def test_the_installed_command_runs_offline(tmp_path):
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "Where is the workshop held?"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "San Diego Convention Center, Upper Level Room 5AB" in answer["answer"]


@pytest.mark.slow  # `serve` in a subprocess
def test_serve_without_credentials_is_a_console(tmp_path):
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        input="help\nDo submissions need to be anonymized?\nIs there a free lunch for pets?\nquit\n",
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr
    shown = " ".join(result.stdout.replace("│", " ").split())
    assert "Questions that name no year are about ML for Systems Workshop at NeurIPS 2025" in shown
    assert "do not have to be anonymized" in shown and "Sources:" in shown
    assert shown.count("`help` shows this again") == 2  # `help` is answered by the console, not the assistant
    assert shown.index("loading the knowledge base") < shown.index("do not have to be anonymized")
    assert "Question for the organizers from you: Is there a free lunch for pets?" in shown
    assert "<@you>" not in shown and "*Question" not in shown  # the organizers' preview is plain text


def test_rebuild_keeps_the_organizers_faq(run_indexed, tmp_path):
    from bot.storage.db import Database

    from .conftest import make_settings

    assert run_indexed("ingest").exit_code == 0
    db = Database.from_settings(make_settings(tmp_path / "data"))
    db.add_faq("Is there a registration fee?", "No separate fee: register through NeurIPS.", "neurips2025",
               "UORG", None)
    result = run_indexed("ingest", "--rebuild")
    assert result.exit_code == 0 and "1 FAQ entries re-indexed" in result.stderr
    answer = json.loads(run_indexed("ask", "--json", "Is there a registration fee?").stdout)
    assert answer["answered"] and "register through NeurIPS" in answer["answer"]
    assert answer["sources"][0]["title"] == "FAQ"


@pytest.mark.slow  # each case a subprocess, as a new user starts the bot
@pytest.mark.parametrize("command, env, message", [
    (["facts"], {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD': not a level (DEBUG, INFO, WARNING, ERROR, CRITICAL)"),
    (["facts"], {"DIGEST_CRON": "every monday"}, "DIGEST_CRON='every monday': not a crontab line of five fields"),
    (["facts"], {"EMBEDDINGS": "nope-model"}, "EMBEDDINGS='nope-model': not a model name"),
    (["ingest"], {"EMBEDDINGS": "nope:model"}, "EMBEDDINGS='nope:model' cannot be loaded: Provider 'nope'"),
    (["facts"], {"KNOWLEDGE_DIR": "no/such/folder"}, "no edition to read: KNOWLEDGE_DIR='no/such/folder' (no such "
                                                     "folder"),
    (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_BOT_TOKEN set, but Slack needs SLACK_BOT_TOKEN with "
                                                 "SLACK_APP_TOKEN"),
    (["serve"], {}, "no Slack settings (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) and no "
                    "terminal for the console"),
], ids=["log level", "digest cron", "embeddings name", "embeddings provider", "knowledge folder",
        "half of Slack", "no terminal"])
def test_a_setting_that_will_not_do_is_one_line_naming_it_never_a_traceback(tmp_path, command, env, message):
    """What a new user meets first: a wrong value is named with what is accepted, on one line, exit 2;
    `serve` never silently becomes the console (under Docker or systemd, standard input is /dev/null)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    result = subprocess.run([sys.executable, "-m", "bot", *command], stdin=subprocess.DEVNULL, cwd=REPO,
                            env={**clean, "BOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "300", **env},
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_reminders_are_listed_as_people_read_them_not_as_slack_markup(run):
    listed = run("reminders", "--now", "2025-08-01T00:00:00Z")
    assert listed.exit_code == 0
    assert "<!date^" not in listed.stdout and "&lt;" not in listed.stdout
    assert "August 29, 2025 23:59 AoE" in listed.stdout
    raw = json.loads(run("reminders", "--now", "2025-08-01T00:00:00Z", "--json").stdout)
    assert any("<!date^" in item["text"] for item in raw)  # --json keeps what Slack is sent
