"""Live streams behind subscriptions, ended the way graphql-transport-ws expects when the
credential a connection was opened with stops working."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

from starlette.websockets import WebSocket
from strawberry.types import Info

from domain.errors import Forbidden
from domain.streams import CredentialRevoked

T = TypeVar("T")

FORBIDDEN_CLOSE = 4403  # graphql-transport-ws: the server no longer accepts the connection


async def until_revoked(info: Info, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """The stream's items until it ends; when the connection's API key is revoked or expires
    meanwhile, the socket is closed with 4403 Forbidden, as at connection_init."""
    try:
        async for item in events:
            yield item
    except CredentialRevoked:
        socket = info.context.request
        if not isinstance(socket, WebSocket):
            raise Forbidden("The API key was revoked") from None
        with contextlib.suppress(RuntimeError):  # already closing
            await socket.close(code=FORBIDDEN_CLOSE, reason="Forbidden")
        # The handler cancels every operation of the connection as the close completes.
        await asyncio.Event().wait()
