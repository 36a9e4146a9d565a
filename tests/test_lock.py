"""One lock file for every install: uv.lock agrees with pyproject.toml, every install path reads it, and
the environment these tests run in holds exactly the versions it pins."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "uv.lock"


def lock() -> dict:
    return tomllib.loads(LOCK.read_text(encoding="utf-8"))


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(specs: list[str]) -> set[tuple[str, str, str]]:
    """Name, version range and marker of each requirement, spelled the same way whoever wrote them."""
    parsed = [Requirement(spec) for spec in specs]
    return {(normalized(r.name), str(r.specifier), str(r.marker or "")) for r in parsed}


def spelled(entry: dict) -> str:
    """A requirement as uv.lock records it (name, extras, specifier, marker), back in PEP 508 form."""
    extras = f"[{','.join(entry['extras'])}]" if entry.get("extras") else ""
    marker = f"; {entry['marker']}" if entry.get("marker") else ""
    return f"{entry['name']}{extras}{entry.get('specifier', '')}{marker}"


def test_the_lock_was_made_from_this_pyproject():
    """A dependency added or changed in pyproject.toml without `make lock` fails here, before any install."""
    [own] = [p for p in lock()["package"] if p["name"] == project()["project"]["name"]]
    wanted = project()["project"]["dependencies"] + [
        f"{spec}; extra == '{extra}'" if ";" not in spec else f"{spec} and extra == '{extra}'"
        for extra, specs in project()["project"]["optional-dependencies"].items() for spec in specs]
    assert requirements([spelled(r) for r in own["metadata"]["requires-dist"]]) == requirements(wanted)
    assert requirements([spelled(r) for r in own["metadata"]["requires-dev"]["dev"]]) == \
        requirements(project()["dependency-groups"]["dev"])


def test_every_locked_file_has_a_hash():
    for package in lock()["package"]:
        for artifact in [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]:
            assert artifact.get("hash", "").startswith("sha256:"), (package["name"], artifact)


def test_this_environment_holds_the_locked_versions():
    """What a hand installed beside the lock, or an install that skipped it, shows as a version mismatch."""
    locked: dict[str, set[str]] = {}  # a package may be locked at one version per range of Pythons
    for package in lock()["package"]:
        locked.setdefault(normalized(package["name"]), set()).add(package.get("version", ""))
    installed = {normalized(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differing = {name: (installed[name], versions) for name, versions in locked.items()
                 if name in installed and installed[name] not in versions}
    assert not differing
    unlocked = set(installed) - set(locked) - {"pip"}  # a venv made by `python -m venv` brings pip
    assert not unlocked


def test_every_install_path_reads_the_lock():
    makefile = (REPO / "Makefile").read_text()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^SYNC\s*:=\s*\$\(UV\) sync --locked ", makefile, re.MULTILINE)
    assert re.search(r"^\s*\$\(SYNC\)", makefile, re.MULTILINE)
    assert "pip install -e" not in makefile and "pip install ." not in dockerfile
    syncs = re.findall(r"\buv sync\b[^\n]*", dockerfile)
    assert syncs and all(sync.startswith("uv sync --frozen --no-dev ") for sync in syncs), syncs
    assert "COPY pyproject.toml uv.lock " in dockerfile
    uv = {re.search(r"UV_VERSION\s*:?=\s*(\S+)", text).group(1) for text in (makefile, dockerfile)}
    assert len(uv) == 1, f"the Makefile and the Dockerfile install different uv versions: {uv}"
    assert "make test" in (REPO / ".ci" / "run").read_text()
