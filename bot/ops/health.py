"""GET /healthz, /readyz and /metrics: one small ASGI app, served in every mode on PORT (HTTP mode mounts
it beside Slack's endpoint; Socket Mode and the console run it on a thread of its own).

/healthz answers as soon as the server listens; /readyz names what is still loading, then 200 with what
`details` reports; /metrics is Prometheus's text format (the outbox's counts are read from the database
at each scrape, off the event loop)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

Loading = Callable[[], list[str]]  # the parts not ready yet
Details = Callable[[], dict[str, object]]  # what /readyz reports once ready (called off the event loop)


def health_app(loading: Loading = list, details: Details = dict,
               started: Callable[[], None] = lambda: None) -> Starlette:
    """`started` is called as the server starts (when this app is the server's, not mounted in another)."""

    async def healthz(_: Request) -> Response:
        """Liveness: the process serves HTTP (it may still be loading)."""
        return JSONResponse({"ok": True})

    async def readyz(_: Request) -> Response:
        """Readiness: 200 once everything has loaded, else 503 naming what has not."""
        if waiting := loading():
            return JSONResponse({"ready": False, "loading": waiting}, status_code=503)
        return JSONResponse({"ready": True, **await run_in_threadpool(details)})

    async def metrics(_: Request) -> Response:
        return Response(await run_in_threadpool(generate_latest), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        started()
        yield

    return Starlette(lifespan=lifespan, routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ])


class _Server(uvicorn.Server):
    """Says when it listens, or has given up (uvicorn logs why, e.g. the port is taken)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.settled = threading.Event()
        self.exit_code: str | int | None = None

    async def startup(self, sockets: list | None = None) -> None:
        await super().startup(sockets)
        self.settled.set()

    def run(self, sockets: list | None = None) -> None:
        try:
            super().run(sockets)
        except SystemExit as stopped:  # on this thread: handed to the one that waits in `HealthServer.start`
            self.exit_code = stopped.code
        finally:
            self.settled.set()


class HealthServer:
    """`health_app` under uvicorn on a thread of its own, beside Socket Mode or the console."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", log_config=None))
        self.thread = threading.Thread(target=self.server.run, name="health", daemon=True)
        self.address = f"{host}:{port}"

    def start(self) -> HealthServer:
        """Returns once the port listens; SystemExit with uvicorn's code (as in HTTP mode) if it cannot."""
        self.thread.start()
        self.server.settled.wait()
        if not self.server.started:
            raise SystemExit(self.server.exit_code or 1)
        log.warning("GET /healthz, /readyz and /metrics on %s", self.address)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
