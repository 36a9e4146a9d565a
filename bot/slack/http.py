"""HTTP mode: an ASGI app with Slack's endpoint, a health check and Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.context import SlackContext


def asgi_app(app: App, ctx: SlackContext) -> Starlette:
    async def slack_events(request: Request) -> Response:
        # Bolt dispatches synchronously until ack(); off the event loop, one slow request
        # never holds up the acknowledgement of the others.
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        passages = await run_in_threadpool(ctx.assistant.store.count)
        return JSONResponse({"ok": True, "passages": passages, "editions": ctx.assistant.editions.ids()})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ])
