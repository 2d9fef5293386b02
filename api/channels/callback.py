"""`GET /oauth/callback/{platform}`: where networks send the member back after signing in.

Thin: one domain call finishes the connection; this module only turns its outcome into a
redirect to the frontend (KELOLA_CONNECT_RETURN_URL, or the attempt's `returnUrl`) with
`status=connected|select|error`, `attemptId`, `channelIds` and `code` in the query, or into
a small JSON body when no return URL is configured. Neither ever carries a token or code.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from api.ids import to_global_id
from domain.channels.completion import Outcome, complete_authorization
from domain.channels.oauth import ConnectErrorCode
from domain.settings import get_settings

HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
_STATUS_OF_ERROR = {
    ConnectErrorCode.FORBIDDEN: 403,
    ConnectErrorCode.NETWORK_UNAVAILABLE: 502,
    ConnectErrorCode.UNEXPECTED: 500,
}


async def oauth_callback(request: Request) -> Response:
    outcome = await complete_authorization(
        request.path_params["platform"], dict(request.query_params)
    )
    return respond(outcome)


def respond(outcome: Outcome) -> Response:
    fields: dict[str, str | list[str] | None] = {"status": outcome.status}
    if outcome.attempt_id is not None:
        fields["attemptId"] = to_global_id("ChannelConnectAttempt", outcome.attempt_id)
    if outcome.status != "error":
        fields["channelIds"] = [to_global_id("Channel", pk) for pk in outcome.channel_ids]
    else:
        fields["code"] = outcome.code.value if outcome.code else None
    return_url = outcome.return_url or get_settings().connect_return_url
    if return_url:
        return RedirectResponse(_with_query(return_url, fields), status_code=303, headers=HEADERS)
    if outcome.status == "error":
        fields["message"] = outcome.message
        status = _STATUS_OF_ERROR.get(outcome.code, 400)  # type: ignore[arg-type]
    else:
        status = 200
    return JSONResponse(fields, status_code=status, headers=HEADERS)


def _with_query(url: str, fields: dict[str, str | list[str] | None]) -> str:
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in fields]
    for key, value in fields.items():
        if isinstance(value, list):
            query.append((key, ",".join(value)))
        elif value is not None:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))
