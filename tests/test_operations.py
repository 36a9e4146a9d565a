"""What operators watch: /healthz, /readyz and /metrics in every mode, the logs' format, and secrets kept
out of reprs and logs."""

import json
import logging
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from websockets.sync.server import serve

import bot.slack.metrics  # noqa: F401  the Slack counters the dashboard shows, registered when imported
from bot.config import Settings
from bot.deliveries import EMAIL
from bot.ops.health import HealthServer, health_app
from bot.ops.logs import HANDLER, configure_logging
from bot.outbox.sender import Sender
from bot.storage.db import Database
from bot.storage.metrics import OUTBOX_METRICS
from bot.storage.models import OutboxStatus

from .conftest import REPO, make_settings
from .reminder_harness import write_event
from .slack_emulator import APP_TOKEN, BOT_TOKEN
from .slack_harness import SECRET, BotProcess, free_port
from .test_email import mail_settings, queued, sender
from .waiting import wait_until

SECRETS = {"slack_bot_token": "xoxb-secret-bot-token", "slack_app_token": "xapp-secret-app-token",
           "slack_signing_secret": "secret-signing-secret", "smtp_password": "secret-smtp-password",
           "database_url": "postgresql://bot:secret-db-password@db.example.org/bot"}


def scrape(client: TestClient) -> dict[tuple[str, frozenset], float]:
    text = client.get("/metrics").text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(metrics: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics():
    """A client of the app every mode serves; the outbox metrics read the database a test watches."""
    with TestClient(health_app()) as client:
        yield client
    OUTBOX_METRICS.watch(None)


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_outbox_metrics_count_what_is_stored_and_sent(tmp_path, metrics):
    settings = mail_settings(tmp_path)  # no SMTP_HOST: mail is written as .eml files
    outbox, reminder = queued(settings, key="test2030:submission:1d", kind="deadline_reminder")
    OUTBOX_METRICS.watch(outbox.db)
    before = scrape(metrics)
    assert value(before, "workshop_bot_outbox_pending", medium="email") == 1
    assert value(before, "workshop_bot_outbox_pending", medium="slack") == 0
    assert value(before, "workshop_bot_outbox_oldest_pending_age_seconds") >= 0
    assert value(before, "workshop_bot_reminders_sent_total") == 0

    assert sender(settings, outbox).send(reminder.id) == OutboxStatus.SENT
    after = scrape(metrics)
    assert value(after, "workshop_bot_outbox_pending", medium="email") == 0
    assert value(after, "workshop_bot_outbox_oldest_pending_age_seconds") == 0
    assert value(after, "workshop_bot_reminders_sent_total") == 1
    assert value(after, "workshop_bot_emails_sent_total") == 1
    assert (value(after, "workshop_bot_outbox_send_seconds_count", medium="email")
            == value(before, "workshop_bot_outbox_send_seconds_count", medium="email") + 1)
    assert (value(after, "workshop_bot_reminder_lateness_seconds_count")
            == value(before, "workshop_bot_reminder_lateness_seconds_count") + 1)

    _, digest = queued(settings, key="digest:2030-01-07", kind="digest")
    assert sender(settings, outbox).send(digest.id) == OutboxStatus.SENT
    _, announcement = queued(settings, key="announcement:9")
    assert Sender(settings, outbox, {}).send(announcement.id) == OutboxStatus.FAILED  # no delivery for email
    outbox.add(key="test2030:session:0", destination=EMAIL, kind="session_reminder", edition="test2030",
               due_at=datetime.now(UTC) - timedelta(days=1), body="{}", status=OutboxStatus.MISSED)
    last = scrape(metrics)
    assert value(last, "workshop_bot_digests_sent_total") == 1
    assert value(last, "workshop_bot_emails_sent_total") == 2
    assert value(last, "workshop_bot_emails_failed_total") == 1
    assert value(last, "workshop_bot_outbox_failed", medium="email") == 1
    assert value(last, "workshop_bot_reminders_missed_total") == 1
    assert value(last, "workshop_bot_reminders_sent_total") == 1


def test_planned_reminders_are_the_timers_the_service_set(service, metrics):
    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=1), ["30m", "10m"])
    reminders = service()
    OUTBOX_METRICS.watch(service.db)
    assert len(reminders.scheduler.get_jobs(jobstore="default")) == 2
    assert value(scrape(metrics), "workshop_bot_reminders_planned") == 2


def test_readiness_names_what_is_loading_then_reports_what_is_ready():
    waiting = ["assistant"]
    with TestClient(health_app(lambda: waiting, lambda: {"passages": 3})) as client:
        assert client.get("/healthz").json() == {"ok": True}
        loading = client.get("/readyz")
        assert (loading.status_code, loading.json()) == (503, {"ready": False, "loading": ["assistant"]})
        waiting.clear()
        assert client.get("/readyz").json() == {"ready": True, "passages": 3}


