"""The image, built from the Dockerfile and run: it becomes ready, passes its HEALTHCHECK, answers a signed
Slack mention in its thread through the emulator, serves /metrics, and stops cleanly on SIGTERM; it migrates a
PostgreSQL database and answers from a Chroma server, as compose and Kubernetes run it; deploy/k8s's two
replicas, played by podman, and deploy/compose.yaml's, brought up with podman-compose or docker compose, become
ready, elect one leader and each answer a mention in its thread. It keeps
its HEALTHCHECK, stays under 500 MB above its base, starts from the build's bytecode, and holds no copy of the
CA the build trusted. Skipped, saying why, where no container engine can be had (tests/container_harness.py);
`-s` shows the build's time and what each layer adds."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .container_harness import (BASE_IMAGE, HOST_CA, Container, Timings, base_image, build, engine, inspect,
                                layers, missing, run_once, size)
from .relay import Relay
from .slack_emulator import BOT_TOKEN
from .slack_harness import NO_PLACEHOLDER, SECRET, HttpBot, free_port
from .test_deploy import COMPOSE, ENV_EXAMPLE, K8S, k8s, version
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


def answers_at(host: str, path: str, port: int = 3000) -> bool:
    try:
        return httpx.get(f"http://{host}:{port}{path}", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


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
        relay = Relay.to_unix(f"{sockets}/.s.PGSQL.{url.port or 5432}")
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


KUBE_NETWORK = "podman-default-kube-network"  # where `podman kube play` puts pods
REPLICAS = ("workshop-bot-pod-0", "workshop-bot-pod-1")


def pod_ip(pod: str) -> str:
    return container_ip(subprocess.run([*engine(), "pod", "inspect", "--format", "{{.InfraContainerID}}", pod],
                                       capture_output=True, text=True, check=True).stdout.strip())


def kube_gateway() -> str:
    """The host's address on the pods' network (made now if it is not there yet)."""
    if subprocess.run([*engine(), "network", "exists", KUBE_NETWORK], capture_output=True, check=False).returncode:
        subprocess.run([*engine(), "network", "create", KUBE_NETWORK], capture_output=True, check=True)
    return subprocess.run([*engine(), "network", "inspect", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}",
                           KUBE_NETWORK], capture_output=True, text=True, check=True).stdout.strip()


def container_ip(name: str) -> str:
    return subprocess.run([*engine(), "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           name], capture_output=True, text=True, check=True).stdout.strip()


def remove_pods() -> None:
    subprocess.run([*engine(), "pod", "rm", "--force", *REPLICAS], capture_output=True, check=False, timeout=120)


def each_answers_a_mention_in_its_thread(slack_emulator, urls: list[str]) -> None:
    """A signed `app_mention` sent to each replica's /slack/events: each is answered once, in its own thread."""
    with httpx.Client(timeout=30) as http:
        threads = []
        for url in urls:
            asker = HttpBot(slack_emulator, None, f"{url}/slack/events", http)  # type: ignore[arg-type]
            acked, ts = asker.mention("Is the NeurIPS checklist required?")
            assert acked.status_code == 200, (url, acked.text)
            threads.append(ts)
    for url, ts in zip(urls, threads, strict=True):
        [answer] = slack_emulator.wait_for("chat.postMessage", timeout=180,
                                           where=lambda call, ts=ts: call.body.get("thread_ts") == ts)
        assert answer.body["channel"] == "C1", (url, answer.body)
        assert "checklist is NOT required" in str(answer.body.get("blocks")) + str(answer.body.get("text")), url
    answered = [call.body.get("thread_ts") for call in slack_emulator.of("chat.postMessage")]
    assert sorted(ts for ts in answered if ts in threads) == sorted(threads), answered  # once each


