"""A fake of the Instagram Graph API (with Facebook Login) endpoints the adapter uses.

Shapes follow developers.facebook.com/docs/instagram-platform: content-publishing and
reference/ig-user/media (`POST /{ig-user-id}/media` answers `{"id"}`; carousel children
carry `is_carousel_item`, the album `media_type=CAROUSEL` and `children`), ig-container
(`status_code` IN_PROGRESS → FINISHED, or ERROR/EXPIRED with a `status` text),
ig-user/media_publish, ig-user/content_publishing_limit (`{"data": [{"quota_usage",
"config": {"quota_total", "quota_duration"}}]}`), instagram-media/insights (error 10 "Not
enough viewers" for new media), instagram-media/comments and ig-comment/replies. Media
carry `media_type` (IMAGE, VIDEO, CAROUSEL_ALBUM) and `media_product_type` (FEED, REELS);
reel-only insight metrics (ig_reels_video_view_total_time, in milliseconds) are refused
for other media. The multiple-ID read (`GET /?ids=a,b&fields=like_count,insights.metric(
views,reach)`, at most 50 ids, error 803 naming ids that do not exist) refuses the whole
read when one media's insights are refused. instagram-user/insights: `profile_views` with
`metric_type=total_value&period=day` answers `{"data": [{"name", "period", "total_value":
{"value"}}]}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.domain.platforms.fakes.facebook import (
    IG_USER_ID,
    LONG_TOKEN,
    PAGE_TOKEN,
    accounts,
    exchange,
)
from tests.domain.platforms.fakes.graph import (
    AFTER,
    BEFORE,
    GraphState,
    Seen,
    bearer,
    error,
    failure_after,
    failure_before,
    graph_time,
    missing_aliases,
    proof_is_valid,
    read,
    split_fields,
    usage_headers,
)

REEL_METRICS = frozenset({"ig_reels_video_view_total_time", "ig_reels_avg_watch_time"})


@dataclass
class Container:
    id: str
    fields: dict[str, str]
    pending_polls: int
    outcome: str = "FINISHED"
    published: bool = False

    def status(self) -> str:
        if self.published:
            return "PUBLISHED"
        if self.pending_polls > 0:
            self.pending_polls -= 1
            return "IN_PROGRESS"
        return self.outcome


@dataclass
class Media:
    id: str
    caption: str
    created: datetime
    container: str
    like_count: int = 0
    media_type: str = "IMAGE"
    product_type: str = "FEED"


@dataclass
class Comment:
    id: str
    media: str
    text: str
    username: str
    created: datetime
    parent: str | None = None


@dataclass
class InstagramState(GraphState):
    containers: dict[str, Container] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    insights: dict[str, dict[str, int]] = field(default_factory=dict)
    followers: int = 8800
    profile_views: int | None = 64
    quota_usage: int = 0
    quota_total: int = 100
    video_polls: int = 2
    container_outcome: str = "FINISHED"
    ids: count = field(default_factory=lambda: count(1))

    def __post_init__(self):
        self.tokens |= {PAGE_TOKEN, LONG_TOKEN}

    def next_id(self) -> str:
        return str(17900000000000000 + next(self.ids))

    def add_comment(self, media: str, text: str, username: str, *, minutes_ago: int = 0):
        parent = self.comments.get(media)
        comment = Comment(
            self.next_id(),
            parent.media if parent else media,
            text,
            username,
            datetime.now(UTC) - timedelta(minutes=minutes_ago),
            parent.id if parent else None,
        )
        self.comments[comment.id] = comment
        return comment


def create_app(state: InstagramState) -> Starlette:
    async def graph(request: Request) -> JSONResponse:
        seen = await read(request, state, "")
        seen.path = seen.path.partition("/")[2] if seen.path.startswith("v") else seen.path
        mode = state.failure_for(seen.method, seen.path)
        if mode in BEFORE:
            return failure_before(mode, state, IG_USER_ID)
        if seen.path == "oauth/access_token":
            return exchange(seen)
        if bearer(seen) not in state.tokens or not proof_is_valid(seen):
            return error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        response = _route(state, seen)
        if mode in AFTER:
            return await failure_after(mode, state)
        response.headers.update(usage_headers(state))
        return response

    return Starlette(routes=[Route("/{path:path}", graph, methods=["GET", "POST"])])


def _route(state: InstagramState, seen: Seen) -> JSONResponse:
    parts = seen.path.split("/")
    head, edge = parts[0], parts[1] if len(parts) > 1 else None
    if head == "me" and edge == "accounts":
        return accounts(seen)
    if head == "" and seen.method == "GET" and "ids" in seen.params:
        return _multiple(state, seen)
    if head == IG_USER_ID:
        routes = {
            (None, "GET"): lambda: _user(state, seen),
            ("insights", "GET"): lambda: _user_insights(state, seen),
            ("content_publishing_limit", "GET"): lambda: _limit(state),
            ("media", "POST"): lambda: _container(state, seen),
            ("media", "GET"): lambda: _media_list(state, seen),
            ("media_publish", "POST"): lambda: _publish(state, seen),
        }
        handler = routes.get((edge, seen.method))
        if handler:
            return handler()
    if head in state.containers and edge is None:
        container = state.containers[head]
        status = container.status()
        body = {"id": head, "status_code": status}
        if status == "ERROR":
            body["status"] = (
                "Error: Media download has failed. The media URI doesn't meet our "
                "requirements. (2207003)"
            )
        return JSONResponse(body)
    if head in state.media:
        return _media_route(state, seen, head, edge)
    if head in state.comments and edge == "replies" and seen.method == "POST":
        reply = state.add_comment(head, seen.form.get("message", ""), "kopikita.id")
        return JSONResponse({"id": reply.id})
    return error(
        400,
        100,
        f"(#100) Object with ID '{head}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation",
    )


def _limit(state: InstagramState) -> JSONResponse:
    config = {"quota_total": state.quota_total, "quota_duration": 86400}
    return JSONResponse({"data": [{"quota_usage": state.quota_usage, "config": config}]})


def _container(state: InstagramState, seen: Seen) -> JSONResponse:
    form = seen.form
    kind = form.get("media_type", "IMAGE")
    if kind == "CAROUSEL":
        children = form.get("children", "").split(",")
        if not all(c in state.containers for c in children) or not 2 <= len(children) <= 10:
            return error(400, 100, "(#100) The carousel children are invalid", 2207025)
    elif kind in ("REELS", "VIDEO"):
        if not form.get("video_url", "").startswith("https://"):
            return error(400, 9004, "Only photo or video can be accepted as media type.", 2207052)
    elif not form.get("image_url", "").startswith("https://"):
        return error(400, 9004, "Only photo or video can be accepted as media type.", 2207052)
    polls = state.video_polls if kind in ("REELS", "VIDEO") else 0
    container = Container(state.next_id(), form, polls, state.container_outcome)
    state.containers[container.id] = container
    return JSONResponse({"id": container.id})


def _publish(state: InstagramState, seen: Seen) -> JSONResponse:
    container = state.containers.get(seen.form.get("creation_id", ""))
    if container is None:
        return error(400, 100, "(#100) Invalid creation_id")
    if container.published or container.pending_polls > 0 or container.outcome != "FINISHED":
        return error(
            400, 9007, "The media is not ready for publishing, please wait for a moment", 2207027
        )
    if state.quota_usage >= state.quota_total:
        return error(400, 9, "Application request limit reached", 2207042)
    container.published = True
    state.quota_usage += 1
    media = Media(
        state.next_id(), container.fields.get("caption", ""), datetime.now(UTC), container.id
    )
    kind = container.fields.get("media_type", "IMAGE")
    media.media_type = {"REELS": "VIDEO", "CAROUSEL": "CAROUSEL_ALBUM"}.get(kind, kind)
    media.product_type = "REELS" if kind == "REELS" else "FEED"
    state.media[media.id] = media
    return JSONResponse({"id": media.id})


def _media_list(state: InstagramState, seen: Seen) -> JSONResponse:
    limit = int(seen.params.get("limit", "25"))
    start = int(seen.params.get("after", "0"))
    ordered = sorted(state.media.values(), key=lambda m: m.created, reverse=True)
    data = [_media_fields(state, m) for m in ordered[start : start + limit]]
    body: dict = {"data": data, "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}}}
    if start + limit < len(ordered):
        body["paging"]["next"] = (
            f"https://graph.facebook.com/v25.0/{IG_USER_ID}/media?access_token={PAGE_TOKEN}"
            f"&limit={limit}&after={start + limit}"
        )
    return JSONResponse(body)


def _user(state: InstagramState, seen: Seen) -> JSONResponse:
    user = {
        "id": IG_USER_ID,
        "username": "kopikita.id",
        "name": "Kopi Kita",
        "followers_count": state.followers,
        "follows_count": 12,
        "media_count": len(state.media),
    }
    wanted = seen.params.get("fields", "id,username,name").split(",")
    return JSONResponse({key: user[key] for key in ["id", *wanted] if key in user})


def _user_insights(state: InstagramState, seen: Seen) -> JSONResponse:
    metric = seen.params.get("metric")
    if metric != "profile_views" or state.profile_views is None:
        return error(
            400,
            100,
            "(#100) metric[0] must be one of the following values: reach, follower_count, "
            "online_followers, accounts_engaged, total_interactions, likes, comments, shares, "
            "saves, replies, follows_and_unfollows, profile_links_taps, views",
        )
    if seen.params.get("period") != "day" or seen.params.get("metric_type") != "total_value":
        return error(400, 100, "(#100) The profile_views metric only supports total_value")
    return JSONResponse(
        {
            "data": [
                {
                    "name": "profile_views",
                    "period": "day",
                    "title": "Profile views",
                    "description": "The number of times your profile was visited.",
                    "total_value": {"value": state.profile_views},
                    "id": f"{IG_USER_ID}/insights/profile_views/day",
                }
            ]
        }
    )


def _multiple(state: InstagramState, seen: Seen) -> JSONResponse:
    ids = [i for i in seen.params["ids"].split(",") if i]
    if len(ids) > 50:
        return error(400, 100, f"(#100) Too many IDs. Maximum: 50. Provided: {len(ids)}")
    unknown = [i for i in ids if i not in state.media]
    if unknown:
        return missing_aliases(unknown)
    found = {}
    for media_id in ids:
        node = _media_fields(state, state.media[media_id])
        body = {"id": media_id}
        for name, options in split_fields(seen.params.get("fields", "id")):
            if name == "insights":
                answer = _insights(state, media_id, options.get("metric", ""))
                if isinstance(answer, JSONResponse):
                    return answer  # one media's refusal fails the whole read
                body[name] = answer
            elif name in node:
                body[name] = node[name]
        found[media_id] = body
    return JSONResponse(found)


def _insights(state: InstagramState, media_id: str, metrics: str) -> dict | JSONResponse:
    media = state.media[media_id]
    wanted = [name for name in metrics.split(",") if name]
    for name in wanted:
        if name in REEL_METRICS and media.product_type != "REELS":
            return error(
                400,
                100,
                f"(#100) The Media Insights API does not support the {name} metric for this "
                "media product type.",
            )
    values = state.insights.get(media_id)
    if values is None:
        return error(400, 10, "(#10) Not enough viewers for the media to show insights", 2108006)
    return {
        "data": [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": values[name]}],
                "title": name.title(),
                "id": f"{media_id}/insights/{name}/lifetime",
            }
            for name in wanted
            if name in values
        ]
    }


def _media_fields(state: InstagramState, media: Media) -> dict:
    return {
        "id": media.id,
        "media_type": media.media_type,
        "media_product_type": media.product_type,
        "caption": media.caption,
        "timestamp": graph_time(media.created),
        "permalink": f"https://www.instagram.com/p/C{media.id[-6:]}x/",
        "like_count": media.like_count,
        "comments_count": sum(1 for c in state.comments.values() if c.media == media.id),
    }


def _media_route(state: InstagramState, seen: Seen, media_id: str, edge: str | None):
    if edge is None:
        fields = _media_fields(state, state.media[media_id])
        wanted = seen.params.get("fields", "id").split(",")
        return JSONResponse({key: fields[key] for key in ["id", *wanted] if key in fields})
    if edge == "insights":
        answer = _insights(state, media_id, seen.params.get("metric", ""))
        return answer if isinstance(answer, JSONResponse) else JSONResponse(answer)
    if edge == "comments" and seen.method == "POST":
        comment = state.add_comment(media_id, seen.form.get("message", ""), "kopikita.id")
        return JSONResponse({"id": comment.id})
    if edge == "comments":
        top = [c for c in state.comments.values() if c.media == media_id and not c.parent]
        return JSONResponse({"data": [_comment(state, c) for c in top]})
    return error(400, 100, "(#100) Unsupported request")


def _comment(state: InstagramState, comment: Comment) -> dict:
    replies = [c for c in state.comments.values() if c.parent == comment.id]
    body = _comment_fields(comment)
    if replies:
        body["replies"] = {"data": [_comment_fields(reply) for reply in replies]}
    return body


def _comment_fields(comment: Comment) -> dict:
    author = IG_USER_ID if comment.username == "kopikita.id" else "17841400000000001"
    return {
        "id": comment.id,
        "text": comment.text,
        "timestamp": graph_time(comment.created),
        "username": comment.username,
        "from": {"id": author, "username": comment.username},
    }
