"""`workshop-bot serve`: Socket Mode, HTTP mode or the console, from the credentials."""

from __future__ import annotations

import logging
import sys

from bot.runtime import Runtime

log = logging.getLogger(__name__)
# Seconds a thread holds the GIL while others wait for it (Python's default: 0.005). Acknowledging a
# request takes the GIL many times; under load, each time behind the threads computing answers. A
# shorter turn lets acknowledgements through sooner, for a few more thread switches.
GIL_SWITCH_INTERVAL = 0.001


def serve(runtime: Runtime) -> None:
    """Answer questions until stopped; the reminder service (started earlier) runs alongside."""
    settings = runtime.settings
    mode = settings.slack_mode
    if mode == "console":
        from rich.console import Console

        from bot.console import run_console

        run_console(runtime, Console())
        return

    from bot.slack.app import build_app

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    ctx = runtime.slack
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from bot.slack.client import web_client

        app = build_app(ctx, verify_requests=False)
        app_client = web_client(settings, settings.slack_app_token)
        SocketModeHandler(app, settings.slack_app_token, web_client=app_client).start()
        return

    import uvicorn

    from bot.slack.http import asgi_app

    log.warning("HTTP mode on %s:%s (POST /slack/events, GET /healthz, GET /metrics)", settings.host, settings.port)
    uvicorn.run(asgi_app(build_app(ctx), ctx), host=settings.host, port=settings.port, log_level="warning")
