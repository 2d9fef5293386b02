"""What the Facebook and Instagram fakes share: Graph API error bodies, usage headers,
switchable failures and the request log.

Error bodies follow https://developers.facebook.com/docs/graph-api/guides/error-handling
(`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`, mostly on HTTP
400), usage headers https://developers.facebook.com/docs/graph-api/overview/rate-limiting.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

APP_SECRET = "fake-app-secret"

# Modes that fail before the network does anything.
BEFORE = {"expired", "invalid_token", "rate_limit", "invalid", "unavailable", "blocked"}
# Modes where the network does the work and then fails to answer properly.
AFTER = {"server_error", "slow"}


@dataclass
class Failure:
    """Fail matching requests `times` times (None: always). `path` matches the end of the
    request path after the version, e.g. "feed" or "media_publish"."""

    mode: str
    method: str | None = None
    path: str | None = None
    times: int | None = None

    def applies(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        return not self.path or path.endswith(self.path)


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class GraphState:
    failures: list[Failure] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    app_usage: dict[str, int] = field(
        default_factory=lambda: {"call_count": 3, "total_cputime": 1, "total_time": 2}
    )
    business_usage: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    slow_s: float = 1.0
    regain_minutes: int = 7
    tokens: set[str] = field(default_factory=set)
    refuse: bool = False

    def fail(self, mode: str, *, method: str | None = None, path: str | None = None, times=None):
        self.failures.append(Failure(mode, method, path, times))

    def failure_for(self, method: str, path: str) -> str | None:
        for failure in self.failures:
            if failure.applies(method, path):
                if failure.times is not None:
                    failure.times -= 1
                return failure.mode
        return None

    def seen(self, method: str, suffix: str) -> list[Seen]:
        return [s for s in self.requests if s.method == method and s.path.endswith(suffix)]


async def read(request: Request, state: GraphState, prefix: str) -> Seen:
    body = (await request.body()).decode()
    form = dict(parse_qsl(body)) if body else {}
    path = request.url.path.removeprefix(prefix).strip("/")
    seen = Seen(request.method, path, dict(request.query_params), form, dict(request.headers))
    state.requests.append(seen)
    return seen


def bearer(seen: Seen) -> str | None:
    header = seen.headers.get("authorization", "")
    return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None


def proof_is_valid(seen: Seen) -> bool:
    """The fake app requires appsecret_proof, like an app with "Require App Secret" on."""
    token = bearer(seen) or ""
    expected = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    return seen.params.get("appsecret_proof") == expected


def error(
    status: int, code: int, message: str, subcode: int | None = None, **extra
) -> JSONResponse:
    body: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode:
        body["error_subcode"] = subcode
    body.update(extra)
    return JSONResponse({"error": body}, status_code=status)


def usage_headers(state: GraphState) -> dict[str, str]:
    headers = {"x-app-usage": json.dumps(state.app_usage)}
    if state.business_usage:
        headers["x-business-use-case-usage"] = json.dumps(state.business_usage)
    return headers


def failure_before(mode: str, state: GraphState, owner: str) -> JSONResponse:
    if mode == "expired":
        return error(
            400, 190, "Error validating access token: Session has expired on Tuesday.", 463
        )
    if mode == "invalid_token":
        return error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    if mode == "rate_limit":
        response = error(400, 32, "(#32) Page request limit reached")
        usage = {"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30}
        usage["estimated_time_to_regain_access"] = state.regain_minutes
        response.headers["x-business-use-case-usage"] = json.dumps({owner: [usage]})
        return response
    if mode == "blocked":
        return error(
            400,
            368,
            "The action attempted has been deemed abusive or is otherwise disallowed",
            1390008,
        )
    if mode == "invalid":
        return error(
            400,
            100,
            "(#100) Invalid parameter",
            1363030,
            error_user_msg="The image URL could not be downloaded.",
        )
    return error(503, 2, "Service temporarily unavailable", is_transient=True)


async def failure_after(mode: str, state: GraphState) -> JSONResponse:
    if mode == "slow":
        await asyncio.sleep(state.slow_s)
    return error(500, 1, "An unknown error has occurred.", is_transient=True)


def split_fields(spec: str) -> list[tuple[str, dict[str, str]]]:
    """A `fields` value as (name, modifiers): `a,insights.metric(x,y),comments.summary(
    total_count).limit(0)` gives [("a", {}), ("insights", {"metric": "x,y"}), ("comments",
    {"summary": "total_count", "limit": "0"})] (field expansion syntax)."""
    parts, depth, current = [], 0, ""
    for char in spec:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    fields = []
    for part in filter(None, (p.strip() for p in parts)):
        name, *modifiers = part.split(".")
        options = {}
        for modifier in ".".join(modifiers).split(")."):
            if "(" in modifier:
                key, _, value = modifier.partition("(")
                options[key] = value.rstrip(")")
        fields.append((name, options))
    return fields


def missing_aliases(ids: list[str]) -> JSONResponse:
    """What Graph answers when a multiple-ID read names objects that do not exist."""
    return error(
        404, 803, f"(#803) Some of the aliases you requested do not exist: {','.join(ids)}"
    )


def insights_body(object_id: str, edge: str, values: dict[str, Any], period: str) -> dict:
    return {
        "data": [
            {
                "name": name,
                "period": period,
                "values": value if isinstance(value, list) else [{"value": value}],
                "title": name.replace("_", " ").title(),
                "description": f"{period.title()}: {name}",
                "id": f"{object_id}/{edge}/{name}/{period}",
            }
            for name, value in values.items()
        ],
        "paging": {"previous": "", "next": ""},
    }


def graph_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
