"""A fake Mastodon instance for the endpoints the Mastodon adapter uses (docs.joinmastodon.org).

Statuses are rendered to HTML the way Mastodon's formatter does (paragraphs, <br />, links
split into invisible/ellipsis spans, h-card mentions, hashtag anchors); Idempotency-Key
returns the status first created under the key; media uploads answer 202 and `GET
/api/v1/media/:id` 206 until processed. Errors are `{"error": ...}` bodies and 429s carry
X-RateLimit-* headers with an ISO 8601 reset. Failure modes as in the X fake (`expired`,
`rate_limit`, `server_error`, `invalid`, `slow`, `server_error_after`, `slow_after`).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.domain.platforms.fakes.forms import read_form
from tests.domain.platforms.fakes.transport import FailurePlan, Recorded
from tests.domain.platforms.fakes.x import MP4, PNG

HOST = "mastodon.test"
ME = {
    "id": "109000000000000001",
    "username": "kopi",
    "acct": "kopi",
    "display_name": "Kopi Kenangan",
    "followers_count": 2100,
    "url": f"https://{HOST}/@kopi",
}
FAN = {
    "id": "109000000000000099",
    "username": "budi",
    "acct": "budi@other.test",
    "display_name": "Budi",
    "followers_count": 45,
    "url": "https://other.test/@budi",
}
_TOKEN = re.compile(r"(https?://\S+)|(@\w+(?:@[\w.-]+\w)?)|(#\w+)")


def render(text: str) -> str:
    """Plain text to the HTML Mastodon stores in `content`."""

    def inline(line: str) -> str:
        out, last = [], 0
        for match in _TOKEN.finditer(line):
            out.append(html.escape(line[last : match.start()], quote=False))
            link, mention, tag = match.groups()
            if link:
                scheme, _, rest = link.partition("://")
                out.append(
                    f'<a href="{html.escape(link)}" rel="nofollow noopener" target="_blank">'
                    f'<span class="invisible">{scheme}://</span>'
                    f'<span class="ellipsis">{html.escape(rest[:30])}</span>'
                    f'<span class="invisible">{html.escape(rest[30:])}</span></a>'
                )
            elif mention:
                user = mention[1:].split("@")[0]
                out.append(
                    f'<span class="h-card"><a href="https://{HOST}/@{user}" '
                    f'class="u-url mention">@<span>{user}</span></a></span>'
                )
            else:
                out.append(
                    f'<a href="https://{HOST}/tags/{tag[1:]}" class="mention hashtag" '
                    f'rel="tag">#<span>{tag[1:]}</span></a>'
                )
            last = match.end()
        out.append(html.escape(line[last:], quote=False))
        return "".join(out)

    paragraphs = [p for p in text.split("\n\n") if p]
    return "".join(
        "<p>" + "<br />".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


@dataclass
class MastodonFakeState(FailurePlan):
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=lambda: {"m-access-1": ME})
    accounts: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {ME["id"]: ME, FAN["id"]: FAN}
    )
    statuses: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    apps: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[tuple[str, str], str] = field(default_factory=dict)
    processing_polls: int = 2
    full_text_search: bool = True
    batch_statuses: bool = True  # GET /api/v1/statuses?id[]= exists from Mastodon 4.3
    _sequence: itertools.count = field(default_factory=itertools.count)

    def next_id(self, at: datetime | None = None) -> str:
        """Mastodon ids are time-ordered (milliseconds << 16 plus a sequence)."""
        milliseconds = int((at or datetime.now(UTC)).timestamp() * 1000)
        return str((milliseconds << 16) | (next(self._sequence) % (1 << 16)))

    def add_status(self, account: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
        created = extra.pop("created_at", datetime.now(UTC))
        status = {
            "id": self.next_id(created),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "visibility": "public",
            "uri": f"https://{HOST}/users/{account['username']}/statuses/x",
            "url": None,
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": render(text),
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
        }
        status["url"] = f"https://{HOST}/@{account['username']}/{status['id']}"
        status.update(extra)
        self.statuses.append(status)
        if account["id"] != ME["id"] and (
            "@kopi" in text or status["in_reply_to_account_id"] == ME["id"]
        ):
            self.notifications.append(
                {
                    "id": self.next_id(created),
                    "type": "mention",
                    "created_at": status["created_at"],
                    "account": account,
                    "status": status,
                }
            )
        return status

    def own_statuses(self) -> list[dict[str, Any]]:
        return [s for s in self.statuses if s["account"]["id"] == ME["id"]]


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _newest_first(items: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    limit = int(request.query_params.get("limit", "20"))
    max_id = request.query_params.get("max_id")
    ordered = sorted(items, key=lambda item: int(item["id"]), reverse=True)
    if max_id:
        ordered = [item for item in ordered if int(item["id"]) < int(max_id)]
    return ordered[:limit]


def create_app(state: MastodonFakeState) -> Starlette:
    async def guarded(request: Request, handler, *, authenticated: bool = True) -> Response:
        raw = await request.body()
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(raw or b"null")
        elif request.method == "POST":
            body = (await read_form(request))[0]
        state.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.headers),
                dict(request.query_params),
                body,
            )
        )
        mode = state.failure_for(request.method, request.url.path)
        if mode == "slow":
            await asyncio.sleep(state.slow_seconds)
        if mode == "expired":
            return _error(401, "The access token is invalid")
        if mode == "rate_limit":
            reset = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            return _error(
                429,
                "Too many requests",
                **{
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            )
        if mode == "server_error":
            return Response("<html>502 Bad Gateway</html>", 502, media_type="text/html")
        if mode == "invalid":
            return _error(422, "Validation failed: Text character limit of 500 exceeded")
        account = None
        if authenticated:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            account = state.access_tokens.get(token) if scheme == "Bearer" else None
            if account is None:
                return _error(401, "The access token is invalid")
        response = await handler(request, account, body)
        if mode == "server_error_after":
            return Response("<html>502 Bad Gateway</html>", 502, media_type="text/html")
        if mode == "slow_after":
            await asyncio.sleep(state.slow_seconds)
        return response

    async def register(request: Request, account: Any, body: Any) -> Response:
        body = body or {}
        if not body.get("client_name") or not body.get("redirect_uris"):
            return _error(422, "Validation failed: Application name can't be blank")
        app = {
            "id": str(len(state.apps) + 1),
            "name": body["client_name"],
            "website": body.get("website"),
            "scopes": body.get("scopes", "read").split(),
            "redirect_uri": body["redirect_uris"],
            "redirect_uris": [body["redirect_uris"]],
            "client_id": f"client-{len(state.apps) + 1}",
            "client_secret": f"secret-{len(state.apps) + 1}",
            "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mM",
        }
        state.apps.append(app)
        return JSONResponse(app)

    async def verify_credentials(request: Request, account: Any, body: Any) -> Response:
        return JSONResponse(account)

    async def create_status(request: Request, account: Any, body: Any) -> Response:
        body = body or {}
        key = request.headers.get("idempotency-key")
        if key and (account["id"], key) in state.idempotency:
            existing = state.idempotency[(account["id"], key)]
            return JSONResponse(next(s for s in state.statuses if s["id"] == existing))
        text = str(body.get("status") or "")
        media_ids = body.get("media_ids") or []
        if not text and not media_ids:
            return _error(422, "Validation failed: Text can't be blank")
        if len(text) > 500:
            return _error(422, "Validation failed: Text character limit of 500 exceeded")
        attachments = []
        for media_id in media_ids:
            media = state.media.get(media_id)
            if media is None or media["url"] is None:
                return _error(422, "Cannot attach files that have not finished processing.")
            attachments.append(media)
        parent = None
        if body.get("in_reply_to_id"):
            parent = next((s for s in state.statuses if s["id"] == body["in_reply_to_id"]), None)
            if parent is None:
                return _error(404, "Record not found")
        status = state.add_status(
            account,
            text,
            media_attachments=attachments,
            in_reply_to_id=parent["id"] if parent else None,
            in_reply_to_account_id=parent["account"]["id"] if parent else None,
        )
        if key:
            state.idempotency[(account["id"], key)] = status["id"]
        return JSONResponse(status)

    async def get_status(request: Request, account: Any, body: Any) -> Response:
        found = next((s for s in state.statuses if s["id"] == request.path_params["id"]), None)
        return JSONResponse(found) if found else _error(404, "Record not found")

    async def get_statuses(request: Request, account: Any, body: Any) -> Response:
        """View multiple statuses (4.3.0): at most 20 ids (DEFAULT_STATUSES_LIMIT, else the
        422 of Mastodon::ValidationError); unknown ids are simply absent. Before 4.3 the
        route does not exist and the catch-all answers 404."""
        if not state.batch_statuses:
            return _error(404, "Record not found")
        ids = list(dict.fromkeys(request.query_params.getlist("id[]")))
        if len(ids) > 20:
            return _error(422, "Validation failed")
        return JSONResponse([s for s in state.statuses if s["id"] in ids])

    async def account_statuses(request: Request, account: Any, body: Any) -> Response:
        author = request.path_params["id"]
        params = request.query_params
        statuses = [
            s
            for s in state.statuses
            if s["account"]["id"] == author
            and not (params.get("exclude_replies") == "true" and s["in_reply_to_id"])
        ]
        return JSONResponse(_newest_first(statuses, request))

    async def upload_media(request: Request, account: Any, body: Any) -> Response:
        fields, files = await read_form(request)
        upload = files.get("file")
        if upload is None or not upload.content:
            return _error(422, "Validation failed: File can't be blank")
        media_id = state.next_id()
        is_image = upload.content_type.startswith("image/")
        media = {
            "id": media_id,
            "type": "image" if is_image else "video",
            "url": f"https://{HOST}/system/{media_id}" if is_image else None,
            "preview_url": f"https://{HOST}/system/{media_id}/small",
            "description": fields.get("description"),
            "polls": 0,
        }
        state.media[media_id] = media
        return JSONResponse(media, status_code=200 if is_image else 202)

    async def get_media(request: Request, account: Any, body: Any) -> Response:
        media = state.media.get(request.path_params["id"])
        if media is None:
            return _error(404, "Record not found")
        media["polls"] += 1
        if media["url"] is None and media["polls"] >= state.processing_polls:
            media["url"] = f"https://{HOST}/system/{media['id']}"
        return JSONResponse(media, status_code=200 if media["url"] else 206)

    async def notifications(request: Request, account: Any, body: Any) -> Response:
        types = request.query_params.getlist("types[]")
        items = [n for n in state.notifications if not types or n["type"] in types]
        return JSONResponse(_newest_first(items, request))

    async def search(request: Request, account: Any, body: Any) -> Response:
        query = request.query_params.get("q", "").lower()
        statuses = []
        if state.full_text_search and request.query_params.get("type") == "statuses":
            statuses = [s for s in state.statuses if query in s["content"].lower()]
        return JSONResponse({"accounts": [], "statuses": statuses, "hashtags": []})

    async def tag_timeline(request: Request, account: Any, body: Any) -> Response:
        tag = request.path_params["tag"].lower()
        statuses = [s for s in state.statuses if f"/tags/{tag}" in s["content"].lower()]
        return JSONResponse(_newest_first(statuses, request))

    async def media_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name.endswith(".mp4"):
            return Response(MP4, media_type="video/mp4")
        return Response(PNG, media_type="image/png")

    def route(path: str, handler, method: str, *, authenticated: bool = True) -> Route:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler, authenticated=authenticated)

        return Route(path, endpoint, methods=[method])

    return Starlette(
        routes=[
            route("/api/v1/apps", register, "POST", authenticated=False),
            route("/api/v1/accounts/verify_credentials", verify_credentials, "GET"),
            route("/api/v1/statuses", create_status, "POST"),
            route("/api/v1/statuses", get_statuses, "GET"),
            route("/api/v1/statuses/{id}", get_status, "GET"),
            route("/api/v1/accounts/{id}/statuses", account_statuses, "GET"),
            route("/api/v2/media", upload_media, "POST"),
            route("/api/v1/media/{id}", get_media, "GET"),
            route("/api/v1/notifications", notifications, "GET"),
            route("/api/v2/search", search, "GET"),
            route("/api/v1/timelines/tag/{tag}", tag_timeline, "GET"),
            Route("/media/{name}", media_file, methods=["GET"]),
        ]
    )
