"""The GraphQL HTTP and websocket view: authentication, rate limits, JSON errors."""

from __future__ import annotations

import json
import logging

from cross_web import HTTPException
from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from api.context import Context, make_loaders
from api.extensions import translate_error
from domain.identity.authentication import InvalidCredentials, actor_for, bearer_credential
from domain.ratelimit import TokenBucket
from domain.settings import get_settings
from domain.tenancy import Actor

logger = logging.getLogger("kelola.api")


def _bucket() -> TokenBucket:
    settings = get_settings()
    return TokenBucket("graphql", settings.rate_limit_burst, settings.rate_limit_per_minute)


def _caller_key(actor: Actor, request: Request) -> str:
    if actor.api_key_id is not None:
        return f"key:{actor.api_key_id}"
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


def _credential_from_params(params: object) -> str | None:
    """`{"authorization": "Bearer …"}` or `{"apiKey": "klk_…"}` in connection_init."""
    if not isinstance(params, dict):
        return None
    if isinstance(params.get("apiKey"), str):
        return params["apiKey"]
    authorization = params.get("authorization") or params.get("Authorization")
    return bearer_credential(authorization) if isinstance(authorization, str) else None


class KelolaGraphQL(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = JSONResponse(
                {"errors": [{"message": error.reason, "extensions": {"code": "BAD_REQUEST"}}]},
                status_code=error.status_code,
            )
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket):
        if isinstance(request, WebSocket):
            # Authenticated on connection_init, in on_ws_connect.
            actor = Actor()
            return Context(request, None, actor, make_loaders(actor))
        rejected = False
        try:
            actor = await actor_for(bearer_credential(request.headers.get("authorization")))
        except InvalidCredentials:
            actor, rejected = Actor(), True
        context = Context(request, response, actor, make_loaders(actor), rejected)
        state = await _bucket().take(_caller_key(actor, request))
        context.rate_limit = state
        response.headers["x-ratelimit-limit"] = str(state.limit)
        response.headers["x-ratelimit-remaining"] = str(state.remaining)
        response.headers["x-ratelimit-reset"] = str(state.reset_after_s)
        if not state.allowed:
            response.status_code = 429
            response.headers["retry-after"] = str(state.retry_after_s)
        return context

    async def on_ws_connect(self, context: Context):
        try:
            credential = _credential_from_params(context.connection_params)
            actor = await actor_for(credential)
        except InvalidCredentials:
            raise ConnectionRejectionError() from None
        if not actor.is_authenticated:
            raise ConnectionRejectionError()
        context.use_actor(actor)
        return UNSET

    async def process_result(self, request: Request, result: ExecutionResult) -> dict:
        # Parse errors raised by ParserCache skip the schema extensions: code them here.
        if result.errors:
            result.errors = [translate_error(error) for error in result.errors]
        return await super().process_result(request, result)

    def decode_json(self, data: str | bytes) -> object:
        """Only a JSON object is a GraphQL request (or a websocket message); anything else
        is answered like unparsable JSON: 400 over HTTP, close 4400 on a websocket."""
        try:
            value = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise json.JSONDecodeError("not JSON", str(data)[:20], 0) from error
        if not isinstance(value, dict):
            raise json.JSONDecodeError("not a JSON object", str(data)[:20], 0)
        return value

    def encode_json(self, data: object) -> str:
        return json.dumps(data, separators=(",", ":"))
