"""A Chroma server (the one shipped in the package) as its own process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .waiting import listening, wait_until


@pytest.fixture
def chroma_server(tmp_path) -> Iterator[int]:
    """The port of a Chroma server storing under tmp_path."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    process = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: listening(port), 120, every=0.1, what="the Chroma server listening")
    yield port
    process.terminate()
    process.wait(timeout=10)
