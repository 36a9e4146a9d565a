"""A published site on loopback: a folder served as a static host serves it (`/cfp/` is `cfp/index.html`),
with `ETag` and `Last-Modified`, 304s, and what the crawler tests need besides (a robots.txt, redirects,
stalled pages, extra routes). Every request is logged, so tests assert on what was fetched."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".xml": "application/xml",
         ".txt": "text/plain", ".pdf": "application/pdf"}


@dataclass
class Request:
    path: str
    status: int
    headers: dict[str, str]


@dataclass
class SiteServer:
    root: Path
    robots: str | None = None
    redirects: dict[str, str] = field(default_factory=dict)  # path → Location
    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path → (status, type, body)
    held: set[str] = field(default_factory=set)  # paths answered only once the server stops: a stalled page
    log: list[Request] = field(default_factory=list)

    def __enter__(self) -> SiteServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up waiting
                    site.answer(self)

        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fetched(self, status: int | None = None) -> list[str]:
        return [r.path for r in self.log if status is None or r.status == status]

    def answer(self, handler: BaseHTTPRequestHandler) -> int:
        path = urlsplit(handler.path).path
        if path in self.held:
            self._stopping.wait()
        if path in self.redirects:
            return self._send(handler, 301, {"Location": self.redirects[path]}, b"")
        if path in self.routes:
            status, kind, body = self.routes[path]
            return self._send(handler, status, {"Content-Type": kind}, body)
        if path == "/robots.txt" and self.robots is not None:
            return self._send(handler, 200, {"Content-Type": "text/plain"}, self.robots.encode())
        file = self._file(path)
        if file is None:
            return self._send(handler, 404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        body = file.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        modified = formatdate(int(file.stat().st_mtime), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified,
                   "Content-Type": TYPES.get(file.suffix, "application/octet-stream")}
        if handler.headers.get("If-None-Match") == etag:
            return self._send(handler, 304, {"ETag": etag}, b"")
        return self._send(handler, 200, headers, body)

    def _file(self, path: str) -> Path | None:
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()):
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> int:
        """Logged before a byte is sent: once the client has its answer, the log shows the request."""
        self.log.append(Request(urlsplit(handler.path).path, status, dict(handler.headers.items())))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return status

