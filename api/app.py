"""The Starlette application: /graphql (HTTP and websocket), /healthz, /readyz, and the
OAuth callback where networks send members back after connecting a channel."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.analytics.conversion_endpoint import conversion_post
from api.analytics.redirect import link_redirect
from api.analytics.report_download import report_get
from api.channels.callback import oauth_callback
from api.content.uploads import media_get, upload_multipart, upload_put
from api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from api.schema import schema
from api.view import KelolaGraphQL
from domain.db import close_database, open_database
from domain.health import readiness
from domain.jobs import close_job_pool
from domain.logs import configure_logging
from domain.redis import close_redis
from domain.settings import get_settings, require_secrets


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks = await readiness()
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _settle_heap() -> None:
    """Move what start-up loaded (modules, schema, models) out of the garbage collector's
    way: its full passes then walk only what requests allocate, which keeps them short
    while thousands of subscribers are being served."""
    gc.collect()
    gc.freeze()


def create_app(*, manage_database: bool = True) -> Starlette:
    """The ASGI app. Tests that own the database pass `manage_database=False`."""
    settings = get_settings()
    graphql = KelolaGraphQL(
        schema,
        graphql_ide="graphiql" if settings.is_dev else None,
        allow_queries_via_get=True,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        allowed_origins=settings.allowed_origins,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        require_secrets()
        if manage_database:
            await open_database()
        _settle_heap()
        try:
            yield
        finally:
            await close_job_pool()
            await close_redis()
            if manage_database:
                await close_database()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/oauth/callback/{platform}", oauth_callback, methods=["GET"]),
            Route("/uploads", upload_multipart, methods=["POST"]),
            Route("/uploads/{key:path}", upload_put, methods=["PUT"]),
            Route("/media/{key:path}", media_get, methods=["GET"]),
            Route("/l/{code}", link_redirect, methods=["GET"]),
            Route("/conversions/{workspace_id}", conversion_post, methods=["POST"]),
            Route("/reports/{key:path}", report_get, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )


def app_factory() -> Starlette:
    """Entry for `uvicorn --factory api.app:app_factory` (one per worker process)."""
    configure_logging(json_lines=get_settings().uses_json_logs)
    return create_app()
