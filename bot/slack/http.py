"""HTTP mode: an ASGI app with Slack's endpoint and the calendar feed, and (bot/ops/health.py) the liveness
and readiness checks and Prometheus metrics that every mode serves.

Anyone can reach the endpoint, so nothing is parsed, and nothing larger than SLACK_MAX_BODY is read,
before Slack's signature is checked; a refused request costs one log line.

The app serves before the bot has loaded: /healthz answers at once, /readyz names what is still
loading, and a Slack request waits for what it needs (the Bolt app and the database, about a second
into the start) before it is acknowledged; its answer comes once the assistant is ready.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from bot.events.calendar import calendar
from bot.ops.health import health_app
from bot.slack.metrics import ACK_SECONDS
from bot.templates import describer

if TYPE_CHECKING:  # Bolt and its listeners load in the background while `serve` starts
    from slack_bolt import App

    from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


class Refused(Exception):
    """A request answered with `status` and nothing else."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `limit`: from Content-Length before
    reading anything, else while the (chunked) body streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise Refused(413, f"Content-Length {declared} exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, f"body exceeds {limit} bytes")
    return bytes(body)


def check_signature(verifier: SignatureVerifier, body: bytes, request: Request) -> None:
    try:
        valid = verifier.is_valid_request(body, dict(request.headers))
    except (ValueError, TypeError):  # a timestamp that is no number; a signature or body that is not text
        valid = False
    if not valid:
        raise Refused(401, "invalid or expired Slack signature")


def asgi_app(ctx: SlackContext, slack: Callable[[], App], loading: Callable[[], list[str]] = list,
             started: Callable[[], None] = lambda: None) -> Starlette:
    """`slack` returns the Bolt app, waiting while it is built; `loading` names the parts not ready yet;
    `started` is called as the server starts (`serve` then loads the rest, no longer in its way)."""
    secret = ctx.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value() if secret else "")

    def dispatch(request: Request, body: bytes) -> Response:
        app = slack()  # first: the adapter imports Bolt, which the startup imports meanwhile
        from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

        try:
            bolt_request = to_bolt_request(request, body)
        except ValueError as error:  # signed, yet not JSON or form data (or not UTF-8)
            raise Refused(400, f"unreadable body: {error}") from None
        return to_starlette_response(app.dispatch(bolt_request))

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request, ctx.settings.slack_max_body)
            check_signature(verifier, body, request)
            # Bolt dispatches synchronously until ack(); off the event loop, one slow request
            # never holds up the acknowledgement of the others.
            with ACK_SECONDS.time():
                return await run_in_threadpool(dispatch, request, body)
        except Refused as refusal:
            log.warning("refused %s from %s: %s %s", request.url.path,
                        request.client.host if request.client else "?", refusal.status, refusal)
            return PlainTextResponse(str(refusal), status_code=refusal.status)

    async def calendar_feed(request: Request) -> Response:
        """The newest edition's calendar, or `?edition=<id>` (repeated: one calendar of several), read
        from the current editions at every fetch: a moved deadline shows, its SEQUENCE bumped."""
        editions = ctx.editions
        given = request.query_params.getlist("edition")
        if len(given) != len(set(given)) or len(given) > len(editions.ids()):  # never a payload many times over
            return PlainTextResponse("each edition at most once: ?edition=<id>&edition=<other id>", status_code=400)
        asked: list[str | None] = [*given] or [None]
        selected = []
        for wanted in asked:
            edition = editions.get(wanted) if wanted else editions.default
            if edition is None:
                known = ", ".join(editions.ids())
                return PlainTextResponse(f"unknown edition '{wanted[:60]}' (known: {known})" if wanted
                                         else "no edition is known yet", status_code=404)
            if edition.event_error:  # a subscriber keeps the calendar it has instead of losing every date
                log.warning("calendar of %s not served: %s", edition.id, edition.event_error)
                return PlainTextResponse(f"the calendar of '{edition.id}' is being fixed: try again later",
                                         status_code=503, headers={"Retry-After": "600"})
            selected.append(edition)
        ics = calendar(selected, datetime.now(UTC), describer(ctx.settings.prompts_dir))
        return Response(ics, media_type="text/calendar; charset=utf-8")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        started()
        yield

    return Starlette(lifespan=lifespan, routes=[
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/calendar.ics", calendar_feed, methods=["GET"]),
        Mount("", health_app(loading, lambda: ready_details(ctx))),  # /healthz, /readyz, /metrics
    ])


def ready_details(ctx: SlackContext) -> dict[str, object]:
    """What /readyz reports once everything has loaded (nothing waits then)."""
    return {"passages": ctx.assistant.store.count(), "editions": ctx.editions.ids()}
