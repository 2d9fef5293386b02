"""The Graph API client shared by the Facebook and Instagram adapters.

Graph errors arrive as `{"error": {"message", "type", "code", "error_subcode",
"is_transient", "fbtrace_id"}}`, usually on an HTTP 400 whatever their cause, so the
error code decides the class, not the status
(https://developers.facebook.com/docs/graph-api/guides/error-handling):
  190, 102                      invalid or expired token           AuthExpired
  4, 17, 32, 613, 341, 9, 8000x throttling / publishing limit      RateLimited
  368                           temporarily blocked (policy)       RateLimited (long wait)
  1, 2, is_transient            temporary server trouble           like a 5xx
  anything else (100, 506, ...) the request itself is wrong        Rejected

Meta also reports usage before it throttles
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting):
`x-app-usage: {"call_count", "total_cputime", "total_time"}` in percent for the app, and
`x-business-use-case-usage: {"<object id>": [{"type", "call_count", "total_cputime",
"total_time", "estimated_time_to_regain_access"}]}` per Page or Instagram account, the
wait in minutes. Past the configured threshold the guard refuses further calls locally
until the usage has had time to fall, so a call is never sent into a throttle.

The access token travels in the Authorization header, never in a URL, and with the app
secret configured every call carries `appsecret_proof` (HMAC-SHA256 of the token).

Reads of many objects use the multiple-ID read, `GET /?ids=a,b,c&fields=...`
(https://developers.facebook.com/docs/graph-api/guides/field-expansion, "Multiple ID Read
Requests"), at most MULTI_ID_LIMIT ids a call, which answers `{"a": {...}, "b": {...}}`.
Graph refuses the whole read when one id no longer exists (`(#803) Some of the aliases you
requested do not exist: a,b`, or `(#100) ... Object with ID 'a' does not exist`); `get_many`
drops those ids and reads the rest again, so a deleted post is left out, not fatal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from domain.http import get_http_client
from domain.platforms.base import (
    Ambiguous,
    OAuthEndpoints,
    ProviderError,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.facebook.settings import FacebookSettings
from domain.platforms.http_errors import classify_response, error_message, send

AUTH_CODES = frozenset({102, 190})
RATE_CODES = frozenset({4, 9, 17, 32, 341, 613, *range(80000, 80015)})
BLOCKED_CODE = 368
BLOCKED_WAIT = timedelta(hours=1)
TRANSIENT_CODES = frozenset({1, 2})
USAGE_FIELDS = ("call_count", "total_cputime", "total_time")
APP = "app"
MAX_PAGES = 5
MULTI_ID_LIMIT = 50
MISSING_ALIASES_CODE = 803
_MISSING_ALIASES = re.compile(r"do not exist:\s*(.+)$")
_MISSING_OBJECT = re.compile(r"Object with ID '([^']+)' does not exist")


class UsageGuard:
    """Remembers, per app and per Page/Instagram account, until when Meta's usage headers
    say to stay away; one per provider instance, so one per worker process."""

    def __init__(self, threshold_percent: float, default_backoff: timedelta):
        self.threshold = threshold_percent
        self.default_backoff = default_backoff
        self._until: dict[str, datetime] = {}

    def check(self, network: str, owner: str | None, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        for key in (APP, owner):
            until = self._until.get(key) if key else None
            if until is not None and until > now:
                raise RateLimited(
                    f"{network}: API usage above {self.threshold:g}%; waiting before calling",
                    retry_at=until,
                    status=None,
                )

    def observe(self, headers: httpx.Headers, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        app = _json_header(headers, "x-app-usage")
        if isinstance(app, dict) and _peak(app) > self.threshold:
            self._block(APP, now + self.default_backoff)
        for owner, wait in self._business_waits(headers, now).items():
            self._block(owner, wait)

    def retry_at(self, headers: httpx.Headers, owner: str | None, now: datetime) -> datetime:
        """When to come back after a throttling error: Meta's own estimate when given."""
        waits = self._business_waits(headers, now, throttled=True)
        if owner in waits:
            return waits[owner]
        return max(waits.values(), default=now + self.default_backoff)

    def _business_waits(
        self, headers: httpx.Headers, now: datetime, *, throttled: bool = False
    ) -> dict[str, datetime]:
        usage = _json_header(headers, "x-business-use-case-usage")
        waits: dict[str, datetime] = {}
        if not isinstance(usage, dict):
            return waits
        for owner, entries in usage.items():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                if minutes > 0:
                    wait = now + timedelta(minutes=minutes)
                elif throttled or _peak(entry) > self.threshold:
                    wait = now + self.default_backoff
                else:
                    continue
                waits[str(owner)] = max(wait, waits.get(str(owner), wait))
        return waits

    def _block(self, key: str, until: datetime) -> None:
        self._until[key] = max(until, self._until.get(key, until))


