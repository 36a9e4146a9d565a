"""TCP relays for tests: connections accepted on a port, each carried to what `connect()` opens for it. A
gate holds them until opened (a server slow to answer); others reach a Unix socket, or a server on
127.0.0.1 from every address (for containers on a bridge network)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class Relay:
    def __init__(self, connect: Callable[[], socket.socket], host: str = "127.0.0.1", port: int = 0) -> None:
        self.connect = connect
        self.accepted = 0  # connections accepted so far
        self._server = socket.create_server((host, port))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @classmethod
    def to_unix(cls, path: str, host: str = "127.0.0.1") -> Relay:
        def connect() -> socket.socket:
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(path)
            return upstream
        return cls(connect, host)

    @classmethod
    def to_local(cls, port: int, host: str = "0.0.0.0") -> Relay:  # pods reach it through the bridge
        return cls(lambda: socket.create_connection(("127.0.0.1", port)), host)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client: socket.socket) -> None:
        upstream = self.connect()
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)


class Gate(Relay):
    """Accepts connections on `port` at once; carries their bytes to `target` only once `open()`ed.
    `port` may be given: a service that appears where the bot has been trying to reach it."""

    def __init__(self, target: int, port: int = 0) -> None:
        self.opened = threading.Event()

        def connect() -> socket.socket:
            self.opened.wait()
            return socket.create_connection(("127.0.0.1", target))

        super().__init__(connect, port=port)

    @property
    def held(self) -> int:
        return self.accepted

    def open(self) -> None:
        self.opened.set()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:  # the other side went away
        pass
