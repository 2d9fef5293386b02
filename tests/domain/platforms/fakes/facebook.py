"""A fake of the Graph API endpoints the Facebook Pages adapter uses.

Shapes follow developers.facebook.com: pages-api/posts (`POST /{page-id}/feed` answers
`{"id": "<page>_<post>"}`), page/photos (`published=false` answers `{"id"}`), page/videos,
`GET /{page-id}/feed` with `data`/`paging`, pages-api/getting-started (`GET /me/accounts`
with `access_token`, `tasks`), reference/insights (`{"data": [{"name", "period",
"values": [{"value"}]}]}`, Page metrics `period=day` with one value per day and its
`end_time`), video/video_insights, the Page's `followers_count`, object/comments, and the
multiple-ID read with field expansion (`GET /?ids=a,b&fields=reactions.summary(
total_count).limit(0),insights.metric(x,y)` answers `{"a": {...}, "b": {...}}`, at most 50
ids, and refuses the whole read with error 803 naming ids that do not exist). Like the real
API it refuses a status identical to the Page's previous one (error 506).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.domain.platforms.fakes.graph import (
    AFTER,
    APP_SECRET,
    BEFORE,
    GraphState,
    Seen,
    bearer,
    error,
    failure_after,
    failure_before,
    graph_time,
    insights_body,
    missing_aliases,
    proof_is_valid,
    read,
    split_fields,
    usage_headers,
)

PAGE_ID = "104729581234567"
OTHER_PAGE_ID = "104729589999999"
IG_USER_ID = "17841405822304914"
USER_TOKEN = "EAAG-short-lived-user"
LONG_TOKEN = "EAAG-long-lived-user"
PAGE_TOKEN = "EAAG-page-token"
OTHER_PAGE_TOKEN = "EAAG-other-page-token"
CLIENT_ID = "1234567890"


@dataclass
class FakePost:
    id: str
    message: str
    created: datetime
    link: str | None = None
    media: list[str] = field(default_factory=list)
    kind: str = "status"

    @property
    def status_type(self) -> str:
        return {
            "photo": "added_photos",
            "video": "added_video",
            "status": "shared_story" if self.link else "mobile_status_update",
        }[self.kind]


@dataclass
class FakeComment:
    id: str
    target: str
    message: str
    created: datetime
    author: dict[str, str]
    parent: str | None = None


@dataclass
class FacebookState(GraphState):
    posts: dict[str, FakePost] = field(default_factory=dict)
    photos: dict[str, dict] = field(default_factory=dict)
    comments: dict[str, FakeComment] = field(default_factory=dict)
    insights: dict[str, dict[str, int]] = field(default_factory=dict)
    insights_available: bool = True
    retired_metrics: set[str] = field(default_factory=set)
    videos: dict[str, str] = field(default_factory=dict)  # video id -> its feed post id
    video_insights: dict[str, dict[str, int]] = field(default_factory=dict)
    followers: int = 1534
    page_views: list[tuple[datetime, int]] = field(default_factory=list)
    page_insights_available: bool = True
    reactions: dict[str, int] = field(default_factory=dict)
    shares: dict[str, int] = field(default_factory=dict)
    ids: count = field(default_factory=lambda: count(1))

    def __post_init__(self):
        self.tokens |= {PAGE_TOKEN, OTHER_PAGE_TOKEN, LONG_TOKEN}

    def next_id(self) -> str:
        return str(900000 + next(self.ids))

    def add_comment(self, target: str, message: str, author: str, *, minutes_ago: int = 0):
        """A comment on a post, or a reply to a comment (listed under the same post with
        `parent`, as `filter=stream` does)."""
        parent = self.comments.get(target)
        post = parent.target if parent else target
        comment = FakeComment(
            f"{post.split('_')[-1]}_{self.next_id()}",
            post,
            message,
            datetime.now(UTC) - timedelta(minutes=minutes_ago),
            {"id": PAGE_ID if author == "Kopi Kita" else "5550001", "name": author},
            parent=parent.id if parent else None,
        )
        self.comments[comment.id] = comment
        return comment


def create_app(state: FacebookState) -> Starlette:
    async def graph(request: Request) -> JSONResponse:
        seen = await read(request, state, "")
        seen.path = seen.path.partition("/")[2] if seen.path.startswith("v") else seen.path
        mode = state.failure_for(seen.method, seen.path)
        if mode in BEFORE:
            return failure_before(mode, state, PAGE_ID)
        if seen.path == "oauth/access_token":
            return exchange(seen)
        if bearer(seen) not in state.tokens:
            return error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if not proof_is_valid(seen):
            return error(400, 100, "Invalid appsecret_proof provided in the API argument")
        response = _route(state, seen)
        if mode in AFTER:
            return await failure_after(mode, state)
        response.headers.update(usage_headers(state))
        return response

    return Starlette(routes=[Route("/{path:path}", graph, methods=["GET", "POST"])])


def exchange(seen: Seen) -> JSONResponse:
    form = seen.form
    if form.get("client_id") != CLIENT_ID or form.get("client_secret") != APP_SECRET:
        return error(400, 101, "Error validating application. Invalid application ID.")
    if form.get("grant_type") != "fb_exchange_token" or form.get("fb_exchange_token") != USER_TOKEN:
        return error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    return JSONResponse({"access_token": LONG_TOKEN, "token_type": "bearer", "expires_in": 5183944})


def _route(state: FacebookState, seen: Seen) -> JSONResponse:
    parts = seen.path.split("/")
    head, edge = parts[0], parts[1] if len(parts) > 1 else None
    if head == "" and seen.method == "GET" and "ids" in seen.params:
        return _multiple(state, seen)
    if head == "me" and edge == "accounts":
        return accounts(seen)
    if head == PAGE_ID and edge is None and seen.method == "GET":
        page = {"id": PAGE_ID, "name": "Kopi Kita", "username": "kopikita"}
        page["followers_count"] = state.followers
        wanted = seen.params.get("fields", "id,name").split(",")
        return JSONResponse({key: page[key] for key in ["id", *wanted] if key in page})
    if head == PAGE_ID and edge == "insights":
        return _page_insights(state, seen)
    if head == PAGE_ID and seen.method == "POST":
        handler = {"photos": _photo, "feed": _post, "videos": _video}.get(edge or "")
        if handler:
            return handler(state, seen)
    if head == PAGE_ID and edge == "feed":
        return _feed(state, seen)
    if edge == "comments":
        return _comment(state, seen, head) if seen.method == "POST" else _comments(state, head)
    if edge in ("insights", "video_insights"):
        fields = [(edge, {"metric": seen.params.get("metric", "")})]
        node = _node(state, head, fields)
        return node if isinstance(node, JSONResponse) else JSONResponse(node[edge])
    if edge is None and (head in state.posts or head in state.videos):
        default = "reactions.summary(total_count),comments.summary(total_count),shares"
        node = _node(state, head, split_fields(seen.params.get("fields", default)))
        return node if isinstance(node, JSONResponse) else JSONResponse(node)
    return error(
        400,
        100,
        f"(#100) Unsupported {seen.method} request. Object with ID '{head}' does not exist",
    )


def accounts(seen: Seen) -> JSONResponse:
    if bearer(seen) != LONG_TOKEN:
        return error(400, 190, "This method must be called with a long-lived user token")
    pages = [
        {
            "id": PAGE_ID,
            "name": "Kopi Kita",
            "username": "kopikita",
            "access_token": PAGE_TOKEN,
            "category": "Coffee Shop",
            "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            "instagram_business_account": {
                "id": IG_USER_ID,
                "username": "kopikita.id",
                "name": "Kopi Kita",
            },
        },
        {
            "id": OTHER_PAGE_ID,
            "name": "Kopi Kita Fans",
            "access_token": OTHER_PAGE_TOKEN,
            "category": "Community",
            "tasks": ["ANALYZE"],
        },
    ]
    start = int(seen.params.get("after", "0"))
    body: dict = {"data": pages[start : start + 1], "paging": {"cursors": {"before": "MA"}}}
    if start + 1 < len(pages):
        body["paging"]["next"] = (
            f"https://graph.facebook.com/v25.0/me/accounts?access_token={LONG_TOKEN}"
            f"&limit=1&after={start + 1}"
        )
    return JSONResponse(body)


def _photo(state: FacebookState, seen: Seen) -> JSONResponse:
    if not seen.form.get("url", "").startswith("https://"):
        return error(400, 324, "(#324) Missing or invalid image file")
    photo_id = state.next_id()
    state.photos[photo_id] = {"url": seen.form["url"], "published": seen.form.get("published")}
    return JSONResponse({"id": photo_id})


def _post(state: FacebookState, seen: Seen) -> JSONResponse:
    message = seen.form.get("message", "")
    latest = max(state.posts.values(), key=lambda post: post.created, default=None)
    if latest is not None and message and latest.message == message:
        return error(400, 506, "(#506) Duplicate status message")
    media = []
    for key in sorted(k for k in seen.form if k.startswith("attached_media[")):
        fbid = json.loads(seen.form[key])["media_fbid"]
        if fbid not in state.photos:
            return error(400, 100, "(#100) param attached_media must be a valid photo id")
        media.append(fbid)
    post = FakePost(
        f"{PAGE_ID}_{state.next_id()}",
        message,
        datetime.now(UTC),
        seen.form.get("link"),
        media,
        "photo" if media else "status",
    )
    state.posts[post.id] = post
    return JSONResponse({"id": post.id})


def _video(state: FacebookState, seen: Seen) -> JSONResponse:
    video_id = state.next_id()
    post = FakePost(f"{PAGE_ID}_{video_id}", seen.form.get("description", ""), datetime.now(UTC))
    post.kind, post.media = "video", [seen.form.get("file_url", "")]
    state.posts[post.id] = post
    state.videos[video_id] = post.id
    return JSONResponse({"id": video_id})


def _feed(state: FacebookState, seen: Seen) -> JSONResponse:
    since = int(seen.params.get("since", "0"))
    limit = int(seen.params.get("limit", "25"))
    start = int(seen.params.get("after", "0"))
    posts = sorted(
        (post for post in state.posts.values() if post.created.timestamp() >= since),
        key=lambda post: post.created,
        reverse=True,
    )
    fields = set(seen.params.get("fields", "id").split(","))
    data = [_fields(post, fields, state) for post in posts[start : start + limit]]
    body: dict = {"data": data, "paging": {}}
    if start + limit < len(posts):
        body["paging"]["next"] = (
            f"https://graph.facebook.com/v25.0/{PAGE_ID}/feed?access_token={PAGE_TOKEN}"
            f"&limit={limit}&since={since}&after={start + limit}"
        )
    return JSONResponse(body)


def _fields(post: FakePost, fields: set[str], state: FacebookState) -> dict:
    latest = max(
        [post.created] + [c.created for c in state.comments.values() if c.target == post.id]
    )
    values = {
        "id": post.id,
        "message": post.message or None,
        "created_time": graph_time(post.created),
        "updated_time": graph_time(latest),
        "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{post.id.split('_')[1]}",
    }
    return {key: value for key, value in values.items() if key in fields and value is not None}


def _comment(state: FacebookState, seen: Seen, target: str) -> JSONResponse:
    if target not in state.posts and target not in state.comments:
        return error(400, 100, f"(#100) Object with ID '{target}' does not exist")
    comment = state.add_comment(target, seen.form.get("message", ""), "Kopi Kita")
    return JSONResponse({"id": comment.id})


def _comments(state: FacebookState, target: str) -> JSONResponse:
    found = [c for c in state.comments.values() if c.target == target]
    found.sort(key=lambda c: c.created, reverse=True)
    data = []
    for c in found:
        item = {"id": c.id, "message": c.message, "created_time": graph_time(c.created)}
        item["from"] = c.author
        if c.parent:
            item["parent"] = {"id": c.parent}
        data.append(item)
    return JSONResponse({"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})


def _multiple(state: FacebookState, seen: Seen) -> JSONResponse:
    ids = [i for i in seen.params["ids"].split(",") if i]
    if len(ids) > 50:
        return error(400, 100, "(#100) Too many IDs. Maximum: 50. Provided: " + str(len(ids)))
    unknown = [i for i in ids if i not in state.posts and i not in state.videos]
    if unknown:
        return missing_aliases(unknown)
    fields = split_fields(seen.params.get("fields", "id"))
    found = {}
    for object_id in ids:
        node = _node(state, object_id, fields)
        if isinstance(node, JSONResponse):
            return node  # one object's refused field fails the whole read
        found[object_id] = node
    return JSONResponse(found)


def _node(
    state: FacebookState, object_id: str, fields: list[tuple[str, dict[str, str]]]
) -> dict | JSONResponse:
    """A Page post (`{page}_{post}`) or a Video with the requested fields and edges; a field
    the object's type lacks, or a metric that is not valid for it, refuses the request."""
    video = object_id in state.videos
    post = state.posts.get(state.videos.get(object_id, object_id))
    if post is None:
        return error(400, 100, f"(#100) Object with ID '{object_id}' does not exist")
    node: dict = {"id": object_id}
    for name, options in fields:
        if name == "id":
            continue
        if name == "reactions":
            count = state.reactions.get(post.id, 0)
            node[name] = {"data": [], "summary": {"total_count": count}}
        elif name == "comments":
            count = sum(1 for c in state.comments.values() if c.target == post.id)
            node[name] = {"data": [], "summary": {"order": "ranked", "total_count": count}}
        elif name == "shares" and not video:
            if state.shares.get(post.id):
                node[name] = {"count": state.shares[post.id]}
        elif name == "status_type" and not video:
            node[name] = post.status_type
        elif name == "insights" and not video:
            answer = _insights(state, post.id, options.get("metric", ""))
            if isinstance(answer, JSONResponse):
                return answer
            node[name] = answer
        elif name == "video_insights" and video:
            node[name] = insights_body(
                object_id,
                "video_insights",
                _chosen(state.video_insights.get(object_id, {}), options.get("metric")),
                "lifetime",
            )
        else:
            kind = "Video" if video else "Post"
            return error(
                400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})"
            )
    return node


def _chosen(values: dict[str, int], metrics: str | None) -> dict[str, int]:
    wanted = metrics.split(",") if metrics else list(values)
    return {name: values[name] for name in wanted if name in values}


def _insights(state: FacebookState, post_id: str, metrics: str) -> dict | JSONResponse:
    wanted = set(metrics.split(",")) if metrics else set()
    if not state.insights_available or wanted & state.retired_metrics:
        return error(400, 100, "(#100) The value must be a valid insights metric")
    values = _chosen(state.insights.get(post_id, {}), metrics or None)
    return insights_body(post_id, "insights", values, "lifetime")


def _page_insights(state: FacebookState, seen: Seen) -> JSONResponse:
    """`page_views_total` with period=day: one value per day, each with its end_time (the
    day's end, Pacific time, as Graph reports it)."""
    metric, period = seen.params.get("metric"), seen.params.get("period")
    if not state.page_insights_available or metric != "page_views_total" or period != "day":
        return error(400, 100, "(#100) The value must be a valid insights metric")
    points = [{"value": value, "end_time": graph_time(end)} for end, value in state.page_views]
    return JSONResponse(insights_body(PAGE_ID, "insights", {metric: points}, "day"))
