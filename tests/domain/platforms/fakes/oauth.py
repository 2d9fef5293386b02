"""A fake OAuth 2.0 authorization server, as each network runs one for the authorization
code grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only).

`authorize(url)` plays the network's consent page: it checks the authorization request the
way the network does (response_type, client_id, redirect_uri, state, the S256 challenge) and
answers with the redirect back to the client, carrying a code and the state, or
`error=access_denied` when the member declines. `mount(app)` wraps a network's fake API so
its token endpoint also takes `grant_type=authorization_code`: client authentication as the
network documents it (HTTP Basic or form fields), single-use codes bound to the client and
redirect URI, and the code verifier checked against the challenge. Every other request,
including refresh grants on the same endpoint, goes to the wrapped fake untouched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send


def oauth_error(status: int, error: str, description: str) -> Response:
    """RFC 6749 §5.2 error body (X, Mastodon, LinkedIn, Pinterest)."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def graph_oauth_error(status: int, error: str, description: str) -> Response:
    """Facebook Login's token endpoint answers with a Graph API error body."""
    body = {"error": {"message": description, "type": "OAuthException", "code": 100}}
    return JSONResponse(body, status_code=status)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    used: bool = False


@dataclass
class AuthorizationServer:
    authorize_path: str
    token_path: str
    clients: Callable[[], dict[str, str | None]]  # client_id -> secret (None: public)
    issue: Callable[[Grant], dict[str, Any]]  # the token response body
    client_auth: str = "client_secret_post"  # or client_secret_basic
    require_pkce: bool = False
    error: Callable[[int, str, str], Response] = oauth_error
    registered_redirect: Callable[[str], str | None] = lambda client_id: None
    scope_separator: str = " "
    grants: dict[str, Grant] = field(default_factory=dict)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    token_failure: tuple[int, str] | None = None  # e.g. (503, "temporarily_unavailable")

    def authorize(self, url: str, *, deny: bool = False) -> str:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        assert parts.path == self.authorize_path, parts.path
        assert params.get("response_type") == "code", params
        client_id = params.get("client_id", "")
        assert client_id in self.clients(), f"unknown client {client_id!r}"
        redirect_uri, state = params.get("redirect_uri"), params.get("state")
        assert redirect_uri and state, params
        registered = self.registered_redirect(client_id)
        assert registered is None or registered == redirect_uri, (registered, redirect_uri)
        scopes = params.get("scope", "").split(self.scope_separator)
        assert all(scope and " " not in scope for scope in scopes), params.get("scope")
        challenge = params.get("code_challenge")
        if self.require_pkce:
            assert challenge, "PKCE required"
        if challenge:
            assert params.get("code_challenge_method") == "S256", params
        if deny:
            denial = {"error": "access_denied", "error_description": "User denied", "state": state}
            return f"{redirect_uri}?{urlencode(denial)}"
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(client_id, redirect_uri, params.get("scope", ""), challenge)
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"

    def exchange(self, form: dict[str, str], headers: Headers) -> Response:
        self.exchanges.append({"form": form, "headers": dict(headers)})
        if self.token_failure is not None:
            status, error = self.token_failure
            return self.error(status, error, "The server is unavailable")
        client_id, secret = self._client_credentials(form, headers)
        clients = self.clients()
        if client_id not in clients or (clients[client_id] or None) != (secret or None):
            return self.error(401, "invalid_client", "Client authentication failed")
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.client_id != client_id:
            return self.error(400, "invalid_grant", "The authorization code is invalid")
        grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return self.error(400, "invalid_grant", "redirect_uri does not match")
        if grant.challenge and s256(form.get("code_verifier", "")) != grant.challenge:
            return self.error(400, "invalid_grant", "The code verifier does not match")
        return JSONResponse(self.issue(grant))

    def _client_credentials(self, form: dict[str, str], headers: Headers) -> tuple[str, str | None]:
        if self.client_auth == "client_secret_basic" and headers.get("authorization"):
            scheme, _, encoded = headers["authorization"].partition(" ")
            if scheme.lower() != "basic":
                return "", None
            user, _, password = base64.b64decode(encoded).decode().partition(":")
            return user, password
        return form.get("client_id", ""), form.get("client_secret")

    def mount(self, inner: ASGIApp) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if not (
                scope["type"] == "http"
                and scope["method"] == "POST"
                and scope["path"] == self.token_path
            ):
                await inner(scope, receive, send)
                return
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            form = dict(parse_qsl(body.decode()))
            if form.get("grant_type") == "authorization_code":
                response = self.exchange(form, Headers(scope=scope))
                await response(scope, receive, send)
                return
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await inner(scope, replay, send)

        return app


def overlay(inner: ASGIApp, routes: dict[tuple[str, str], Any]) -> ASGIApp:
    """`inner` with some (METHOD, path) answered by fixed JSON bodies instead."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        key = (scope.get("method"), scope.get("path"))
        if scope["type"] == "http" and key in routes:
            body = routes[key]
            response = Response(json.dumps(body), media_type="application/json")
            await response(scope, receive, send)
            return
        await inner(scope, receive, send)

    return app
