"""ASGI middleware: a request id on every response and log line, a request body cap."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.logs import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("kelola.access")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s %.1fms",
                scope.get("method", "WS"),
                scope["path"],
                status or "-",
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)


# Routes that stream their bodies and enforce limits of their own (media uploads: the
# exact declared size through a signed URL, or `media_multipart_max_bytes`; partners'
# conversions: 64 KB, answered in the endpoint's own error shape).
SELF_LIMITED_PATHS = ("/uploads", "/conversions")


def _limits_itself(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in SELF_LIMITED_PATHS)


class BodyLimitMiddleware:
    """Answers 413 for bodies over the limit without reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _limits_itself(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send)
            return
        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            # A streamed body over the limit: the app saw a disconnect (and may have
            # raised on it); the client is still there and gets a 413, not a 500.
            if not too_large or started:
                raise
        if too_large and not started:
            await _too_large(send)


async def _too_large(send: Send) -> None:
    body = b'{"errors":[{"message":"Request body too large","extensions":{"code":"BAD_REQUEST"}}]}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
