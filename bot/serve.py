"""`workshop-bot serve`: Socket Mode, HTTP mode or the console, from the credentials.

Each mode is up (the prompt shown, the port listening, the socket connected) before the slow parts
have loaded; `startup` loads them behind it, and a part that fails to load stops the bot.

Every mode serves GET /healthz, /readyz and /metrics on PORT: HTTP mode beside Slack's endpoint, Socket
Mode on a thread of its own; the console only when PORT is set (it is someone's terminal, seldom probed).
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

from bot.config import SLACK_SETTINGS, Settings, SettingError
from bot.startup import UNREACHABLE, Startup

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.ops.health import HealthServer

log = logging.getLogger(__name__)
# Seconds a thread holds the GIL while others wait for it (Python's default: 0.005). Acknowledging a
# request takes the GIL many times; under load, each time behind the threads computing answers. A
# shorter turn lets acknowledgements through sooner, for a few more thread switches.
GIL_SWITCH_INTERVAL = 0.001


def serve(startup: Startup) -> None:
    """Answer questions until stopped; the reminder service runs alongside once loaded. SettingError
    when the mode the settings ask for cannot be: never a silent change of mode."""
    mode = startup.settings.slack_mode
    if mode == "console":
        _console_allowed(startup.settings)
        _console(startup)
    elif mode == "socket":
        _socket_mode(startup)
    else:
        _http(startup)


def _console_allowed(settings: Settings) -> None:
    """The console answers at a terminal (or a pipe); it is never what half a Slack configuration, or a
    container started without one, silently becomes."""
    given = [name.upper() for name in SLACK_SETTINGS if getattr(settings, name)]
    if given:
        raise SettingError(f"{' and '.join(given)} set, but Slack needs SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket "
                           "Mode) or with SLACK_SIGNING_SECRET (HTTP); unset them all for the console")
    if _stdin_is_null():
        raise SettingError("no Slack settings (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) and no "
                           "terminal for the console: set them, or run the bot in a terminal")


def _stdin_is_null() -> bool:
    """Standard input is /dev/null or closed: a container or service without a terminal."""
    try:
        given, null = os.fstat(sys.stdin.fileno()), os.stat(os.devnull)
    except (OSError, ValueError, AttributeError):
        return True
    return stat.S_ISCHR(given.st_mode) and given.st_rdev == null.st_rdev


def ready_details(startup: Startup) -> dict[str, object]:
    """What /readyz reports once everything has loaded (nothing waits then): a site out of reach leaves the
    bot ready, answering from its last crawl, and says so here."""
    from bot.knowledge.crawler import site_status

    details: dict[str, object] = {"passages": startup.assistant.store.count(),
                                  "editions": startup.registry.editions.ids()}
    if sites := site_status(startup.settings):
        details["sites"] = sites
    return details


def _health(startup: Startup) -> HealthServer:
    from bot.ops.health import HealthServer, health_app  # uvicorn: not imported by a console without PORT

    settings = startup.settings
    return HealthServer(health_app(startup.loading, lambda: ready_details(startup)), settings.host, settings.port)


def _console(startup: Startup) -> None:
    from rich.console import Console

    from bot.console import Prompt, greet, run_console

    health = _health(startup).start() if "port" in startup.settings.model_fields_set else None
    console = Console()
    greet(startup.settings, startup.registry, console)
    prompt = Prompt()
    startup.start(on_failure=prompt.interrupt)  # then `serve` says why, and exits
    try:
        run_console(startup, console, prompt=prompt)
    finally:
        if health is not None:
            health.stop()


def _socket_mode(startup: Startup) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import build_app
    from bot.slack.client import web_client
    from bot.slack.context import SlackContext

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    settings = startup.settings
    health = _health(startup).start()
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    connected: list[SocketModeHandler] = []

    def connect() -> None:  # the startup's first part: tried again while Slack cannot be reached
        handler = SocketModeHandler(build_app(SlackContext(settings, startup), verify_requests=False), token,
                                    web_client=web_client(settings, token))
        handler.connect()
        connected.append(handler)

    try:
        stopped = threading.Event()
        startup.start(on_failure=lambda error: stopped.set(), first=("slack", connect))
        try:
            stopped.wait()
        finally:
            for handler in connected:
                handler.close()
    finally:
        health.stop()


def _http(startup: Startup) -> None:
    import uvicorn

    from bot.slack.context import SlackContext
    from bot.slack.http import asgi_app

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    settings = startup.settings
    ctx = SlackContext(settings, startup)
    slack: Future[App] = Future()

    def build_slack() -> None:  # Bolt and the listeners: a second or two of imports, not before listening
        try:
            from bot.slack.app import build_app

            slack.set_result(build_app(ctx))
        except UNREACHABLE:  # tried again (the startup's backoff); the requests keep waiting
            raise
        except Exception as error:  # the requests waiting for it fail; the startup stops the server
            slack.set_exception(error)
            raise

    def stop(error: Exception) -> None:
        server.should_exit = True

    def started() -> None:
        startup.start(on_failure=stop, first=("slack", build_slack))

    server = uvicorn.Server(uvicorn.Config(asgi_app(ctx, slack.result, startup.loading, started), host=settings.host,
                                           port=settings.port, log_level="warning",
                                           log_config=None))  # its loggers log as ours do (bot/ops/logs.py)
    log.warning("HTTP mode on %s:%s (POST /slack/events, GET /healthz, GET /readyz, GET /metrics)",
                settings.host, settings.port)
    server.run()
    log.warning("HTTP mode on %s:%s stopped", settings.host, settings.port)  # SIGTERM: a clean stop, said
