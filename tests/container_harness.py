"""The image built from the Dockerfile and run, here: with podman (rootful, no daemon), or docker where a
daemon answers.

Nothing is pulled: no registry may be reachable. The base image stands in for `python:3.11-slim-bookworm`:
Debian bookworm made with debootstrap (python3, venv, pip, CA certificates), with the `python` and `pip`
names and without EXTERNALLY-MANAGED, as the official image has them. It is made once and kept: the
imported image, and its tarball under the cache folder for a machine whose images were cleared.

What the tools need, and what is missing, is said by `missing()`: the tests skip with that reason."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("WORKSHOP_BOT_TEST_CACHE") or Path.home() / ".cache" / "workshop-bot-test")
BASE_IMAGE = os.environ.get("WORKSHOP_BOT_TEST_BASE_IMAGE") or "localhost/python:3.11-local"
BASE_TARBALL = CACHE / "python-3.11-bookworm-rootfs.tar"
SUITE = "bookworm"
PACKAGES = ["podman", "runc", "debootstrap"]
# The CA bundle a TLS-intercepting proxy's certificate is in, when there is one: handed to the build as a
# secret (never a layer of the image).
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
INSTALL_TIMEOUT = 600


def _run(*command: str, timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    """`command` run; a failure says what it printed."""
    ran = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert ran.returncode == 0, f"{shlex.join(command)}: exit code {ran.returncode}\n{ran.stdout[-2000:]}\n" \
                                f"{ran.stderr[-3000:]}"
    return ran


def docker_daemon() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], check=False, capture_output=True).returncode == 0


def _install() -> str | None:
    """apt-get install what is missing, where this process can (root, apt); why not, otherwise."""
    wanted = [p for p, command in zip(PACKAGES, ("podman", "runc", "debootstrap"), strict=True)
              if shutil.which(command) is None]
    if not wanted:
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{', '.join(wanted)} not installed, and this is not root with apt-get to install them"
    try:
        installed = subprocess.run(["apt-get", "install", "-y", *wanted], check=False,
                                   capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                   env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    except subprocess.TimeoutExpired:
        return f"`apt-get install {' '.join(wanted)}` took over {INSTALL_TIMEOUT} s"
    if installed.returncode != 0:
        return f"`apt-get install {' '.join(wanted)}` failed: {installed.stderr.strip()[-300:]}"
    return None


def missing() -> str | None:
    """Why the image cannot be built and run here (the skip reason), or None. Installs podman, runc and
    debootstrap when it can."""
    if docker_daemon():
        return None
    if (why := _install()) is not None:
        return why
    info = subprocess.run(["podman", "info"], check=False, capture_output=True, text=True)
    if info.returncode != 0:
        return f"`podman info` fails: {info.stderr.strip()[-300:]}"
    if _image_id(BASE_IMAGE) is None and not BASE_TARBALL.exists() and os.geteuid() != 0:
        return f"no base image {BASE_IMAGE} and no {BASE_TARBALL}, and only root can debootstrap one"
    return None


def engine() -> list[str]:
    """The container engine's command: docker where its daemon answers, else podman with runc (crun cannot
    set rlimits and cgroups on machines like CI's)."""
    if docker_daemon():
        return ["docker"]
    return ["podman", "--runtime", "runc"] if shutil.which("runc") else ["podman"]


def _image_id(name: str) -> str | None:
    shown = subprocess.run([*engine(), "image", "inspect", "--format", "{{.Id}}", name], capture_output=True,
                           text=True, check=False)
    return (shown.stdout.strip() or None) if shown.returncode == 0 else None


def mirror() -> str:
    """The Debian mirror apt uses on this machine (deb822 sources or sources.list), else deb.debian.org."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        if found := re.search(r"^URIs:\s*(\S+)", path.read_text(), re.MULTILINE):
            return found.group(1)
    listed = Path("/etc/apt/sources.list")
    if listed.exists() and (found := re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", listed.read_text(), re.MULTILINE)):
        return found.group(1)
    return "http://deb.debian.org/debian"


@dataclass
class Timings:
    """Seconds each step took, in this run (0 where a cached result served)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def measure(self, what: str, started: float) -> None:
        self.seconds[what] = round(time.monotonic() - started, 1)


def base_image(timings: Timings | None = None) -> str:
    """The base image's name: there already, imported from the cached tarball, or made with debootstrap."""
    if os.environ.get("WORKSHOP_BOT_TEST_BASE_IMAGE") or _image_id(BASE_IMAGE) is not None:
        return BASE_IMAGE
    started = time.monotonic()
    if not BASE_TARBALL.exists():
        _debootstrap(BASE_TARBALL)
        if timings is not None:
            timings.measure("debootstrap", started)
    changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8",
               'CMD ["python3"]']  # as python:3.11-slim has them: a runtime given no PATH finds nothing
    _run(*engine(), "import", *(item for change in changes for item in ("--change", change)), str(BASE_TARBALL),
         BASE_IMAGE, timeout=600)
    return BASE_IMAGE


