"""The deployment files agree with the bot and with each other: every variable they set is a setting,
the ports, images and health endpoints match, and the systemd unit stays sandboxed."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "workshop-bot.env.example"
UNIT = DEPLOY / "workshop-bot.service"
K8S = DEPLOY / "k8s"
# Variables for the other programs in the files: Postgres's image, the interpreter, pip.
NOT_THE_BOT = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "PATH", "PYTHONUNBUFFERED",
               "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
BOT_SERVICES = ("migrate", "bot")
MIGRATE = ["workshop-bot", "db", "upgrade"]
MAX_EXPOSURE = 2.0


def version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def settings_variables() -> set[str]:
    """The variables Settings reads: each field's name (or alias) with the prefix, compared case-insensitively."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = {field.validation_alias if isinstance(field.validation_alias, str) else name
             for name, field in Settings.model_fields.items()}
    return {f"{prefix}{name}".upper() for name in names}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def k8s(kind: str, name: str | None = None) -> dict:
    found = [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())
             if doc and doc["kind"] == kind and name in (None, doc["metadata"].get("name"))]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''} in {K8S}"
    return found[0]


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, and the commented-out `#KEY=value` suggestions too."""
    lines = (line.strip().removeprefix("#") for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if re.match(r"[A-Z_][A-Z0-9_]*=", line))


def dockerfile_runtime() -> str:
    """The last stage of the Dockerfile, continuation lines joined: what ships."""
    return DOCKERFILE.read_text().replace("\\\n", " ").split("\nFROM ")[-1]


def dockerfile_env() -> dict[str, str]:
    pairs = [p for line in dockerfile_runtime().splitlines() if line.startswith("ENV ") for p in shlex.split(line[4:])]
    return dict(pair.split("=", 1) for pair in pairs)


def unit_env() -> dict[str, str]:
    lines = [line.removeprefix("Environment=") for line in UNIT.read_text().splitlines()
             if line.startswith("Environment=")]
    return dict(pair.split("=", 1) for line in lines for pair in shlex.split(line))


def compose_env(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items()}


def k8s_env(kind: str) -> dict[str, str]:
    containers = k8s(kind)["spec"]["template"]["spec"]["containers"]
    return {e["name"]: str(e.get("value", "")) for c in containers for e in c.get("env", [])}


def every_variable() -> dict[str, set[str]]:
    """Which file sets which variable."""
    services = compose()["services"]
    files = {
        "compose.yaml": {name for service in services.values() for name in compose_env(service)},
        ENV_EXAMPLE.name: set(env_file(ENV_EXAMPLE)),
        "Dockerfile": set(dockerfile_env()),
        UNIT.name: set(unit_env()),
        "k8s ConfigMap": set(k8s("ConfigMap")["data"]),
        "k8s Secret": set(k8s("Secret")["stringData"]),
        "k8s Deployment": set(k8s_env("Deployment")),
        "k8s Job": set(k8s_env("Job")),
    }
    assert all(files[f] for f in ("compose.yaml", "Dockerfile", UNIT.name, "k8s ConfigMap", "k8s Secret"))
    return files


def test_every_yaml_file_parses():
    paths = sorted(DEPLOY.rglob("*.yaml"))
    assert COMPOSE in paths and len(list(K8S.glob("*.yaml"))) >= 6
    for path in paths:
        assert all(doc is not None for doc in yaml.safe_load_all(path.read_text())), path


def test_every_variable_the_files_set_is_a_setting():
    known = settings_variables() | NOT_THE_BOT
    unknown = {f"{where}: {name}" for where, names in every_variable().items() for name in names
               if name.upper() not in known}
    assert not unknown


def test_the_values_the_files_give_are_valid_settings(monkeypatch):
    """The bot starts with them: numbers are numbers, addresses addresses, SMTP_SECURITY one of three."""
    bot = compose()["services"]["bot"]
    for values in (env_file(ENV_EXAMPLE) | compose_env(bot), dockerfile_env(), unit_env(),
                   k8s("ConfigMap")["data"] | k8s("Secret")["stringData"]):
        with monkeypatch.context() as patch:
            for name, value in values.items():
                if name not in NOT_THE_BOT:
                    patch.setenv(name, str(value))
            Settings(_env_file=None)


def test_compose_runs_the_bot_twice_on_postgres_chroma_and_mailpit_after_the_migration():
    services = compose()["services"]
    bot, migrate = services["bot"], services["migrate"]
    assert bot["deploy"]["replicas"] == 2
    assert migrate["command"] == MIGRATE
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in BOT_SERVICES:
        env = compose_env(services[name])
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CHROMA_HOST"] in services and services[env["CHROMA_HOST"]]["image"].startswith("chromadb/chroma:")
        assert env["SMTP_HOST"] in services and services[env["SMTP_HOST"]]["image"].startswith("axllent/mailpit:")
        assert (env["SMTP_PORT"], env["SMTP_SECURITY"]) == ("1025", "none")


def test_images_agree_across_files():
    image = f"workshop-bot:{version()}"
    services = compose()["services"]
    assert {services[name]["image"] for name in BOT_SERVICES} == {image}
    for kind in ("Deployment", "Job"):
        assert {c["image"] for c in k8s(kind)["spec"]["template"]["spec"]["containers"]} == {image}
    chroma = k8s("StatefulSet", "chroma")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert chroma == services["chroma"]["image"]


def test_the_ports_agree_across_dockerfile_compose_and_kubernetes():
    port = dockerfile_env()["PORT"]
    bot = compose()["services"]["bot"]
    mail = compose_env(bot)["INBOUND_PORT"]  # questions by email, over LMTP
    assert re.search(rf"^EXPOSE {port} {mail}$", dockerfile_runtime(), re.MULTILINE)
    assert compose_env(bot)["PORT"] == port
    assert sorted(mapping.rsplit(":", 1)[1] for mapping in bot["ports"]) == sorted([port, mail])
    assert (k8s("ConfigMap")["data"]["PORT"], k8s("ConfigMap")["data"]["INBOUND_PORT"]) == (port, mail)
    [container] = k8s("Deployment")["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [int(port), int(mail)]
    assert [p["targetPort"] for p in k8s("Service", "workshop-bot")["spec"]["ports"]] == [int(port)]
    assert [p["targetPort"] for p in k8s("Service", "workshop-bot-mail")["spec"]["ports"]] == [int(mail)]
    assert container["livenessProbe"]["httpGet"]["port"] == container["readinessProbe"]["httpGet"]["port"] == int(port)
    assert compose_env(bot)["INBOUND_HOST"] == k8s("ConfigMap")["data"]["INBOUND_HOST"] == "0.0.0.0"  # not loopback


def test_the_health_checks_hit_healthz_and_readyz():
    [container] = k8s("Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    [healthcheck] = [line for line in dockerfile_runtime().splitlines() if line.startswith("HEALTHCHECK")]
    assert "urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz'" in healthcheck


def test_compose_states_the_images_healthcheck():
    """The same probe, options and all: an image built in OCI format (podman's default) loses HEALTHCHECK."""
    [line] = [line for line in dockerfile_runtime().splitlines() if line.startswith("HEALTHCHECK")]
    options, command = line.split(" CMD ", 1)
    stated = compose()["services"]["bot"]["healthcheck"]
    assert stated["test"] == ["CMD", *json.loads(command)]
    assert {f"--{name.replace('_', '-')}={value}" for name, value in stated.items() if name != "test"} \
        == set(options.split()[1:])


def test_kubernetes_keeps_two_bots_and_runs_the_migration():
    deployment, pdb, service = k8s("Deployment"), k8s("PodDisruptionBudget"), k8s("Service", "workshop-bot")
    assert deployment["spec"]["replicas"] == 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] == 1
    [migrate] = k8s("Job")["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == MIGRATE
    configmap = k8s("ConfigMap")["data"]
    chroma = k8s("Service", configmap["CHROMA_HOST"])
    assert [p["port"] for p in chroma["spec"]["ports"]] == [int(configmap["CHROMA_PORT"])]
    assert k8s("Secret")["stringData"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_the_containers_run_as_the_unprivileged_user():
    user = re.search(r"useradd .*--uid (\d+)", dockerfile_runtime())
    assert user and re.search(r"^USER workshop-bot$", dockerfile_runtime(), re.MULTILINE)
    for kind in ("Deployment", "Job"):
        pod = k8s(kind)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(user.group(1))


def test_the_systemd_unit_keeps_its_data_in_the_state_directory():
    unit = UNIT.read_text()
    state = re.search(r"^StateDirectory=(\S+)$", unit, re.MULTILINE)
    assert state and unit_env()["BOT_DATA_DIR"] == f"/var/lib/{state.group(1)}"
    for line in ("ProtectSystem=strict", "UMask=0077", "NoNewPrivileges=yes", "SystemCallFilter=@system-service",
                 "Wants=network-online.target"):
        assert re.search(rf"^{line}$", unit, re.MULTILINE), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_is_rated_well_sandboxed():
    rated = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(UNIT)],
                           capture_output=True, text=True, check=True)
    exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", rated.stdout)
    assert exposure, rated.stdout[-500:]
    assert float(exposure.group(1)) <= MAX_EXPOSURE, rated.stdout
