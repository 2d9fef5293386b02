"""OAuth2 authorization code flow (with PKCE where the network supports it) through authlib.

`authorization_url` builds where the member is sent; `exchange_code` trades the code the
network sent back for credentials. Failures become `ConnectFailure` with a stable code and
a message that never carries a token, a code or a client secret.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from enum import StrEnum

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from domain.channels import networks
from domain.errors import ErrorCode, Problem
from domain.http import DEFAULT_TIMEOUT
from domain.platforms.base import Credentials, OAuthEndpoints, Platform

NAMES = {
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    Platform.X: "X",
    Platform.LINKEDIN: "LinkedIn",
    Platform.PINTEREST: "Pinterest",
    Platform.MASTODON: "Mastodon",
    Platform.BLUESKY: "Bluesky",
    Platform.SANDBOX: "Sandbox",
}
# Instagram is reached through the Meta app configured as KELOLA_FACEBOOK_*.
_SETTING_PREFIX = {Platform.INSTAGRAM: "KELOLA_FACEBOOK"}
# Pinterest documents comma-separated scopes, Facebook Login accepts commas; the rest
# follow RFC 6749 (space-separated).
_SCOPE_SEPARATOR = {Platform.PINTEREST: ",", Platform.FACEBOOK: ",", Platform.INSTAGRAM: ","}
_ERROR_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ConnectErrorCode(StrEnum):
    CALLBACK_INVALID = "CALLBACK_INVALID"
    STATE_INVALID = "STATE_INVALID"
    STATE_EXPIRED = "STATE_EXPIRED"
    STATE_USED = "STATE_USED"
    ACCESS_DENIED = "ACCESS_DENIED"
    FORBIDDEN = "FORBIDDEN"
    NETWORK_REFUSED = "NETWORK_REFUSED"
    NETWORK_UNAVAILABLE = "NETWORK_UNAVAILABLE"
    NO_ACCOUNTS = "NO_ACCOUNTS"
    UNEXPECTED = "UNEXPECTED"


class ConnectFailure(Exception):
    """A connection that cannot finish; `message` is safe to show to the member."""

    def __init__(self, code: ConnectErrorCode, message: str, *, reason: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message[:500]
        self.reason = reason  # the network's OAuth error name, when it gave one


def name_of(platform: Platform) -> str:
    return NAMES[platform]


def configuration_problem(platform: Platform, endpoints: OAuthEndpoints) -> Problem | None:
    """Why Kelola cannot send members to this network, when its app is not configured."""
    prefix = _SETTING_PREFIX.get(platform, f"KELOLA_{platform.value}")
    missing = None
    if not endpoints.client_id:
        missing = f"{prefix}_CLIENT_ID"
    elif endpoints.token_endpoint_auth_method != "none" and not endpoints.client_secret:
        missing = f"{prefix}_CLIENT_SECRET"
    if missing is None:
        return None
    return Problem(
        "platform", ErrorCode.NOT_ALLOWED, f"{name_of(platform)} is not configured: set {missing}"
    )


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """RFC 7636 §4.1: 43 to 128 unreserved characters; 64 random bytes give 86."""
    return secrets.token_urlsafe(64)


@contextlib.asynccontextmanager
async def _client(
    platform: Platform, endpoints: OAuthEndpoints, redirect_uri: str
) -> AsyncIterator[AsyncOAuth2Client]:
    options = {}
    transport = networks.oauth_transport()
    if transport is not None:
        options["transport"] = transport
    client = AsyncOAuth2Client(
        client_id=endpoints.client_id,
        client_secret=endpoints.client_secret,
        token_endpoint_auth_method=endpoints.token_endpoint_auth_method,
        scope=_SCOPE_SEPARATOR.get(platform, " ").join(endpoints.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if endpoints.uses_pkce else None,
        timeout=DEFAULT_TIMEOUT,
        follow_redirects=False,
        headers={"user-agent": "Kelola/0.1 (+https://kelola.invalid)"},
        **options,
    )
    try:
        yield client
    finally:
        await client.aclose()


async def authorization_url(
    platform: Platform,
    endpoints: OAuthEndpoints,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str | None,
) -> str:
    """Where to send the member: client_id, redirect_uri, scope, state, and the S256 code
    challenge of `code_verifier` for networks that take PKCE."""
    async with _client(platform, endpoints, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            endpoints.authorize_url,
            state=state,
            code_verifier=code_verifier if endpoints.uses_pkce else None,
        )
    return url


async def exchange_code(
    platform: Platform,
    endpoints: OAuthEndpoints,
    *,
    redirect_uri: str,
    code: str,
    code_verifier: str | None,
) -> Credentials:
    """Credentials for the authorization code, from the network's token endpoint."""
    name = name_of(platform)
    extra = {"code_verifier": code_verifier} if endpoints.uses_pkce and code_verifier else {}
    try:
        async with _client(platform, endpoints, redirect_uri) as client:
            token = await client.fetch_token(endpoints.token_url, code=code, **extra)
    except OAuthError as error:
        reason = error_name(error.error)
        raise ConnectFailure(
            ConnectErrorCode.NETWORK_REFUSED,
            f"{name} refused the authorization ({reason})",
            reason=reason,
        ) from None
    except httpx.HTTPStatusError as error:
        status = error.response.status_code
        code_ = (
            ConnectErrorCode.NETWORK_UNAVAILABLE
            if status >= 500 or status == 429
            else ConnectErrorCode.NETWORK_REFUSED
        )
        raise ConnectFailure(code_, f"{name} answered HTTP {status} to the token request") from None
    except (httpx.HTTPError, ValueError) as error:
        raise ConnectFailure(
            ConnectErrorCode.NETWORK_UNAVAILABLE,
            f"{name} could not be reached ({type(error).__name__}); try again",
        ) from None
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise ConnectFailure(
            ConnectErrorCode.NETWORK_REFUSED, f"{name} answered the token request without a token"
        )
    refresh_token = token.get("refresh_token")
    expires_at = token.get("expires_at")
    return Credentials(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_at=datetime.fromtimestamp(expires_at, UTC) if isinstance(expires_at, int) else None,
    )


def error_name(error: object) -> str:
    """The OAuth error name (`invalid_grant`, ...) when it is one; never free text."""
    if isinstance(error, dict):
        error = error.get("type") or error.get("code")
    text = str(error) if error is not None else ""
    return text if _ERROR_NAME.match(text) else "refused"
