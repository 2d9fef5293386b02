"""A fake of the LinkedIn REST endpoints the adapter uses, plus the media host Kelola
serves files from (LinkedIn wants bytes, so the adapter downloads them first).

Shapes follow learn.microsoft.com/linkedin: posts-api (201 with the URN in `x-restli-id`;
FINDER `q=author` answers `{"paging", "elements"}` with `commentary`, `createdAt` in ms),
images-api and videos-api (`{"value": {...}}`), comments-api, share-statistics
(`shares=List(urn%3Ali%3Ashare%3A…)`), organization-access-control-by-role,
sign-in-with-linkedin-v2 (`/v2/userinfo`), programmatic-refresh-tokens, social actions
(BATCH_GET `ids=List(...)` answering `{"results", "statuses", "errors"}` keyed by the
encoded URN), networkSizes (`firstDegreeSize`), organizationPageStatistics (time-bound:
one element per day with `timeRange` and `totalPageStatistics.views.allPageViews`),
memberFollowersCount (`q=me`, r_member_profileAnalytics), and the error shape `{"status",
"serviceErrorCode", "code", "message"}`; 429 comes without reset headers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from urllib.parse import parse_qsl, quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.domain.platforms.fakes.graph import Failure

TOKEN = "AQX-member-token"
REFRESH_TOKEN = "AQT-refresh-token"
CLIENT_ID = "86abcdefgh"
CLIENT_SECRET = "li-secret"
MEMBER = "urn:li:person:782bbtaQ"
ORGANIZATION = "urn:li:organization:2414183"
VERSION = "202610"
IMAGE_BYTES = b"\xff\xd8\xff\xe0fake-jpeg" * 10
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" * 50
PART_SIZE = 200


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""

    def json(self):
        return json.loads(self.body)


@dataclass
class LinkedInState:
    failures: list[Failure] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    posts: dict[str, dict] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    comments: dict[str, dict] = field(default_factory=dict)
    statistics: dict[str, dict] = field(default_factory=dict)
    followers: int = 4210
    page_views: dict[date, int] = field(default_factory=dict)
    member_followers: int | None = None  # None: r_member_profileAnalytics not granted
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    rotate_refresh_token: bool = False
    refuse: bool = False
    slow_s: float = 1.0
    ids: count = field(default_factory=lambda: count(7100000000000000001))

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

    def add_comment(self, target: str, text: str, actor: str, *, minutes_ago: int = 0) -> dict:
        parent = self.comments.get(target)
        post = parent["object"] if parent else target
        activity = post.replace("urn:li:share:", "urn:li:activity:").replace(
            "urn:li:ugcPost:", "urn:li:activity:"
        )
        number = next(self.ids)
        created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        comment = {
            "actor": actor,
            "commentUrn": f"urn:li:comment:({activity},{number})",
            "created": {"actor": actor, "time": int(created.timestamp() * 1000)},
            "id": str(number),
            "message": {"text": text},
            "object": post,
        }
        if parent:
            comment["parentComment"] = parent["commentUrn"]
        self.comments[comment["commentUrn"]] = comment
        return comment


def li_error(status: int, code: str, message: str, service_code: int) -> JSONResponse:
    return JSONResponse(
        {"status": status, "serviceErrorCode": service_code, "code": code, "message": message},
        status_code=status,
    )


def create_app(state: LinkedInState) -> Starlette:
    async def handle(request: Request) -> Response:
        seen = Seen(
            request.method,
            request.url.path,
            request.url.query,
            dict(request.headers),
            await request.body(),
            request.scope.get("raw_path", b"").decode(),
        )
        state.requests.append(seen)
        mode = state.failure_for(seen.method, seen.path)
        if mode is not None and mode not in ("server_error", "slow"):
            return _failure(mode)
        if seen.path.startswith("/media/"):
            return _media(seen)
        if seen.path == "/oauth/v2/accessToken":
            return _refresh(state, seen)
        if seen.headers.get("authorization") != f"Bearer {TOKEN}" or TOKEN not in state.tokens:
            return li_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if seen.path.startswith("/rest/") and (
            seen.headers.get("linkedin-version") != VERSION
            or seen.headers.get("x-restli-protocol-version") != "2.0.0"
        ):
            return li_error(426, "VERSION_MISSING", "A version must be present", 0)
        response = _route(state, seen)
        if mode == "slow":
            await asyncio.sleep(state.slow_s)
        if mode is not None:
            return JSONResponse({"message": "Internal Server Error", "status": 500}, 500)
        return response

    methods = ["GET", "POST", "PUT"]
    return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])


def _failure(mode: str) -> Response:
    if mode == "expired":
        return li_error(
            401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601
        )
    if mode == "rate_limit":
        return li_error(
            429,
            "TOO_MANY_REQUESTS",
            "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
            101,
        )
    if mode == "forbidden":
        return li_error(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20241001",
            100,
        )
    if mode == "invalid":
        return JSONResponse(
            {
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "message": "ERROR :: /commentary :: commentary exceeds the maximum length",
                "errorDetails": {"inputErrors": [{"code": "INVALID_VALUE"}]},
                "status": 422,
            },
            status_code=422,
        )
    return JSONResponse({"message": "Service Unavailable", "status": 503}, 503)


def _media(seen: Seen) -> Response:
    if seen.path.endswith(".mp4"):
        return Response(VIDEO_BYTES, media_type="video/mp4")
    if seen.path.endswith("missing.jpg"):
        return Response("Not Found", status_code=404)
    return Response(IMAGE_BYTES, media_type="image/jpeg")


def _refresh(state: LinkedInState, seen: Seen) -> Response:
    form = dict(parse_qsl(seen.body.decode()))
    valid = (
        form.get("grant_type") == "refresh_token"
        and form.get("refresh_token") == REFRESH_TOKEN
        and (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)
    )
    if not valid:
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "The provided authorization grant or refresh token is "
                "invalid, expired or revoked",
            },
            status_code=400,
        )
    new_token = f"AQX-refreshed-{next(state.ids)}"
    state.tokens = {new_token}
    body = {"access_token": new_token, "expires_in": 5184000, "refresh_token_expires_in": 525600}
    if state.rotate_refresh_token:
        body["refresh_token"] = "AQT-rotated"
    return JSONResponse(body)


def _route(state: LinkedInState, seen: Seen) -> Response:
    path, query = seen.path, dict(parse_qsl(seen.query))
    if path == "/v2/userinfo":
        return JSONResponse(
            {
                "sub": "782bbtaQ",
                "name": "Ana Wijaya",
                "given_name": "Ana",
                "family_name": "Wijaya",
                "locale": {"country": "ID", "language": "en"},
            }
        )
    if path == "/rest/organizationAcls":
        return JSONResponse(
            {
                "paging": {"start": 0, "count": 100, "links": []},
                "elements": [
                    {
                        "roleAssignee": MEMBER,
                        "state": "APPROVED",
                        "role": "ADMINISTRATOR",
                        "organization": ORGANIZATION,
                    },
                    {
                        "roleAssignee": MEMBER,
                        "state": "APPROVED",
                        "role": "ANALYST",
                        "organization": "urn:li:organization:999",
                    },
                ],
            }
        )
    if path.startswith("/rest/organizations/"):
        return JSONResponse(
            {
                "id": int(path.rsplit("/", 1)[1]),
                "localizedName": "Kopi Kita",
                "vanityName": "kopi-kita",
            }
        )
    if path in ("/rest/images", "/rest/videos"):
        return _upload_action(state, seen, query.get("action"))
    if path.startswith("/dms-uploads/"):
        state.uploads[path] = state.uploads.get(path, b"") + seen.body
        return Response(status_code=201, headers={"etag": f'"etag-{len(state.uploads)}"'})
    if path == "/rest/posts" and seen.method == "POST":
        return _create_post(state, seen)
    if path == "/rest/posts":
        return _find_posts(state, seen, query)
    if path == "/rest/organizationalEntityShareStatistics":
        return _statistics(state, seen)
    if path == "/rest/socialActions":
        return _social_batch(state, seen)
    if path.startswith("/rest/socialActions/"):
        return _social(state, seen, unquote(path.split("/")[3]), path.endswith("/comments"))
    if path.startswith("/rest/networkSizes/"):
        return _network_size(state, seen, unquote(path.split("/")[3]), query)
    if path == "/rest/organizationPageStatistics":
        return _page_statistics(state, seen, query)
    if path == "/rest/memberFollowersCount":
        if state.member_followers is None:
            return li_error(
                403,
                "ACCESS_DENIED",
                "Not enough permissions to access: memberFollowersCount.FINDER-me.20241001",
                100,
            )
        body = {"elements": [{"memberFollowersCount": state.member_followers}]}
        return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, **body})
    return li_error(404, "NOT_FOUND", f"No resource found for {path}", 0)


def _upload_action(state: LinkedInState, seen: Seen, action: str | None) -> Response:
    request = seen.json()
    if action == "initializeUpload" and seen.path == "/rest/images":
        urn = f"urn:li:image:C4E10AQ{next(state.ids)}"
        return JSONResponse(
            {
                "value": {
                    "uploadUrlExpiresAt": 1650567510704,
                    "uploadUrl": f"https://www.linkedin.com/dms-uploads/{urn}",
                    "image": urn,
                }
            }
        )
    if action == "initializeUpload":
        size = request["initializeUploadRequest"]["fileSizeBytes"]
        urn = f"urn:li:video:C5F10AQ{next(state.ids)}"
        parts = [
            {
                "uploadUrl": f"https://www.linkedin.com/dms-uploads/{urn}/part{n}",
                "firstByte": start,
                "lastByte": min(start + PART_SIZE, size) - 1,
            }
            for n, start in enumerate(range(0, size, PART_SIZE))
        ]
        return JSONResponse(
            {
                "value": {
                    "uploadUrlsExpireAt": 1650567510704,
                    "video": urn,
                    "uploadInstructions": parts,
                    "uploadToken": "",
                }
            }
        )
    finalize = request["finalizeUploadRequest"]
    state.uploads[f"finalized:{finalize['video']}"] = json.dumps(finalize).encode()
    return Response(status_code=200)


def _create_post(state: LinkedInState, seen: Seen) -> Response:
    body = seen.json()
    if (
        body.get("author") not in (MEMBER, ORGANIZATION)
        or body.get("lifecycleState") != "PUBLISHED"
    ):
        return li_error(422, "UNPROCESSABLE_ENTITY", "Invalid author or lifecycleState", 0)
    for existing in state.posts.values():
        if (
            existing["commentary"] == body.get("commentary")
            and existing["author"] == body["author"]
        ):
            return li_error(422, "DUPLICATE_POST", f"Content is a duplicate of {existing['id']}", 0)
    kind = "ugcPost" if body.get("content", {}).keys() & {"media", "multiImage"} else "share"
    urn = f"urn:li:{kind}:{next(state.ids)}"
    now = int(datetime.now(UTC).timestamp() * 1000)
    state.posts[urn] = {
        **body,
        "id": urn,
        "createdAt": now,
        "publishedAt": now,
        "lastModifiedAt": now,
        "lifecycleStateInfo": {"isEditedByAuthor": False},
    }
    return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})


def _find_posts(state: LinkedInState, seen: Seen, query: dict[str, str]) -> Response:
    if query.get("q") != "author" or seen.headers.get("x-restli-method") != "FINDER":
        return li_error(400, "ILLEGAL_ARGUMENT", "Invalid finder", 0)
    posts = [p for p in state.posts.values() if p["author"] == query.get("author")]
    posts.sort(key=lambda p: p["createdAt"], reverse=True)
    size = int(query.get("count", "10"))
    return JSONResponse(
        {
            "paging": {"start": 0, "count": size, "links": [], "total": len(posts)},
            "elements": posts[:size],
        }
    )


def _statistics(state: LinkedInState, seen: Seen) -> Response:
    raw = seen.query
    query = dict(parse_qsl(raw))
    urns = []
    for name in ("shares", "ugcPosts"):
        marker = f"{name}=List("
        if marker in raw:
            inner = raw.split(marker, 1)[1].split(")", 1)[0]
            if ":" in inner:
                return li_error(400, "ILLEGAL_ARGUMENT", "URNs in List() must be encoded", 0)
            urns += [(name, unquote(u)) for u in inner.split(",")]
    elements = [
        {
            "organizationalEntity": query.get("organizationalEntity"),
            ("share" if name == "shares" else "ugcPost"): urn,
            "totalShareStatistics": state.statistics[urn],
        }
        for name, urn in urns
        if urn in state.statistics
    ]
    return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def _list(raw_query: str, name: str) -> list[str] | None:
    """The URNs of a Rest.li `name=List(...)` parameter, None when absent or not encoded."""
    marker = f"{name}=List("
    if marker not in raw_query:
        return None
    inner = raw_query.split(marker, 1)[1].split(")", 1)[0]
    return None if ":" in inner else [unquote(urn) for urn in inner.split(",")]


def _social_summary(state: LinkedInState, target: str) -> dict:
    on_post = [c for c in state.comments.values() if c["object"] == target]
    return {
        "commentsSummary": {
            "selectedComments": [],
            "totalFirstLevelComments": len(on_post),
            "aggregatedTotalComments": len(on_post),
        },
        "target": target,
        "likesSummary": {
            "selectedLikes": [],
            "likedByCurrentUser": False,
            "totalLikes": state.statistics.get(target, {}).get("likeCount", 0),
        },
    }


def _social_batch(state: LinkedInState, seen: Seen) -> Response:
    urns = _list(seen.query, "ids")
    if not urns:
        return li_error(400, "ILLEGAL_ARGUMENT", "ids must be an encoded List()", 0)
    results, statuses, errors = {}, {}, {}
    for urn in urns:
        key = quote(urn, safe="")
        if urn in state.posts:
            results[key], statuses[key] = _social_summary(state, urn), 200
        else:
            statuses[key] = 404
            errors[key] = {"status": 404, "message": f"Not Found: {urn}"}
    return JSONResponse({"results": results, "statuses": statuses, "errors": errors})


def _network_size(state: LinkedInState, seen: Seen, urn: str, query: dict) -> Response:
    if query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
        return li_error(400, "ILLEGAL_ARGUMENT", "Invalid edgeType", 0)
    if urn != ORGANIZATION:
        return li_error(403, "ACCESS_DENIED", "Not enough permissions to access networkSizes", 100)
    return JSONResponse({"firstDegreeSize": state.followers})


def _page_statistics(state: LinkedInState, seen: Seen, query: dict) -> Response:
    """Time-bound page statistics: `timeIntervals=(timeRange:(start:ms,end:ms),
    timeGranularityType:DAY)` written raw, the organization URN encoded."""
    raw = seen.query
    if query.get("q") != "organization" or f"organization={quote(ORGANIZATION, safe='')}" not in (
        raw
    ):
        return li_error(403, "ACCESS_DENIED", "Not enough permissions to access page stats", 100)
    interval = raw.split("timeIntervals=", 1)[-1]
    if "timeGranularityType:DAY" not in interval or "%" in interval:
        return li_error(400, "ILLEGAL_ARGUMENT", "Invalid timeIntervals", 0)
    start = int(interval.split("start:", 1)[1].split(",", 1)[0])
    end = int(interval.split("end:", 1)[1].split(")", 1)[0])
    elements = []
    for day, views in sorted(state.page_views.items()):
        begin = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        if start <= begin < end:
            elements.append(
                {
                    "organization": ORGANIZATION,
                    "timeRange": {"start": begin, "end": begin + 86_400_000},
                    "totalPageStatistics": {
                        "clicks": {},
                        "views": {
                            "allPageViews": {"pageViews": views, "uniquePageViews": views // 2},
                            "allDesktopPageViews": {"pageViews": views // 3},
                        },
                    },
                }
            )
    return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def _social(state: LinkedInState, seen: Seen, target: str, comments: bool) -> Response:
    if comments and seen.method == "POST":
        body = seen.json()
        if body.get("actor") not in (MEMBER, ORGANIZATION) or not body.get("object"):
            return li_error(422, "UNPROCESSABLE_ENTITY", "actor and object are required", 0)
        comment = state.add_comment(target, body["message"]["text"], body["actor"])
        return JSONResponse(comment, status_code=201, headers={"x-restli-id": comment["id"]})
    on_post = [c for c in state.comments.values() if c["object"] == target]
    if comments:
        return JSONResponse(
            {"paging": {"start": 0, "count": 10, "total": len(on_post)}, "elements": on_post}
        )
    if target not in state.posts:
        return li_error(404, "NOT_FOUND", f"Not Found: {target}", 0)
    return JSONResponse(_social_summary(state, target))
