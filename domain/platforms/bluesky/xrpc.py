"""XRPC calls to a PDS, with AT Protocol's error signals mapped onto the shared classes.

XRPC errors are `{"error": Name, "message": ...}`. An expired or malformed access token is a
400 `ExpiredToken` / `InvalidToken` (not a 401), a bad password a 401
`AuthenticationRequired`; rate limits answer 429 with `RateLimit-Reset` in epoch seconds
(packages/xrpc-server rate-limiter in bluesky-social/atproto).
"""

from __future__ import annotations

from typing import Any

import httpx

from domain.platforms.base import AuthExpired
from domain.platforms.http_errors import raise_for_status, send

NETWORK = "BLUESKY"
AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})


def error_name(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


class Xrpc:
    def __init__(self, client: httpx.AsyncClient, service: str):
        self._client = client
        self._service = service.rstrip("/")

    async def query(
        self, method: str, token: str | None, params: dict[str, Any] | list[tuple[str, str]]
    ) -> dict[str, Any]:
        response = await self.call("GET", method, token, publishing=False, params=params)
        return response.json()

    async def lookup(
        self, method: str, token: str | None, params: dict[str, Any], *, missing: str
    ) -> dict[str, Any] | None:
        """A query whose `missing` error (e.g. RecordNotFound) means absent, not failed."""
        response = await send(
            self._client,
            "GET",
            f"{self._service}/xrpc/{method}",
            network=NETWORK,
            publishing=False,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            params=params,
        )
        if response.status_code == 400 and error_name(response) == missing:
            return None
        _raise_unless_ok(response, publishing=False)
        return response.json()

    async def procedure(
        self,
        method: str,
        token: str | None,
        *,
        publishing: bool,
        json: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        response = await self.call(
            "POST", method, token, publishing=publishing, json=json, **kwargs
        )
        return response.json() if response.content else {}

    async def call(
        self, verb: str, method: str, token: str | None, *, publishing: bool, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await send(
            self._client,
            verb,
            f"{self._service}/xrpc/{method}",
            network=NETWORK,
            publishing=publishing,
            headers=headers,
            **kwargs,
        )
        _raise_unless_ok(response, publishing=publishing)
        return response


def _raise_unless_ok(response: httpx.Response, *, publishing: bool) -> None:
    if not response.is_success:
        auth_expired = error_name(response) in AUTH_ERRORS
        raise_for_status(
            response, network=NETWORK, publishing=publishing, auth_expired=auth_expired
        )


def require_auth(token: str | None) -> str:
    if not token:
        raise AuthExpired(f"{NETWORK}: no session token")
    return token
