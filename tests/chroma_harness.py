"""A Chroma server (the one shipped in the package) as its own process, and a gate in front of it: a TCP
proxy that holds every connection until opened, as a server slow to answer would."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
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


class Gate:
    """Accepts connections on `port` at once; carries their bytes to `target` only once `open()`ed.
    `port` may be given: a service that appears where the bot has been trying to reach it."""

    def __init__(self, target: int, port: int = 0) -> None:
        self.target = target
        self.opened = threading.Event()
        self.held = 0  # connections accepted so far
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed
                return
            self.held += 1
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client: socket.socket) -> None:
        self.opened.wait()
        upstream = socket.create_connection(("127.0.0.1", self.target))
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:  # the other side went away
        pass