class GraphClient:
    def __init__(self, client: httpx.AsyncClient | None, settings: FacebookSettings, network: str):
        self._client = client
        self.settings = settings
        self.network = network
        self.usage = UsageGuard(
            settings.usage_threshold_percent, timedelta(seconds=settings.default_backoff_s)
        )

    @property
    def http(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    async def get(
        self, path: str, token: str, params: dict[str, Any] | None = None, *, owner: str | None
    ) -> dict[str, Any]:
        return await self._call("GET", path, token, owner=owner, publishing=False, params=params)

    async def get_many(
        self, ids: list[str], token: str, params: dict[str, Any], *, owner: str | None
    ) -> dict[str, dict[str, Any]]:
        """The multiple-ID read of `ids` (at most MULTI_ID_LIMIT): each id's object, ids Graph
        says no longer exist left out."""
        if len(ids) > MULTI_ID_LIMIT:
            raise ValueError(f"at most {MULTI_ID_LIMIT} ids per multiple-ID read")
        remaining = list(dict.fromkeys(ids))
        while remaining:
            response = await self._send(
                "GET",
                "",
                token,
                owner=owner,
                publishing=False,
                params={**params, "ids": ",".join(remaining)},
            )
            missing = missing_ids(response, remaining)
            if not missing:
                body = self._body(response, publishing=False, owner=owner)
                return {key: value for key, value in body.items() if isinstance(value, dict)}
            self.usage.observe(response.headers)
            remaining = [item for item in remaining if item not in missing]
        return {}

    async def post(
        self,
        path: str,
        token: str,
        data: dict[str, Any],
        *,
        owner: str | None,
        publishing: bool,
    ) -> dict[str, Any]:
        """`publishing` marks a request whose repetition would duplicate something visible;
        staging steps (unpublished photos, media containers) are not publishing."""
        return await self._call("POST", path, token, owner=owner, publishing=publishing, data=data)

    async def paginate(
        self,
        path: str,
        token: str,
        params: dict[str, Any],
        *,
        owner: str | None,
        max_pages: int = MAX_PAGES,
    ) -> AsyncIterator[dict[str, Any]]:
        """The `data` items of an edge, following `paging.next` (its query only, so the
        token never has to sit in a URL)."""
        for _ in range(max_pages):
            body = await self.get(path, token, params, owner=owner)
            for item in body.get("data") or []:
                yield item
            following = _next_params(body)
            if following is None:
                return
            params = {**params, **following}

    async def exchange_token(self, token: str) -> dict[str, Any]:
        """A long-lived (~60 day) user token for a short-lived one. Posted as a form so the
        app secret stays out of URLs (the endpoint accepts GET and POST alike)."""
        data = {
            "grant_type": "fb_exchange_token",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "fb_exchange_token": token,
        }
        response = await send(
            self.http,
            "POST",
            f"{self.settings.graph_url}/oauth/access_token",
            network=self.network,
            publishing=False,
            data=data,
        )
        return self._body(response, publishing=False, owner=None)

    async def _call(
        self, method: str, path: str, token: str, *, owner: str | None, publishing: bool, **kwargs
    ) -> dict[str, Any]:
        response = await self._send(
            method, path, token, owner=owner, publishing=publishing, **kwargs
        )
        return self._body(response, publishing=publishing, owner=owner)

    async def _send(
        self, method: str, path: str, token: str, *, owner: str | None, publishing: bool, **kwargs
    ) -> httpx.Response:
        self.usage.check(self.network, owner)
        params = dict(kwargs.pop("params", None) or {})
        if self.settings.client_secret:
            params["appsecret_proof"] = appsecret_proof(token, self.settings.client_secret)
        return await send(
            self.http,
            method,
            f"{self.settings.graph_url}/{path.lstrip('/')}",
            network=self.network,
            publishing=publishing,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    def _body(self, response: httpx.Response, *, publishing: bool, owner: str | None) -> dict:
        now = datetime.now(UTC)
        self.usage.observe(response.headers, now)
        error = graph_error(
            response, network=self.network, publishing=publishing, guard=self.usage, owner=owner
        )
        if error is not None:
            raise error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if publishing:
                raise Ambiguous(f"{self.network}: unreadable answer to a publishing request")
            raise TransientBeforeSend(f"{self.network}: unreadable answer")
        return body


def graph_error(
    response: httpx.Response,
    *,
    network: str,
    publishing: bool,
    guard: UsageGuard,
    owner: str | None,
    now: datetime | None = None,
) -> ProviderError | None:
    now = now or datetime.now(UTC)
    error = _error_body(response)
    if error is None:
        return classify_response(response, network=network, publishing=publishing)
    code = _number(error.get("code"))
    message = _message(error, response)
    hints: dict[str, Any] = {"network": network, "publishing": publishing, "message": message}
    if code in AUTH_CODES or (response.status_code == 401 and code not in RATE_CODES):
        return classify_response(response, auth_expired=True, **hints)
    if code in RATE_CODES:
        return classify_response(
            response, retry_at=guard.retry_at(response.headers, owner, now), **hints
        )
    if code == BLOCKED_CODE:
        return classify_response(response, retry_at=now + BLOCKED_WAIT, **hints)
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        text = f"{network}: HTTP {response.status_code}: {message}"
        if publishing:
            return Ambiguous(text, status=response.status_code)
        return TransientBeforeSend(text, status=response.status_code)
    if response.is_success:
        return Rejected(f"{network}: {message}", status=response.status_code)
    return classify_response(response, **hints)


def missing_ids(response: httpx.Response, asked: list[str]) -> set[str]:
    """The asked ids a refused multiple-ID read names as nonexistent (none for any other
    answer, which then stands as the read's failure)."""
    if response.is_success:
        return set()
    error = _error_body(response) or {}
    message = str(error.get("message") or "")
    named: set[str] = set()
    if _number(error.get("code")) == MISSING_ALIASES_CODE and (
        found := _MISSING_ALIASES.search(message)
    ):
        named = {item.strip() for item in found.group(1).split(",")}
    elif found := _MISSING_OBJECT.search(message):
        named = {found.group(1)}
    return named & set(asked)


def facebook_login(settings: FacebookSettings, scopes: tuple[str, ...]) -> OAuthEndpoints:
    """Facebook Login's authorization-code flow
    (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow).
    Meta documents PKCE only for its OIDC variant, still "in testing", so it is not used."""
    return OAuthEndpoints(
        authorize_url=f"{settings.auth_base.rstrip('/')}/{settings.api_version}/dialog/oauth",
        token_url=f"{settings.graph_url}/oauth/access_token",
        scopes=scopes,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        token_endpoint_auth_method="client_secret_post",
        uses_pkce=False,
    )


def appsecret_proof(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def compose_text(request: PublishRequest, *, link_in_text: bool) -> str:
    """The text as it will appear on the network. Where the link cannot ride as an
    attachment (media posts, Instagram captions) it is appended, once; `find_published`
    compares against this same text."""
    text = request.text
    if link_in_text and request.link and request.link not in text:
        text = f"{text}\n\n{request.link}" if text else request.link
    return text


def parse_time(value: Any) -> datetime | None:
    """Graph timestamps look like `2019-04-05T07:56:32+0000`."""
    if not isinstance(value, str) or not value:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, pattern).astimezone(UTC)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same_text(left: str | None, right: str | None) -> bool:
    return (left or "").strip() == (right or "").strip()


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _message(error: dict[str, Any], response: httpx.Response) -> str:
    text = error.get("error_user_msg") or error.get("message") or error_message(response)
    subcode = error.get("error_subcode")
    return f"{text} (code {error.get('code')}" + (f", subcode {subcode})" if subcode else ")")


def _next_params(body: dict[str, Any]) -> dict[str, str] | None:
    paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
    next_url = paging.get("next") if paging else None
    if not isinstance(next_url, str) or not body.get("data"):
        return None
    query = dict(parse_qsl(urlsplit(next_url).query))
    query.pop("access_token", None)
    query.pop("appsecret_proof", None)
    return query


def _json_header(headers: httpx.Headers, name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _peak(usage: dict[str, Any]) -> float:
    return max((_number(usage.get(field)) for field in USAGE_FIELDS), default=0.0)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
