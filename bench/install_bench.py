"""Install figures of a fresh clone: the Makefile's runtime install, the size of `.venv`, `make run` to the
console's prompt, and the largest packages.

A clean `git clone` of this repository (its committed HEAD, or `--ref`) in a temporary folder; then, as a
new user's `make run` does: `make install` (uv, then the runtime install from uv.lock), then `make run` on a
terminal until the prompt shows (the first start: knowledge/ is indexed, the model loaded, bytecode written
for what is imported), then one `workshop-bot ask`. uv's cache starts empty, as on a fresh machine, so every
package is downloaded (`--warm` uses this machine's cache instead). Network and disk, so it runs only when
named: `python -m bench --only install`, or `python -m bench.install_bench --ref COMMIT` for another commit.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import subprocess
import tempfile
import time
from pathlib import Path

from bot.config import Settings

REPO = Path(__file__).resolve().parent.parent
PROMPT = b"you>"
PROMPT_TIMEOUT = 900.0
LARGEST = 10
Figures = dict[str, float | int | str]


def size_mb(root: Path) -> float:
    """Disk usage as `du` counts it: allocated blocks, each hard-linked file once."""
    seen: set[tuple[int, int]] = set()
    blocks = 0
    for folder, _, files in os.walk(root):
        for name in files:
            stat = Path(folder, name).lstat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                blocks += stat.st_blocks
    return blocks * 512 / 2**20


def largest_packages(venv: Path) -> str:
    """The top-level entries of site-packages by size (a package's data, libraries and bytecode included)."""
    site = next(venv.glob("lib/python*/site-packages"))
    sizes = {entry.name: size_mb(entry) if entry.is_dir() else entry.stat().st_size / 2**20 for entry in site.iterdir()
             if not entry.name.endswith((".dist-info", ".pth"))}
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:LARGEST]
    return ", ".join(f"{name} {mb:,.0f}" for name, mb in top)


def clean_env() -> dict[str, str]:
    """This environment as a user's shell has it: without the bot's settings (the clone runs on its defaults),
    an active venv, or PYTHONDONTWRITEBYTECODE (set on some CI machines; Python writes bytecode by default)."""
    return {key: value for key, value in os.environ.items() if key.lower() not in Settings.model_fields
            and key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}}


def to_prompt(clone: Path, env: dict[str, str]) -> float:
    """Seconds from `make run` to the console's prompt, on a terminal; then the console is quit."""
    leader, follower = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(["make", "-C", str(clone), "run"], stdin=follower, stdout=follower, stderr=follower,
                               env=env, start_new_session=True)
    os.close(follower)
    seen = b""
    try:
        while PROMPT not in seen:
            if time.perf_counter() - started > PROMPT_TIMEOUT or process.poll() is not None:
                raise RuntimeError(f"no prompt from `make run`: {seen[-2000:].decode(errors='replace')}")
            if select.select([leader], [], [], 1.0)[0]:
                seen = (seen + os.read(leader, 65536))[-8192:]
        seconds = time.perf_counter() - started
        os.write(leader, b"quit\n")
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    return seconds


def uv_cache_mb(clone: Path, env: dict[str, str]) -> float:
    found = subprocess.run([str(clone / ".tools" / "bin" / "uv"), "cache", "dir"], env=env, capture_output=True,
                           text=True, check=False)
    folder = Path(found.stdout.strip())
    return size_mb(folder) if found.returncode == 0 and folder.is_dir() else 0.0


def run(ref: str = "HEAD", warm: bool = False) -> Figures:
    figures: Figures = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clone = tmp / "clone"
        env = clean_env() | ({} if warm else {"UV_CACHE_DIR": str(tmp / "uv-cache")})
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", ref], check=True, capture_output=True,
                                text=True).stdout.strip()
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
        figures["commit"] = commit[:12]
        figures["uv cache"] = "this machine's" if warm else "empty (a fresh machine)"

        log = tmp / "install.log"
        started = time.perf_counter()
        with log.open("wb") as out:
            installed = subprocess.run(["make", "-C", str(clone), "install"], stdout=out,
                                       stderr=subprocess.STDOUT, env=env, check=False)
        if installed.returncode:
            raise RuntimeError(f"install failed: {log.read_text(errors='replace')[-3000:]}")
        figures["install: make install (s)"] = time.perf_counter() - started
        venv = clone / ".venv"
        figures[".venv right after install (MB)"] = size_mb(venv)

        prompt = to_prompt(clone, env)
        figures["first `make run` once installed, to the prompt (s)"] = prompt
        figures["fresh clone: `make run` to the prompt (s)"] = figures["install: make install (s)"] + prompt
        started = time.perf_counter()
        subprocess.run([str(venv / "bin" / "workshop-bot"), "ask", "When is the submission deadline?"], cwd=clone,
                       env=env, check=True, capture_output=True)
        figures["then `workshop-bot ask` (s)"] = time.perf_counter() - started
        figures[".venv after the first run and ask (MB)"] = size_mb(venv)
        figures["largest packages after (MB)"] = largest_packages(venv)
        figures["uv cache after (MB)"] = uv_cache_mb(clone, env)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.install_bench")
    parser.add_argument("--ref", default="HEAD", help="the commit to install (default: HEAD)")
    parser.add_argument("--warm", action="store_true", help="use this machine's uv cache instead of an empty one")
    arguments = parser.parse_args()
    for key, value in run(arguments.ref, arguments.warm).items():
        print(f"{key}: {value:,.1f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
