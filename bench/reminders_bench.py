"""Issue 4 figures: planning 10,000 reminders and re-planning after a change; firing lateness."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.knowledge_bench import _percentile
from bot.deliveries import Medium
from bot.runtime import Runtime
from bot.slack.client import slack_delivery
from bot.knowledge.editions import discover
from bot.scheduler.planner import plan
from tests.conftest import make_settings
from tests.slack_emulator import BOT_TOKEN, SlackEmulator

EDITIONS, DEADLINES, OFFSETS = 400, 5, ["14d", "7d", "3d", "1d", "6h"]
FIRINGS = 200


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _write_editions(root: Path, now: datetime) -> None:
    for e in range(EDITIONS):
        folder = root / f"synthetic{e:04d}"
        folder.mkdir(parents=True)
        dues = [_iso(now + timedelta(days=1, hours=(e * DEADLINES + d) % (60 * 24))) for d in range(DEADLINES)]
        remind = ", ".join(OFFSETS)
        deadlines = "".join(f"  - id: d{d}\n    title: Deadline {d}\n    due: {due}\n    remind: [{remind}]\n"
                            for d, due in enumerate(dues))
        header = f"name: Synthetic {e}\nslack: {{announcements: C{e}}}\n"
        (folder / "event.yaml").write_text(f"{header}deadlines:\n{deadlines}")


def run() -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        _write_editions(tmp / "knowledge", now)
        settings = make_settings(tmp / "data", tmp / "knowledge")
        started = time.perf_counter()
        planned = plan(discover(settings.knowledge_dir), settings)
        figures["plan: reminders"] = len(planned)
        figures["plan 10,000 reminders, from 400 event.yaml (s)"] = time.perf_counter() - started

        service = Runtime(settings, deliveries={}).reminders
        started = time.perf_counter()
        service.start()
        figures["first start: plan + timers into the job store (s)"] = time.perf_counter() - started
        try:
            started = time.perf_counter()
            service.sync()
            figures["re-sync, nothing changed (s)"] = time.perf_counter() - started
            path = settings.knowledge_dir / "synthetic0007" / "event.yaml"
            path.write_text(path.read_text().replace("Deadline 0", "Deadline zero"))
            started = time.perf_counter()
            service.sync()
            figures["re-plan after a change (s)"] = time.perf_counter() - started
            figures["timers within the 2-day horizon (in the job store)"] = len(
                service.scheduler.get_jobs(jobstore="default"))
        finally:
            service.stop()
        figures.update(_lateness(tmp / "lateness"))
    return figures


def _lateness(root: Path) -> dict[str, float]:
    """FIRINGS reminders due over ~20 s, delivered to the emulated Slack: how late did each arrive?"""
    emulator = SlackEmulator().start()
    start = datetime.now(UTC) + timedelta(seconds=8)
    folder = root / "knowledge" / "lateness2030"
    folder.mkdir(parents=True)
    # two reminders a deadline: an event.yaml holds at most MAX_DEADLINES deadlines
    deadlines = "".join(f"  - id: d{i}\n    title: D{i}\n    due: {_iso(start + timedelta(seconds=7 + i * 0.2))}\n"
                        f"    remind: [5s, 3s]\n" for i in range(FIRINGS // 2))
    (folder / "event.yaml").write_text(f"name: Lateness\nslack: {{announcements: CLATE}}\ndeadlines:\n{deadlines}")
    settings = make_settings(root / "data", root / "knowledge", slack_bot_token=BOT_TOKEN, slack_api_url=emulator.url)
    service = Runtime(settings, deliveries={Medium.SLACK: slack_delivery(settings)}).reminders
    wall, mono = datetime.now(UTC), time.monotonic()
    service.start()
    try:
        posts = emulator.wait_for("chat.postMessage", FIRINGS, timeout=120)
    finally:
        service.stop()
        emulator.stop()
    due = {m.key: m.due for m in service._plan.values()}
    late = [((wall + timedelta(seconds=p.at - mono)) - due[p.body["metadata"]["event_payload"]["key"]]).total_seconds()
            for p in posts]
    return {"firing lateness p50 (ms)": statistics.median(late) * 1000,
            "firing lateness p95 (ms)": _percentile(late, 95) * 1000, "reminders fired": len(posts)}