def _debootstrap(tarball: Path) -> None:
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent) as work:
        root = Path(work) / "rootfs"
        _run("debootstrap", "--variant=minbase", "--include=python3,python3-venv,python3-pip,ca-certificates",
             SUITE, str(root), mirror(), timeout=1800)
        # What python:3.11-slim has and Debian has not: `python`, `pip`, and pip allowed to install.
        for name, target in (("python", "python3"), ("pip", "pip3")):
            if not (root / "usr/bin" / name).exists():
                (root / "usr/bin" / name).symlink_to(target)
        for marker in (root / "usr/lib").glob("python3*/EXTERNALLY-MANAGED"):
            marker.unlink()
        for leftover in [*(root / "var/cache/apt/archives").glob("*.deb"), *(root / "var/lib/apt/lists").glob("*_*")]:
            leftover.unlink()
        partial = tarball.with_suffix(".partial")
        _run("tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), ".", timeout=600)
        partial.rename(tarball)  # whole or not at all: a run stopped halfway leaves no broken cache


def build(base: str, tag: str, timings: Timings | None = None, ca: Path | None = None) -> None:
    """The Dockerfile built as `tag` on `base`, in docker format (the OCI format has no HEALTHCHECK); `ca`, a
    CA bundle the build trusts as a secret (a TLS-intercepting proxy's), never stored in the image."""
    command = [*engine(), "build", "--build-arg", f"PYTHON_IMAGE={base}", "-t", tag]
    if engine()[0] == "podman":
        command += ["--format", "docker", "--isolation", "chroot", "--network", "host"]
    else:
        command += ["--network", "host"]
    if ca is not None:
        command += ["--secret", f"id=ca,src={ca}"]
    before = _image_id(tag)
    started = time.monotonic()
    built = subprocess.run([*command, str(REPO)], capture_output=True, text=True, timeout=3600, check=False)
    assert built.returncode == 0, f"the image did not build:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    if timings is not None:
        timings.measure("build", started)
    if before is not None and before != _image_id(tag):  # the last build's image, now untagged: ~0.5 GB a run
        subprocess.run([*engine(), "rmi", before], capture_output=True, check=False, timeout=120)



def inspect(image: str, template: str) -> str:
    return _run(*engine(), "image", "inspect", "--format", template, image).stdout.strip()


def size(image: str) -> int:
    """Bytes, as the engine counts them (the layers' uncompressed sizes)."""
    return int(inspect(image, "{{.Size}}"))


def layers(image: str) -> list[tuple[int, str]]:
    """What each step of the image's history added, in bytes, newest first."""
    shown = json.loads(_run(*engine(), "history", "--no-trunc", "--format", "json", image).stdout or "[]")
    return [(int(step.get("size", step.get("Size", 0))), " ".join(str(step.get("CreatedBy", "")).split()))
            for step in shown]


LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]


def run_once(image: str, *command: str, user: str | None = None, env: dict[str, str] | None = None) -> str:
    """`command` in a throwaway container of `image` (as `user`, else the image's): its output, stderr after
    stdout."""
    options = [*(["--user", user] if user else []), *(f"--env={key}={value}" for key, value in (env or {}).items())]
    ran = _run(*engine(), "run", "--rm", "--network", "host", "--no-healthcheck", *LIMITS, *options, image,
               *command, timeout=600)
    return ran.stdout + ran.stderr


@dataclass
class Container:
    """One container of the image, started detached; removed with its anonymous volume by `remove()`."""

    name: str
    image: str

    @classmethod
    def run(cls, image: str, name: str, env: dict[str, str], *args: str) -> Container:
        settings = [item for key, value in env.items() for item in ("--env", f"{key}={value}")]
        # The host's network: the container reaches the test's emulators on 127.0.0.1, and the test its port.
        # Explicit limits: the engine's defaults are whatever this machine has, which the runtime may not set.
        _run(*engine(), "run", "--detach", "--name", name, "--network", "host", *LIMITS, *settings, *args, image,
             timeout=120)
        return cls(name, image)

    def state(self, field_name: str) -> str:
        return _run(*engine(), "inspect", "--format", f"{{{{.State.{field_name}}}}}", self.name).stdout.strip()

    def running(self) -> bool:
        return self.state("Running") == "true"

    def healthy(self) -> bool:
        """The image's HEALTHCHECK says so: podman runs it when asked (its timers need systemd), docker on its own."""
        if engine()[0] == "podman":
            return subprocess.run([*engine(), "healthcheck", "run", self.name], capture_output=True,
                                  check=False, timeout=60).returncode == 0
        return self.state("Health.Status") == "healthy"

    def logs(self) -> str:
        shown = subprocess.run([*engine(), "logs", self.name], capture_output=True, text=True, check=False)
        return shown.stdout + shown.stderr

    def stop(self, timeout: int = 60) -> int:
        """SIGTERM, then SIGKILL after `timeout` s: the exit code."""
        _run(*engine(), "stop", "--time", str(timeout), self.name, timeout=timeout + 60)
        return int(self.state("ExitCode"))

    def remove(self) -> None:
        subprocess.run([*engine(), "rm", "--force", "--volumes", self.name], capture_output=True, check=False,
                       timeout=120)