def test_json_logs_carry_a_utc_timestamp_level_logger_and_extras(tmp_path, capsys, restore_logging):
    configure_logging(make_settings(tmp_path, log_format="json", log_level="info"))
    logging.getLogger("bot.test").info("sent %s", "a reminder", extra={"key": "test2030:submission:1d"})
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO" and record["logger"] == "bot.test" and record["message"] == "sent a reminder"
    assert record["key"] == "test2030:submission:1d"
    assert datetime.fromisoformat(record["timestamp"]).utcoffset() == timedelta(0)


def test_text_logs_start_with_a_utc_timestamp(tmp_path, capsys, restore_logging):
    configure_logging(make_settings(tmp_path, log_level="info"))
    configure_logging(make_settings(tmp_path, log_level="info"))  # replaced, not doubled
    logging.getLogger("bot.test").warning("hello")
    [line] = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING bot\.test: hello", line)


def test_a_taken_port_stops_the_bot_and_uvicorn_says_why_in_our_format(tmp_path, capsys, restore_logging):
    configure_logging(make_settings(tmp_path, log_format="json"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit):
            HealthServer(health_app(), "127.0.0.1", taken.getsockname()[1]).start()
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert any(r["logger"] == "uvicorn.error" and r["level"] == "ERROR" for r in records)


def test_settings_never_show_a_secret(tmp_path):
    settings = make_settings(tmp_path, **SECRETS)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert all(secret not in shown for secret in SECRETS.values())
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == SECRETS["slack_bot_token"]
    assert Settings.model_fields["database_url"].description  # the configuration reference lists it


@pytest.mark.slow  # the bot as a process, its model loaded
def test_socket_mode_serves_health_readiness_and_metrics_and_logs_json_without_secrets(tmp_path, slack_emulator):
    connected: queue.Queue = queue.Queue()

    def slack_side(connection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        connected.put(True)
        for _ in connection:  # held open until the bot goes
            pass

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    log = tmp_path / "bot.log"
    with serve(slack_side, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack_emulator.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        bot = BotProcess.launch(tmp_path / "data", knowledge, slack_emulator, log, SLACK_APP_TOKEN=APP_TOKEN,
                                LOG_FORMAT="json", LOG_LEVEL="INFO", SMTP_PASSWORD=SECRETS["smtp_password"])
        try:
            bot.wait_until("/healthz")
            bot.wait_until("/readyz")
            assert connected.get(timeout=60)
            ready = bot.get("/readyz")
            assert ready is not None and ready.json()["ready"] is True
            metrics = wait_until(lambda: bot.get("/metrics"), what="/metrics").text
        finally:
            bot.process.terminate()
            bot.process.wait(timeout=30)
    samples = {sample.name: sample.value for family in text_string_to_metric_families(metrics)
               for sample in family.samples if not sample.labels}
    assert samples["workshop_bot_leader"] == 1
    assert samples["workshop_bot_reminders_planned"] == 0  # no event.yaml: nothing to remind of
    assert "workshop_bot_outbox_oldest_pending_age_seconds" in samples
    lines = log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert records and all({"timestamp", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["logger"] == "bot.ops.health" for r in records)
    text = log.read_text(encoding="utf-8")
    assert all(secret not in text for secret in (BOT_TOKEN, APP_TOKEN, SECRET, SECRETS["smtp_password"]))


def test_the_grafana_dashboard_parses_and_shows_only_metrics_the_bot_exposes(tmp_path, metrics):
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text(encoding="utf-8"))
    shown = {name for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"workshop_bot_\w+", target["expr"])}
    OUTBOX_METRICS.watch(Database.from_settings(make_settings(tmp_path)))
    families = list(REGISTRY.collect())
    exposed = {family.name + suffix for family in families for suffix in ("", "_total", "_bucket")}
    assert shown and shown <= exposed


@pytest.mark.slow  # the bot as a process, its model loaded
def test_the_console_serves_health_and_metrics_when_port_is_set(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("SLACK_")}
    env |= {"BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge), "HOST": "127.0.0.1",
            "PORT": str(port)}
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=REPO, env=env, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def get(path: str) -> httpx.Response | None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            except httpx.TransportError:
                return None
            return response if response.status_code == 200 else None

        wait_until(lambda: bot.poll() is not None or get("/readyz"), 180, what="/readyz answering 200")
        assert bot.poll() is None, f"the bot exited with code {bot.returncode}"
        assert get("/healthz") is not None
        metrics = get("/metrics")
        assert metrics is not None and "workshop_bot_leader 1.0" in metrics.text
        bot.communicate(b"quit\n", timeout=30)
        assert bot.returncode == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait(timeout=10)
