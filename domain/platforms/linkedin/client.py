"""HTTP plumbing for LinkedIn's versioned REST API
(https://learn.microsoft.com/linkedin/marketing/versioning).

Every /rest call carries `LinkedIn-Version: YYYYMM` and `X-Restli-Protocol-Version: 2.0.0`.
Errors come as `{"status", "serviceErrorCode", "code", "message"}`: 401 for an invalid or
revoked token (serviceErrorCode 65600/65601), 403 for a missing permission, 422/400 for
content LinkedIn refuses, 429 for throttling, which LinkedIn answers without any reset
header (daily quotas reset at midnight UTC), so the shared one-minute default applies.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.http import get_http_client
from domain.platforms.base import Ambiguous, TransientBeforeSend
from domain.platforms.http_errors import raise_for_status, send

NETWORK = "LinkedIn"


class LinkedInSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KELOLA_LINKEDIN_", extra="ignore")

    api_base: str = "https://api.linkedin.com"
    auth_base: str = "https://www.linkedin.com/oauth/v2"
    api_version: str = "202610"
    client_id: str = ""
    client_secret: str = ""


class LinkedInClient:
    def __init__(self, client: httpx.AsyncClient | None, settings: LinkedInSettings):
        self._client = client
        self.settings = settings

    @property
    def http(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        publishing: bool,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        raw_query: str | None = None,
    ) -> httpx.Response:
        """`raw_query` is sent as written, for Rest.li `List(...)` values whose parentheses
        and commas must stay literal while the URNs inside are percent-encoded."""
        url = f"{self.settings.api_base.rstrip('/')}{path}"
        if raw_query:
            url = f"{url}?{raw_query}"
        response = await send(
            self.http,
            method,
            url,
            network=NETWORK,
            publishing=publishing,
            params=params,
            json=json,
            headers={**self.headers(token), **(headers or {})},
        )
        return raise_for_status(response, network=NETWORK, publishing=publishing)

    async def get_json(self, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.call("GET", path, token, publishing=False, **kwargs)
        return body_of(response, publishing=False)

    def headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self.settings.api_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }


def body_of(response: httpx.Response, *, publishing: bool) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if publishing:
        raise Ambiguous(f"{NETWORK}: unreadable answer to a publishing request")
    raise TransientBeforeSend(f"{NETWORK}: unreadable answer")


def urn_path(urn: str) -> str:
    """A URN as one path segment: `urn%3Ali%3Ashare%3A123`."""
    return quote(urn, safe="")


def restli_list(urns: list[str]) -> str:
    return "List(" + ",".join(quote(urn, safe="") for urn in urns) + ")"
