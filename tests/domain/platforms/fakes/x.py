"""A fake of the X API v2 endpoints the X adapter uses, faithful to docs.x.com.

Posts are stored the way X stores them (text HTML-escaped, links wrapped in t.co URLs, a t.co
link appended for attached media, snowflake ids), errors use X's problem bodies, and 429s
carry x-rate-limit-* (and, for the daily cap, x-user-limit-24hour-*) headers. Failure modes
(set with `state.fail(mode, on=("POST /2/tweets",))`):
  expired       401 Unauthorized
  rate_limit    429 with x-rate-limit-reset
  daily_cap     429 with x-user-limit-24hour-remaining: 0 and its reset
  server_error  503 before anything is stored
  invalid       400 invalid-request problem
  slow          sleeps `slow_seconds` before doing anything (nothing stored on timeout)
  server_error_after / slow_after   the post is stored, then 503 / a late answer
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.domain.platforms.fakes.forms import read_form
from tests.domain.platforms.fakes.transport import FailurePlan, Recorded
from tests.domain.platforms.fakes.x_objects import (
    StoredTweet,
    media_object,
    render,
    stored_text,
)

SNOWFLAKE_EPOCH_MS = 1288834974657
ME = {"id": "2244994945", "name": "Kopi Kenangan", "username": "kopikenangan"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 128
_URL = re.compile(r"https?://\S+")


@dataclass
class XFakeState(FailurePlan):
    access_tokens: dict[str, str] = field(default_factory=lambda: {"x-access-1": ME["id"]})
    refresh_tokens: set[str] = field(default_factory=lambda: {"x-refresh-1"})
    rotate_refresh_tokens: bool = True
    client_id: str = "x-client"
    client_secret: str = "x-secret"
    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            ME["id"]: {
                **ME,
                "public_metrics": {
                    "followers_count": 5400,
                    "following_count": 120,
                    "tweet_count": 830,
                    "listed_count": 12,
                    "like_count": 95,
                },
            },
            "99": {
                "id": "99",
                "name": "Budi",
                "username": "budi",
                "public_metrics": {"followers_count": 120},
            },
        }
    )
    tweets: list[StoredTweet] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    media_views: dict[str, int] = field(default_factory=dict)
    processing_steps: int = 2
    processing_outcome: str = "succeeded"
    _sequence: itertools.count = field(default_factory=itertools.count)

    def next_id(self, at: datetime | None = None) -> str:
        moment = at or datetime.now(UTC)
        milliseconds = int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        return str((milliseconds << 22) | (next(self._sequence) % (1 << 22)))

    def add_tweet(self, author_id: str, text: str, **extra: Any) -> StoredTweet:
        created_at = extra.pop("created_at", datetime.now(UTC))
        tweet = StoredTweet(self.next_id(created_at), author_id, text, created_at, **extra)
        self.tweets.append(tweet)
        return tweet

    def own_tweets(self) -> list[StoredTweet]:
        return [tweet for tweet in self.tweets if tweet.author_id == ME["id"]]


def _problem(status: int, title: str, detail: str, **headers: str) -> JSONResponse:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _invalid(message: str) -> JSONResponse:
    body = {
        "errors": [{"parameters": {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return JSONResponse(body, status_code=400)


def create_app(state: XFakeState) -> Starlette:
    async def guarded(request: Request, handler) -> Response:
        """Authentication, recording and the injected failures, around every endpoint."""
        body: Any = None
        if request.method == "POST":
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                body = json.loads(raw or b"null")
            else:
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
            return _problem(401, "Unauthorized", "Unauthorized")
        if mode == "rate_limit":
            reset = str(int(time.time()) + 900)
            return _problem(
                429,
                "Too Many Requests",
                "Too Many Requests",
                **{
                    "x-rate-limit-limit": "100",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset,
                },
            )
        if mode == "daily_cap":
            return _problem(
                429,
                "Too Many Requests",
                "Too Many Requests",
                **{
                    "x-rate-limit-remaining": "99",
                    "x-rate-limit-reset": str(int(time.time()) + 900),
                    "x-user-limit-24hour-limit": "17",
                    "x-user-limit-24hour-remaining": "0",
                    "x-user-limit-24hour-reset": str(int(time.time()) + 20 * 3600),
                },
            )
        if mode == "server_error":
            return _problem(503, "Service Unavailable", "Service Unavailable")
        if mode == "invalid":
            return _invalid("The `text` field is invalid.")
        user_id = _user_for(request)
        if user_id is None:
            return _problem(401, "Unauthorized", "Unauthorized")
        response = await handler(request, user_id, body)
        if mode == "server_error_after":
            return _problem(503, "Service Unavailable", "Service Unavailable")
        if mode == "slow_after":
            await asyncio.sleep(state.slow_seconds)
        return response

    def _user_for(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return state.access_tokens.get(token) if scheme == "Bearer" else None

    async def create_tweet(request: Request, user_id: str, body: Any) -> Response:
        body = body or {}
        text = str(body.get("text", ""))
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return _invalid("Tweet needs text or media.")
        if len(text) > 280 and not _URL.search(text):
            return _invalid("Tweet text is too long.")
        unknown = [media_id for media_id in media_ids if media_id not in state.media]
        if unknown:
            return _invalid(f"Your media IDs are invalid: {unknown}")
        for tweet in state.own_tweets():
            if text and not media_ids and tweet.text == stored_text(text, [], tweet.id):
                return _problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                )
        reply = body.get("reply") or {}
        parent = next((t for t in state.tweets if t.id == reply.get("in_reply_to_tweet_id")), None)
        if reply and parent is None:
            return _invalid("The tweet you are replying to does not exist.")
        tweet_id = state.next_id()
        keys = [state.media[media_id]["media_key"] for media_id in media_ids]
        stored = StoredTweet(
            tweet_id,
            user_id,
            stored_text(text, keys, tweet_id),
            datetime.now(UTC),
            media_keys=keys,
            in_reply_to=parent.id if parent else None,
            in_reply_to_user_id=parent.author_id if parent else None,
        )
        state.tweets.append(stored)
        return JSONResponse({"data": {"id": tweet_id, "text": stored.text}}, status_code=201)

    async def me(request: Request, user_id: str, body: Any) -> Response:
        user = state.users[user_id]
        fields = ["id", "name", "username"]
        fields += request.query_params.get("user.fields", "").split(",")
        return JSONResponse({"data": {key: user[key] for key in fields if key in user}})

    def _page(request: Request, tweets: list[StoredTweet], user_id: str) -> Response:
        params = request.query_params
        fields = set(params.get("tweet.fields", "").split(","))
        size = int(params.get("max_results", "10"))
        offset = int(params.get("pagination_token", "0"))
        ordered = sorted(tweets, key=lambda t: int(t.id), reverse=True)
        page = ordered[offset : offset + size]
        body: dict[str, Any] = {
            "data": [render(t, fields, own=t.author_id == user_id) for t in page],
            "meta": {"result_count": len(page)},
        }
        if not page:
            body.pop("data")
        if offset + size < len(ordered):
            body["meta"]["next_token"] = str(offset + size)
        if "author_id" in params.get("expansions", ""):
            authors = {t.author_id for t in page}
            body["includes"] = {"users": [state.users[a] for a in authors if a in state.users]}
        return JSONResponse(body)

    def _since(request: Request) -> datetime:
        start = request.query_params.get("start_time")
        return datetime.fromisoformat(start.replace("Z", "+00:00")) if start else datetime.min

    async def user_tweets(request: Request, user_id: str, body: Any) -> Response:
        author = request.path_params["id"]
        excluded = request.query_params.get("exclude", "")
        since = _since(request).replace(tzinfo=UTC)
        tweets = [
            t
            for t in state.tweets
            if t.author_id == author
            and t.created_at >= since
            and not ("replies" in excluded and t.in_reply_to)
        ]
        return _page(request, tweets, user_id)

    async def mentions(request: Request, user_id: str, body: Any) -> Response:
        me_id = request.path_params["id"]
        handle = "@" + state.users[me_id]["username"]
        since = _since(request).replace(tzinfo=UTC)
        tweets = [
            t
            for t in state.tweets
            if t.author_id != me_id
            and t.created_at >= since
            and (handle.lower() in t.text.lower() or t.in_reply_to_user_id == me_id)
        ]
        return _page(request, tweets, user_id)

    async def lookup(request: Request, user_id: str, body: Any) -> Response:
        """GET /2/tweets: at most 100 ids; ids X no longer has are left out of `data` (and
        reported under `errors`); `expansions=attachments.media_keys` adds the tweets'
        `attachments` and the media objects under `includes.media`."""
        params = request.query_params
        ids = params.get("ids", "").split(",")
        if len(ids) > 100:
            return _invalid("The `ids` query parameter value [...] is not between 1 and 100")
        fields = set(params.get("tweet.fields", "").split(","))
        expand = "attachments.media_keys" in params.get("expansions", "").split(",")
        if expand:
            fields.add("attachments")
        found = [t for t in state.tweets if t.id in ids]
        body: dict[str, Any] = {
            "data": [render(t, fields, own=t.author_id == user_id) for t in found]
        }
        missing = [i for i in ids if i not in {t.id for t in found}]
        if missing:
            body["errors"] = [
                {
                    "value": i,
                    "detail": f"Could not find tweet with ids: [{i}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "ids",
                    "resource_id": i,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                for i in missing
            ]
        keys = {key for t in found for key in t.media_keys}
        if expand and keys:
            media_fields = set(params.get("media.fields", "").split(","))
            body["includes"] = {
                "media": [media_object(state.media_views, key, media_fields) for key in keys]
            }
        return JSONResponse(body)

    async def search_recent(request: Request, user_id: str, body: Any) -> Response:
        since = _since(request).replace(tzinfo=UTC)
        if since < datetime.now(UTC) - timedelta(days=7):
            return _invalid("Invalid 'start_time':'...'. 'start_time' must be within 7 days.")
        query = request.query_params.get("query", "")
        terms = [t.strip('"').lower() for t in re.findall(r'"[^"]+"|[^\s()]+', query)]
        terms = [t for t in terms if t not in ("or", "-is:retweet")]
        tweets = [
            t
            for t in state.tweets
            if t.created_at >= since and any(term in t.text.lower() for term in terms)
        ]
        return _page(request, tweets, user_id)

    async def media_upload(request: Request, user_id: str, body: Any) -> Response:
        fields, files = await read_form(request)
        command = fields.get("command")
        if command is None:
            upload = files.get("media")
            if upload is None or not upload.content:
                return _invalid("media is required")
            return JSONResponse({"data": _new_media(fields, len(upload.content))})
        if command == "INIT":
            return JSONResponse({"data": _new_media(fields, int(fields["total_bytes"]))})
        media = state.media.get(fields.get("media_id", ""))
        if media is None:
            return _invalid("Invalid media_id")
        if command == "APPEND":
            media["received"] += len(files["media"].content)
            return Response(status_code=204)
        if command == "FINALIZE":
            if media["received"] != media["size"]:
                return _invalid("File size mismatch")
            media["polls"] = 0
            info = {"state": "pending", "check_after_secs": 1}
            return JSONResponse({"data": {"id": media["id"], "processing_info": info}})
        return _invalid(f"Unknown command {command}")

    def _new_media(fields: dict[str, str], size: int) -> dict[str, Any]:
        media_id = state.next_id()
        prefix = "3" if fields.get("media_category") == "tweet_image" else "7"
        state.media[media_id] = {
            "id": media_id,
            "media_key": f"{prefix}_{media_id}",
            "size": size,
            "received": 0,
            "category": fields.get("media_category"),
            "media_type": fields.get("media_type"),
        }
        return {"id": media_id, "media_key": f"{prefix}_{media_id}", "expires_after_secs": 86400}

    async def media_status(request: Request, user_id: str, body: Any) -> Response:
        media = state.media.get(request.query_params.get("media_id", ""))
        if media is None:
            return _invalid("Invalid media_id")
        media["polls"] += 1
        if media["polls"] < state.processing_steps:
            info: dict[str, Any] = {"state": "in_progress", "check_after_secs": 1}
        elif state.processing_outcome == "failed":
            info = {"state": "failed", "error": {"code": 1, "message": "Unsupported video"}}
        else:
            info = {"state": "succeeded", "progress_percent": 100}
        return JSONResponse({"data": {"id": media["id"], "processing_info": info}})

    async def media_metadata(request: Request, user_id: str, body: Any) -> Response:
        media = state.media.get((body or {}).get("id", ""))
        if media is None:
            return _invalid("Invalid media id")
        media["alt_text"] = body["metadata"]["alt_text"]["text"]
        return JSONResponse({"data": {"associated_metadata": body["metadata"]}})

    async def token(request: Request) -> Response:
        fields, _ = await read_form(request)
        state.requests.append(Recorded("POST", request.url.path, dict(request.headers), {}, fields))
        mode = state.failure_for("POST", request.url.path)
        if mode == "server_error":
            return _problem(503, "Service Unavailable", "Service Unavailable")
        expected = _basic(state.client_id, state.client_secret)
        if request.headers.get("authorization") != expected:
            return JSONResponse(
                {"error": "unauthorized_client", "error_description": "Missing valid auth"},
                status_code=401,
            )
        if (
            fields.get("grant_type") != "refresh_token"
            or fields.get("refresh_token") not in state.refresh_tokens
        ):
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
                status_code=400,
            )
        access = f"x-access-{len(state.access_tokens) + 1}"
        state.access_tokens[access] = ME["id"]
        body = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": "tweet.read tweet.write users.read media.write offline.access",
        }
        if state.rotate_refresh_tokens:
            state.refresh_tokens.discard(fields["refresh_token"])
            body["refresh_token"] = f"x-refresh-{len(state.access_tokens)}"
            state.refresh_tokens.add(body["refresh_token"])
        return JSONResponse(body)

    async def media_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name.startswith("missing"):
            return Response(status_code=404)
        if name.endswith(".mp4"):
            return Response(MP4, media_type="video/mp4")
        return Response(PNG, media_type="image/png")

    def route(path: str, handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler)

        return Route(path, endpoint, methods=[method])

    return Starlette(
        routes=[
            route("/2/tweets", create_tweet, "POST"),
            route("/2/tweets", lookup, "GET"),
            route("/2/users/me", me, "GET"),
            route("/2/users/{id}/tweets", user_tweets, "GET"),
            route("/2/users/{id}/mentions", mentions, "GET"),
            route("/2/tweets/search/recent", search_recent, "GET"),
            route("/2/media/upload", media_upload, "POST"),
            route("/2/media/upload", media_status, "GET"),
            route("/2/media/metadata", media_metadata, "POST"),
            Route("/2/oauth2/token", token, methods=["POST"]),
            Route("/media/{name}", media_file, methods=["GET"]),
        ]
    )


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