def test_kubernetes_manifests_played_two_replicas_ready_one_leader(image, tmp_path, postgres_url, slack_emulator):
    """deploy/k8s's Deployment (two replicas) and ConfigMap played by `podman kube play`, its Secret given as a
    podman secret (podman 4.3 reads a secretRef's values from one, as JSON), pointed at the test's PostgreSQL,
    Chroma server and Slack emulator through the bridge: the migration the Job runs, both pods ready, one leader,
    and each pod answers a signed mention in its thread."""
    if engine()[0] != "podman":
        pytest.skip("the manifests are played with `podman kube play`: podman is not the engine here")
    if "host" not in (database := make_url(postgres_url)).query:
        pytest.skip("relayed to the pods from the test PostgreSQL's Unix socket; this one listens on TCP")
    gateway = kube_gateway()
    pg = Relay.to_unix(f"{database.query['host']}/.s.PGSQL.{database.port or 5432}", host="0.0.0.0")
    slack = Relay.to_local(slack_emulator.server.server_address[1])
    chroma_port = free_port()
    chroma = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "chroma"),
                               "--host", "0.0.0.0", "--port", str(chroma_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = database.set(host=gateway, port=pg.port, query={}).render_as_string(hide_password=False)
    configmap = k8s("ConfigMap")
    configmap["data"] |= {"CHROMA_HOST": gateway, "CHROMA_PORT": str(chroma_port),
                          "PLACEHOLDER_AFTER": str(NO_PLACEHOLDER)}  # one message an answer
    secret = k8s("Secret")["stringData"] | {
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": url,
        "SLACK_API_URL": f"http://{gateway}:{slack.port}/api/"}
    played = tmp_path / "play.yaml"
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    for container in deployment["spec"]["template"]["spec"]["containers"]:  # podman 4.3 would publish each on the
        container.pop("ports")  # host, and the second replica could not take them; the probes name the port anyway
    played.write_text(yaml.safe_dump_all([configmap, deployment]))
    conf = tmp_path / "containers.conf"  # kube play has no --ulimit; runc, not crun
    conf.write_text('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n'
                    '[engine]\nruntime = "runc"\n')
    env = os.environ | {"CONTAINERS_CONF": str(conf)}
    secret_name = k8s("Secret")["metadata"]["name"]
    try:
        subprocess.run([*engine(), "secret", "create", secret_name, "-"], check=True, capture_output=True,
                       input=json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in secret.items()}).encode())
        run_once(image, "workshop-bot", "db", "upgrade", env={"DATABASE_URL": url.replace(gateway, "127.0.0.1")})
        remove_pods()  # what a run stopped halfway left
        played_out = subprocess.run([*engine(), "kube", "play", str(played)], capture_output=True, text=True, env=env,
                                    check=False, timeout=300)
        assert played_out.returncode == 0, played_out.stderr
        ips = [pod_ip(pod) for pod in REPLICAS]
        for ip in ips:
            wait_until(lambda ip=ip: answers_at(ip, "/readyz"), 300, every=0.5, what=f"/readyz of the pod at {ip}")
        with create_engine(postgres_url).connect() as connection:
            holders = connection.execute(text("SELECT name, holder FROM leases WHERE expires_at > now()")).all()
        logs = [subprocess.run([*engine(), "logs", f"{pod}-bot"], capture_output=True, text=True,
                               check=False).stderr for pod in REPLICAS]
        print(f"\nready: {ips}; leases: {holders}")
        assert len(holders) == 1 and holders[0].holder.split(":")[0] in REPLICAS, holders
        assert sum("holds the" in log for log in logs) == 1, logs
        each_answers_a_mention_in_its_thread(slack_emulator, [f"http://{ip}:3000" for ip in ips])
    finally:
        remove_pods()
        subprocess.run([*engine(), "secret", "rm", secret_name], capture_output=True, check=False)
        chroma.terminate()
        pg.close()
        slack.close()


def compose_command(project: str) -> list[str]:
    """docker compose where a Docker daemon answers, else podman-compose (a dev dependency)."""
    if engine()[0] == "docker":
        return ["docker", "compose", "-p", project]
    return [str(Path(sys.executable).parent / "podman-compose"), "-p", project]


