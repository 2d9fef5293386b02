"""A fake of the Pinterest API v5 endpoints the adapter uses.

Shapes follow Pinterest's OpenAPI description (github.com/pinterest/api-description,
v5/openapi.yaml): PinCreate/Pin (201 on create, `created_at` without zone, the private
`note`), paginated lists `{"items", "bookmark"}`, PinAnalyticsResponse `{"all":
{"daily_metrics", "summary_metrics", "lifetime_metrics"}}`, the token endpoint with HTTP
Basic client authentication and OauthAccessTokenResponse*, and the error shape
`{"code", "message"}`. Multi-pin analytics (`GET /pins/analytics?pin_ids=`, beta: at most
100 pins, BulkPinAnalyticsResponse `{"<pin_id>": {"all": {...}}}`, 404 "Pin not found" for
the whole call when one pin is unknown) and user_account/analytics (AnalyticsResponse
`{"all": {"daily_metrics": [{"date", "data_status", "metrics": {"PROFILE_VISIT", ...}}],
"summary_metrics"}}`) are faked too; video metric types (VIDEO_MRC_VIEW,
VIDEO_V50_WATCH_TIME in ms) are answered for video pins only. Video pins go through
media/create (a signed S3 form upload, faked here on the upload host) and media/get until
`succeeded`; the media host Kelola serves files from is faked too.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.domain.platforms.fakes.graph import Failure

TOKEN = "pina_AMA-access"
REFRESH_TOKEN = "pinr_AMA-refresh"
CLIENT_ID = "1500123"
CLIENT_SECRET = "pin-secret"
BOARD_ID = "549755885175"
OTHER_BOARD_ID = "549755885176"
RESET_S = 42
UPLOAD_HOST = "pinterest-media-upload.s3-accelerate.amazonaws.com"
MEDIA_HOST = "cdn.kelola.test"
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42-fake-video" * 20
VIDEO_TYPES = frozenset(
    {
        "VIDEO_MRC_VIEW",
        "VIDEO_10S_VIEW",
        "QUARTILE_95_PERCENT_VIEW",
        "VIDEO_V50_WATCH_TIME",
        "VIDEO_START",
        "VIDEO_AVG_WATCH_TIME",
    }
)


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    host: str = ""

    def json(self):
        return json.loads(self.body)


@dataclass
class PinterestState:
    failures: list[Failure] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    pins: dict[str, dict] = field(default_factory=dict)
    analytics: dict[str, dict] = field(default_factory=dict)
    bulk_analytics: bool = True  # the multi-pin analytics beta is enabled for the app
    refuse_video_types_on_images: bool = False  # answer 400 instead of leaving them out
    profile_visits: dict[date, int] = field(default_factory=dict)
    uploads: dict[str, dict] = field(default_factory=dict)
    video_polls: int = 1
    video_outcome: str = "succeeded"
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    continuous_refresh: bool = True
    refuse: bool = False
    slow_s: float = 1.0
    ids: count = field(default_factory=lambda: count(813744226420795884))

    def fail(self, mode: str, *, method: str | None = None, path: str | None = None, times=None):
        self.failures.append(Failure(mode, method, path, times))

    def failure_for(self, method: str, path: str) -> str | None:
        for failure in self.failures:
            if failure.applies(method, path):
                if failure.times is not None:
                    failure.times -= 1
                return failure.mode
        return None

    def seen(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.requests if s.method == method and s.path.startswith(path)]

    def add_pin(self, board: str, description: str, *, age=timedelta(0), note=None) -> dict:
        pin = _pin_object(
            str(next(self.ids)), {"board_id": board, "description": description, "note": note}
        )
        pin["created_at"] = _time(datetime.now(UTC) - age)
        self.pins[pin["id"]] = pin
        return pin


def pin_error(status: int, code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def create_app(state: PinterestState) -> Starlette:
    async def handle(request: Request) -> Response:
        seen = Seen(
            request.method,
            request.url.path.removeprefix("/v5"),
            dict(request.query_params),
            dict(request.headers),
            await request.body(),
            request.url.hostname or "",
        )
        state.requests.append(seen)
        if seen.host == MEDIA_HOST:
            return Response(VIDEO_BYTES, media_type="video/mp4")
        if seen.host == UPLOAD_HOST:
            return _s3_upload(state, seen)
        mode = state.failure_for(seen.method, seen.path)
        if mode is not None and mode not in ("server_error", "slow"):
            return _failure(mode)
        if seen.path == "/oauth/token":
            return _token(state, seen)
        if seen.headers.get("authorization") not in {f"Bearer {t}" for t in state.tokens}:
            return pin_error(401, 2, "Authentication failed.")
        response = _route(state, seen)
        if mode == "slow":
            await asyncio.sleep(state.slow_s)
        if mode is not None:
            return pin_error(500, 1, "Something went wrong on our end. Sorry about that.")
        return response

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


def _failure(mode: str) -> Response:
    if mode == "expired":
        return pin_error(401, 2, "Authentication failed.")
    if mode == "rate_limit":
        return pin_error(
            429,
            8,
            "You have exceeded your rate limit. Try again later.",
            **{
                "x-ratelimit-limit": "100",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(RESET_S),
            },
        )
    if mode == "forbidden":
        return pin_error(403, 29, "You are not permitted to access that resource.")
    if mode == "invalid":
        return pin_error(400, 1, "Invalid request: Sorry! We could not fetch the image.")
    return pin_error(503, 1, "Service unavailable.")


def _token(state: PinterestState, seen: Seen) -> Response:
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    if seen.headers.get("authorization") != f"Basic {expected}":
        return pin_error(401, 2, "Authentication failed.")
    form = dict(parse_qsl(seen.body.decode()))
    if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH_TOKEN:
        return pin_error(400, 1, "Invalid request: the refresh token is invalid or expired")
    access = f"pina_AMA-{next(state.ids)}"
    state.tokens = {access}
    body = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": 2592000,
        "scope": "boards:read,pins:read,pins:write,user_accounts:read",
        "response_type": "refresh_token",
    }
    if state.continuous_refresh and form.get("continuous_refresh") == "true":
        now = int(datetime.now(UTC).timestamp())
        body |= {
            "refresh_token": "pinr_AMA-rotated",
            "refresh_token_expires_in": 5184000,
            "refresh_token_expires_at": now + 5184000,
        }
    return JSONResponse(body)


def _route(state: PinterestState, seen: Seen) -> Response:
    if seen.path == "/user_account":
        return JSONResponse(
            {
                "account_type": "BUSINESS",
                "id": "1055599876543",
                "username": "kopikita",
                "business_name": "Kopi Kita",
                "profile_image": "https://i.pinimg.com/p.jpg",
                "website_url": "https://kopi.test",
                "board_count": 2,
                "pin_count": len(state.pins),
                "follower_count": 1200,
                "following_count": 10,
                "monthly_views": 5400,
            }
        )
    if seen.path == "/boards":
        return _boards(seen)
    if seen.path == "/media" and seen.method == "POST":
        return _register_media(state, seen)
    if seen.path.startswith("/media/"):
        return _media_status(state, seen.path.split("/")[2])
    if seen.path == "/pins" and seen.method == "POST":
        return _create(state, seen)
    if seen.path.startswith("/boards/") and seen.path.endswith("/pins"):
        return _board_pins(state, seen, seen.path.split("/")[2])
    if seen.path == "/user_account/analytics":
        return _user_analytics(state, seen)
    if seen.path == "/pins/analytics":
        return _bulk_analytics(state, seen)
    if seen.path.startswith("/pins/") and seen.path.endswith("/analytics"):
        return _analytics(state, seen, seen.path.split("/")[2])
    return pin_error(404, 404, "Not found.")


def _boards(seen: Seen) -> Response:
    boards = [
        {
            "id": BOARD_ID,
            "name": "Coffee",
            "privacy": "PUBLIC",
            "description": "Our brews",
            "owner": {"username": "kopikita"},
        },
        {
            "id": OTHER_BOARD_ID,
            "name": "Secret menu",
            "privacy": "SECRET",
            "owner": {"username": "kopikita"},
        },
    ]
    start = int(seen.params.get("bookmark", "0"))
    return JSONResponse(
        {
            "items": boards[start : start + 1],
            "bookmark": str(start + 1) if start + 1 < len(boards) else None,
        }
    )


def _create(state: PinterestState, seen: Seen) -> Response:
    body = seen.json()
    if body.get("board_id") not in (BOARD_ID, OTHER_BOARD_ID):
        return pin_error(404, 40, "Board not found.")
    limits = {"title": 100, "description": 800, "link": 2048, "alt_text": 500}
    for name, limit in limits.items():
        if len(body.get(name) or "") > limit:
            return pin_error(400, 1, f"Invalid request: '{name}' is too long")
    source = body.get("media_source") or {}
    if source.get("source_type") == "video_id":
        upload = state.uploads.get(source.get("media_id", ""))
        if upload is None or upload["status"] != "succeeded":
            return pin_error(400, 1, "Invalid request: the media upload is not ready")
        pin = _pin_object(str(next(state.ids)), body)
        pin["media"] = {"media_type": "video", "duration": 12000}
        state.pins[pin["id"]] = pin
        return JSONResponse(pin, status_code=201)
    urls = (
        [source.get("url")]
        if source.get("source_type") == "image_url"
        else [item.get("url") for item in source.get("items") or []]
    )
    if source.get("source_type") not in ("image_url", "multiple_image_urls") or not all(
        url and url.startswith("https://") for url in urls
    ):
        return pin_error(400, 1, "Invalid request: Sorry! We could not fetch the image.")
    pin = _pin_object(str(next(state.ids)), body)
    state.pins[pin["id"]] = pin
    return JSONResponse(pin, status_code=201)


def _register_media(state: PinterestState, seen: Seen) -> Response:
    if seen.json().get("media_type") != "video":
        return pin_error(400, 1, "Invalid request: media_type must be video")
    media_id = str(next(state.ids))
    key = f"uploads/11/aa/22/3:video:{media_id}"
    state.uploads[media_id] = {"key": key, "status": "registered", "polls": state.video_polls}
    parameters = {
        "x-amz-date": "20261126T031000Z",
        "x-amz-signature": "fcd6309a6aaee213348666a72abed8b4",
        "x-amz-security-token": "IQoJb3JpZ2luX2VjEJr==",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "key": key,
        "policy": "eyJleHBpcmF0aW9uIjoiMj..==",
        "x-amz-credential": "ASIA6QZJ64OPIKV7FRVX/20261126/us-east-1/s3/aws4_request",
        "Content-Type": "multipart/form-data",
    }
    body = {
        "media_id": media_id,
        "media_type": "video",
        "upload_url": f"https://{UPLOAD_HOST}/",
        "upload_parameters": parameters,
    }
    return JSONResponse(body, status_code=201)


def _s3_upload(state: PinterestState, seen: Seen) -> Response:
    """S3 checks the signed form fields and takes the file; no Pinterest token involved."""
    if "authorization" in seen.headers:
        return Response("<Error><Code>InvalidArgument</Code></Error>", status_code=400)
    for upload in state.uploads.values():
        if f'name="key"\r\n\r\n{upload["key"]}'.encode() in seen.body:
            if b'name="x-amz-signature"' not in seen.body or VIDEO_BYTES not in seen.body:
                return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403)
            upload["status"] = "processing"
            return Response(status_code=204)
    return Response("<Error><Code>InvalidPolicyDocument</Code></Error>", status_code=400)


def _media_status(state: PinterestState, media_id: str) -> Response:
    upload = state.uploads.get(media_id)
    if upload is None:
        return pin_error(404, 404, "Media upload not found.")
    if upload["status"] == "processing":
        if upload["polls"] > 0:
            upload["polls"] -= 1
        else:
            upload["status"] = state.video_outcome
    return JSONResponse({"media_id": media_id, "media_type": "video", "status": upload["status"]})


def _pin_object(pin_id: str, body: dict) -> dict:
    return {
        "id": pin_id,
        "created_at": _time(datetime.now(UTC)),
        "link": body.get("link"),
        "title": body.get("title"),
        "description": body.get("description"),
        "dominant_color": "#6E7874",
        "alt_text": body.get("alt_text"),
        "creative_type": "REGULAR",
        "board_id": body["board_id"],
        "board_section_id": None,
        "board_owner": {"username": "kopikita"},
        "is_owner": True,
        "media": {
            "media_type": "image",
            "images": {"600x": {"width": 600, "height": 900, "url": "https://i.pinimg.com/x.jpg"}},
        },
        "parent_pin_id": None,
        "is_standard": True,
        "has_been_promoted": False,
        "note": body.get("note"),
        "pin_metrics": None,
    }


def _board_pins(state: PinterestState, seen: Seen, board: str) -> Response:
    pins = [pin for pin in state.pins.values() if pin["board_id"] == board]
    pins.sort(key=lambda pin: pin["created_at"], reverse=True)
    size = int(seen.params.get("page_size", "25"))
    start = int(seen.params.get("bookmark", "0"))
    more = start + size < len(pins)
    return JSONResponse(
        {"items": pins[start : start + size], "bookmark": str(start + size) if more else None}
    )


def _dates(seen: Seen) -> tuple[date, date] | Response:
    start, end = (
        date.fromisoformat(seen.params["start_date"]),
        date.fromisoformat(seen.params["end_date"]),
    )
    today = datetime.now(UTC).date()
    if (today - start).days > 90 or (end - start).days > 90:
        return pin_error(400, 1, "Invalid request: start_date cannot be more than 90 days back")
    return start, end


def _report(state: PinterestState, pin_id: str, wanted: list[str], end: date) -> dict | Response:
    video = state.pins[pin_id]["media"]["media_type"] == "video"
    if not video and state.refuse_video_types_on_images and set(wanted) & VIDEO_TYPES:
        return pin_error(400, 1, "Invalid request: video metric types need a video Pin")
    values = state.analytics.get(pin_id, {})
    known = [name for name in wanted if name in values and (video or name not in VIDEO_TYPES)]
    summary = {name: values[name] for name in known if "TOTAL" not in name}
    lifetime = {name: values[name] for name in known if "TOTAL" in name}
    return {
        "all": {
            "daily_metrics": [
                {"data_status": "READY", "date": end.isoformat(), "metrics": summary}
            ],
            "summary_metrics": summary,
            "lifetime_metrics": lifetime,
        }
    }


def _analytics(state: PinterestState, seen: Seen, pin_id: str) -> Response:
    dates = _dates(seen)
    if isinstance(dates, Response):
        return dates
    if pin_id not in state.pins:
        return pin_error(404, 50, "Pin not found.")
    report = _report(state, pin_id, seen.params["metric_types"].split(","), dates[1])
    return report if isinstance(report, Response) else JSONResponse(report)


def _bulk_analytics(state: PinterestState, seen: Seen) -> Response:
    if not state.bulk_analytics:
        return pin_error(403, 29, "You are not permitted to access that resource.")
    dates = _dates(seen)
    if isinstance(dates, Response):
        return dates
    pin_ids = seen.params.get("pin_ids", "").split(",")
    if not 1 <= len(pin_ids) <= 100:
        return pin_error(400, 1, "Invalid multi_pins analytics parameters.")
    if any(pin_id not in state.pins for pin_id in pin_ids):
        return pin_error(404, 50, "Pin not found.")
    body = {}
    for pin_id in pin_ids:
        report = _report(state, pin_id, seen.params["metric_types"].split(","), dates[1])
        if isinstance(report, Response):
            return report
        body[pin_id] = report
    return JSONResponse(body)


def _user_analytics(state: PinterestState, seen: Seen) -> Response:
    dates = _dates(seen)
    if isinstance(dates, Response):
        return dates
    start, end = dates
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if day in state.profile_visits:
            metrics = {"IMPRESSION": 10 * state.profile_visits[day], "SAVE": 3, "PIN_CLICK": 5}
            metrics["PROFILE_VISIT"] = state.profile_visits[day]
            days.append({"date": day.isoformat(), "data_status": "READY", "metrics": metrics})
        else:
            days.append({"date": day.isoformat(), "data_status": "PROCESSING", "metrics": {}})
    summary = {"PROFILE_VISIT": sum(day["metrics"].get("PROFILE_VISIT", 0) for day in days)}
    return JSONResponse({"all": {"daily_metrics": days, "summary_metrics": summary}})


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
