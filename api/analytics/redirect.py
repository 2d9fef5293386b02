"""`GET /l/{code}`: count the click and send the visitor on to the link's destination."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from domain.analytics.clicks import follow

_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


async def link_redirect(request: Request) -> Response:
    """302 to the destination with `kelola_click=<ref>` added; 404 for an unknown code.
    HEAD requests and link-preview fetchers are sent on without a click counted."""
    redirect = await follow(
        request.path_params["code"],
        client_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        now=datetime.now(UTC),
        count=request.method == "GET",
    )
    if redirect is None:
        return PlainTextResponse("Not found", status_code=404, headers=_HEADERS)
    return RedirectResponse(redirect.location, status_code=302, headers=_HEADERS)