def test_compose_brought_up_two_replicas_ready_one_leader(image, tmp_path, postgres_url, slack_emulator):
    """deploy/compose.yaml brought up as it is, with an override of what cannot be had here: no registry, so
    the Chroma service runs `chroma run` from the bot's own image and the mail service Python's SMTP sink (for
    Mailpit); PostgreSQL and the Slack API are the test's, relayed to the host's address on the compose network.
    The replicas publish no host port (their port range is a Docker feature podman refuses): the test reaches
    each at its address. The migration runs first, both bots become ready, one holds the lease, each answers."""
    if "host" not in (database := make_url(postgres_url)).query:
        pytest.skip("relayed to the containers from the test PostgreSQL's Unix socket; this one listens on TCP")
    host = "host.containers.internal" if engine()[0] == "podman" else "host.docker.internal"
    pg = Relay.to_unix(f"{database.query['host']}/.s.PGSQL.{database.port or 5432}", host="0.0.0.0")
    slack = Relay.to_local(slack_emulator.server.server_address[1])
    url = database.set(host=host, port=pg.port, query={}).render_as_string(hide_password=False)
    env_file = tmp_path / "bot.env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "\n".join([
        "", f"SLACK_BOT_TOKEN={BOT_TOKEN}", f"SLACK_SIGNING_SECRET={SECRET}", f"SLACK_API_URL=http://{host}:{slack.port}/api/",
        f"PLACEHOLDER_AFTER={NO_PLACEHOLDER}", ""]))  # the last of a name wins; one message an answer
    database_url = {"DATABASE_URL": url}
    extra_hosts = f"\n    extra_hosts: [{host}:host-gateway]" if engine()[0] == "docker" else ""
    # `!reset` (compose's merge tag) drops what compose.yaml has, where an override would add to it.
    overridden = tmp_path / "override.yaml"
    overridden.write_text(f"""services:
  migrate:
    environment: {json.dumps(database_url)}
    depends_on: !reset {{}}
  bot:
    environment: {json.dumps(database_url)}
    ports: !reset []{extra_hosts}
  chroma:
    image: {image}
    command: [chroma, run, --path, /data, --host, 0.0.0.0, --port, "8000"]
  mailpit:
    image: {image}
    command: [python, -m, smtpd, -n, -c, DebuggingServer, "0.0.0.0:1025"]
    ports: !reset []
""")
    project = f"workshop-bot-test-{os.getpid()}"
    stack = [*compose_command(project), "-f", str(COMPOSE), "-f", str(overridden)]
    conf = tmp_path / "containers.conf"  # podman-compose has no --ulimit for every container; runc, not crun
    conf.write_text('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n'
                    '[engine]\nruntime = "runc"\n')
    env = os.environ | {"WORKSHOP_BOT_ENV_FILE": str(env_file), "POSTGRES_PASSWORD": "unused",
                        "CONTAINERS_CONF": str(conf)}
    started = time.monotonic()
    try:
        up = subprocess.run([*stack, "up", "-d", "bot"], capture_output=True, text=True, env=env, check=False,
                            timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        with create_engine(postgres_url).connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()  # migrate ran
        bots = [f"{project}_bot_{n}" for n in (1, 2)] if engine()[0] == "podman" else \
            [f"{project}-bot-{n}" for n in (1, 2)]
        ips = [container_ip(name) for name in bots]
        for ip in ips:
            wait_until(lambda ip=ip: answers_at(ip, "/readyz"), 300, every=0.5, what=f"/readyz of the bot at {ip}")
        print(f"\ncompose up to both /readyz 200: {time.monotonic() - started:.1f} s")
        containers = [Container(name, image) for name in bots]
        for container in containers:  # the probe compose.yaml states, as the engine runs it
            wait_until(container.healthy, 120, every=1, what=f"the healthcheck of {container.name} passing")
        with create_engine(postgres_url).connect() as connection:
            holders = connection.execute(text("SELECT name, holder FROM leases WHERE expires_at > now()")).all()
        logs = [container.logs() for container in containers]
        print(f"ready: {ips}; leases: {holders}")
        assert len(holders) == 1, holders
        assert sum("holds the" in log for log in logs) == 1, logs
        each_answers_a_mention_in_its_thread(slack_emulator, [f"http://{ip}:3000" for ip in ips])
    finally:
        subprocess.run([*stack, "down", "-v", "-t", "30"], capture_output=True, env=env, check=False, timeout=300)
        pg.close()
        slack.close()
