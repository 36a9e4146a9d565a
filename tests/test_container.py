"""The image, built from the Dockerfile and run: it becomes ready, passes its HEALTHCHECK, answers a signed
Slack mention in its thread through the emulator, serves /metrics, and stops cleanly on SIGTERM; it migrates a
PostgreSQL database and answers from a Chroma server, as compose and Kubernetes run it. It keeps its
HEALTHCHECK, stays under 500 MB above its base, starts from the build's bytecode, and holds no copy of the CA
the build trusted. Skipped, saying why, where no container engine can be had (tests/container_harness.py);
`-s` shows the build's time and what each layer adds."""

from __future__ import annotations

import hashlib
import os
import re
import time

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .container_harness import (BASE_IMAGE, HOST_CA, Container, Timings, UnixRelay, base_image, build, inspect,
                                layers, missing, run_once, size)
from .slack_emulator import BOT_TOKEN
from .slack_harness import NO_PLACEHOLDER, SECRET, HttpBot, free_port
from .test_deploy import version
from .waiting import wait_until

pytestmark = pytest.mark.slow  # a base image made with debootstrap, a build of minutes, a container

IMAGE = f"localhost/workshop-bot:{version()}"
MAX_ADDED = 500e6  # bytes the image adds to its base (742 MB when all of uv.lock was installed and compiled)


@pytest.fixture(scope="module")
def image() -> str:
    if (why := missing()) is not None:
        pytest.skip(f"the image cannot be built here: {why}")
    timings = Timings()
    base = base_image(timings)
    build(base, IMAGE, timings, ca=HOST_CA if HOST_CA.exists() else None)
    print(f"\nbuilt {IMAGE} on {base}: {timings.seconds}")  # shown with -s
    for added, step in layers(IMAGE):
        print(f"{added / 1e6:9.1f} MB  {step[:150]}")
    return IMAGE


def get(port: int, path: str) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.TransportError:
        return None


def answers(port: int, path: str) -> bool:
    response = get(port, path)
    return response is not None and response.status_code == 200


def test_the_image_keeps_its_healthcheck_and_runs_as_the_unprivileged_user(image):
    probe = inspect(image, "{{json .Config.Healthcheck}}")
    assert "/healthz" in probe and "urllib.request.urlopen" in probe, probe
    assert inspect(image, "{{.Config.User}}") == "workshop-bot"


def test_the_image_adds_less_than_500_mb_to_its_base(image):
    added = size(image) - size(BASE_IMAGE)
    print(f"\n{image}: {size(image) / 1e6:.0f} MB, {added / 1e6:.0f} MB above {BASE_IMAGE}")
    assert added < MAX_ADDED, [(f"{a / 1e6:.1f} MB", step[:120]) for a, step in layers(image) if a > 1e6]


def test_the_bot_loads_its_modules_from_bytecode(image):
    """Compiled at the build, for the user who cannot write to /opt/venv: none compiled again at a start."""
    shown = run_once(image, "sh", "-c", "PYTHONVERBOSE=1 workshop-bot templates check 2>&1 >/dev/null")
    loaded = re.findall(r"^# code object from '?(/opt/venv/\S+?)'?$", shown, re.MULTILINE)
    compiled = [path for path in loaded if not path.endswith(".pyc")]
    assert len(loaded) > 100, shown[-2000:]
    assert len(compiled) <= len(loaded) // 50, compiled  # 98 % from the build's bytecode


def test_the_image_migrates_postgres_and_answers_from_a_chroma_server(image, postgres_url, chroma_server):
    """As compose and Kubernetes run it: the migration, then the index on a Chroma server. chromadb's client
    works without the Kubernetes client it requires (for its distributed server), which the image leaves out;
    psycopg's binary build is there."""
    url = make_url(postgres_url)
    relay = None
    if sockets := url.query.get("host"):  # the test server listens on a Unix socket only
        relay = UnixRelay(f"{sockets}/.s.PGSQL.{url.port or 5432}")
        url = url.set(host="127.0.0.1", port=relay.port, query={})
    env = {"DATABASE_URL": url.render_as_string(hide_password=False), "BOT_DATA_DIR": "/tmp/data",
           "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server)}
    try:
        run_once(image, "workshop-bot", "db", "upgrade", env=env)
        with create_engine(postgres_url).connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        answer = run_once(image, "workshop-bot", "ask", "Is the NeurIPS checklist required?", env=env)
    finally:
        if relay is not None:
            relay.close()
    assert "checklist is NOT required" in answer, answer[-2000:]


def test_the_ca_the_build_trusted_is_in_no_layer(image):
    """The host's bundle (with a TLS-intercepting proxy's CA, where there is one) was the build's secret."""
    if not HOST_CA.exists():
        pytest.skip(f"no {HOST_CA}: the build was given no CA")
    secret = HOST_CA.read_bytes()
    same_size = run_once(image, "find", "/", "-xdev", "-type", "f", "-size", f"{len(secret)}c", "-exec",
                         "sha256sum", "{}", "+", user="root")
    assert hashlib.sha256(secret).hexdigest() not in same_size, same_size
    assert run_once(image, "sh", "-c", "ls -A /tmp; ls -A /run/secrets 2>/dev/null || true", user="root").strip() == ""


def test_the_container_answers_a_mention_in_its_thread_and_stops_cleanly(image, slack_emulator):
    port = free_port()
    name = f"workshop-bot-test-{os.getpid()}-{port}"
    started = time.monotonic()
    container = Container.run(image, name, {
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_emulator.url,
        "HOST": "127.0.0.1", "PORT": str(port), "PLACEHOLDER_AFTER": str(NO_PLACEHOLDER),
    })
    try:
        wait_until(lambda: not container.running() or answers(port, "/readyz"), 300, every=0.1,
                   what="/readyz answering 200")
        assert container.running(), f"the container exited:\n{container.logs()[-3000:]}"
        print(f"\n/readyz 200 after {time.monotonic() - started:.1f} s")
        wait_until(container.healthy, 120, every=1, what="the HEALTHCHECK passing")
        ready = get(port, "/readyz").json()
        assert ready["ready"] is True and ready["passages"] > 50, ready

        with httpx.Client(timeout=30) as http:
            asker = HttpBot(slack_emulator, None, f"http://127.0.0.1:{port}/slack/events", http)  # type: ignore[arg-type]
            acked, ts = asker.mention("Is the NeurIPS checklist required?")
        assert acked.status_code == 200
        [answer] = slack_emulator.wait_for("chat.postMessage", timeout=180,
                                           where=lambda call: call.body.get("thread_ts") == ts)
        assert answer.body["channel"] == "C1"
        assert "checklist is NOT required" in str(answer.body.get("blocks")) + str(answer.body.get("text"))

        metrics = get(port, "/metrics")
        assert metrics is not None and metrics.status_code == 200
        assert "# TYPE" in metrics.text

        assert container.stop() == 0, container.logs()[-3000:]
        log = container.logs()
        assert "Traceback" not in log, log[-3000:]
        assert f"HTTP mode on 127.0.0.1:{port} stopped" in log, log[-3000:]
    finally:
        container.remove()
