"""Facebook Pages over the Graph API (https://developers.facebook.com/docs/pages-api).

Endpoints used (all on graph.facebook.com/{version}, Page access token in the header):
  POST /oauth/access_token              fb_exchange_token: long-lived user token (list_pages)
  GET  /me/accounts                     the user's Pages and their Page tokens (list_pages)
  GET  /{page-id}?fields=id,name,username                              fetch_account
  GET  /{page-id}?fields=followers_count, /{page-id}/insights?metric=page_views_total
       &period=day                                                      fetch_channel_metrics
  POST /{page-id}/feed                  message, link, attached_media[n]     publish
  POST /{page-id}/photos                url, published=false: staged photos for attached_media
  POST /{page-id}/videos                file_url, description, title          video posts
  POST /{object-id}/comments            message: first comment and replies
  GET  /{page-id}/feed?since=           find_published, recent posts for fetch_interactions
  GET  /?ids=<50 posts>&fields=status_type,reactions.summary(total_count),
       comments.summary(total_count),shares,insights.metric(post_media_view,
       post_total_media_view_unique,post_clicks)        fetch_metrics, multiple-ID read
       (the insight metrics left after Meta retired post impressions in November 2025);
       video posts (status_type added_video) also insights.metric(post_video_views,
       post_video_view_time); videos published through /videos are Video objects:
       reactions, comments, video_insights.metric(total_video_views,
       total_video_view_total_time). View times are milliseconds.
  GET  /{post-id}/insights, /{video-id}/video_insights   when a batch's insights are refused
  GET  /{post-id}/comments              fetch_interactions
Docs: pages-api/posts, graph-api/reference/page/feed, page/photos, page/videos,
object/comments, pages-api/insights and graph-api/reference/insights (deprecated-metrics).

Photos are always staged unpublished and attached to one feed post, so a post with one
photo or many looks the same on the Page and is found the same way. Facebook has no
idempotency key: after an ambiguous failure the Page's feed since the attempt is searched
for a post with exactly the text Kelola sent. Page tokens obtained from a long-lived user
token do not expire, so there is nothing to refresh; Graph search of public posts was
retired, so there is no mention search.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from domain.platforms.base import (
    Account,
    AuthExpired,
    Capability,
    ChannelMetrics,
    Credentials,
    Interaction,
    MediaItem,
    OAuthEndpoints,
    Platform,
    PostMetrics,
    ProviderError,
    PublishedPost,
    PublishRequest,
    Rejected,
    Unsupported,
)
from domain.platforms.facebook.graph import (
    MULTI_ID_LIMIT,
    GraphClient,
    compose_text,
    facebook_login,
    parse_time,
    same_text,
)
from domain.platforms.facebook.pages import managed_pages
from domain.platforms.facebook.settings import FacebookSettings

logger = logging.getLogger(__name__)

__all__ = ["FacebookProvider", "FacebookSettings", "provider"]

NETWORK = "Facebook"
SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_posts",
    "pages_manage_engagement",
    "read_insights",
)
MAX_PHOTOS = 10
MAX_TEXT = 63_206
INSIGHT_METRICS = "post_media_view,post_total_media_view_unique,post_clicks"
VIDEO_POST_METRICS = "post_video_views,post_video_view_time"
VIDEO_METRICS = "total_video_views,total_video_view_total_time"
PAGE_VIEWS_METRIC = "page_views_total"
REACTION_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
COUNT_FIELDS = f"{REACTION_FIELDS},shares"
VIDEO_POST = "added_video"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"
RECENT_POSTS = 25


class FacebookProvider:
    platform = Platform.FACEBOOK
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.FIND_POST,
            Capability.METRICS,
            Capability.COMMENTS,
            Capability.REPLY,
        }
    )

    def __init__(
        self, client: httpx.AsyncClient | None = None, settings: FacebookSettings | None = None
    ):
        self.settings = settings or FacebookSettings()
        self.graph = GraphClient(client, self.settings, NETWORK)

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        return facebook_login(self.settings, SCOPES)

    async def list_pages(self, user_credentials: Credentials) -> list[tuple[Account, Credentials]]:
        """The Pages the Facebook Login user can publish to, each with a non-expiring Page
        token: one channel per Page."""
        return [
            (
                Account(page.id, page.name, page.username),
                Credentials(access_token=page.access_token, extra={"page_id": page.id}),
            )
            for page in await managed_pages(self.graph, user_credentials)
            if page.can_publish
        ]

    async def fetch_account(self, credentials: Credentials) -> Account:
        page = _page(credentials)
        body = await self.graph.get(
            page, credentials.access_token, {"fields": "id,name,username"}, owner=page
        )
        return Account(str(body.get("id") or page), body.get("name") or page, body.get("username"))

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """The Page's followers_count, and page_views_total of the latest day Page Insights
        report. Insights need the ANALYZE task and a Page of 100+ likes, and Meta retires
        metrics now and then: a refused insight leaves profile_views None."""
        page, token = _page(credentials), credentials.access_token
        body = await self.graph.get(page, token, {"fields": "followers_count"}, owner=page)
        params = {"metric": PAGE_VIEWS_METRIC, "period": "day"}
        try:
            insights = await self.graph.get(f"{page}/insights", token, params, owner=page)
        except Rejected as error:
            logger.info("facebook: no page views for %s: %s", page, error)
            insights = {}
        return ChannelMetrics(
            followers=_count(body.get("followers_count")),
            profile_views=_latest_value(insights, PAGE_VIEWS_METRIC),
        )

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        page, token = _page(credentials), credentials.access_token
        photos, videos = _split_media(request.media)
        message = compose_text(request, link_in_text=bool(request.media))
        if len(message) > MAX_TEXT:
            raise Rejected(f"{NETWORK}: the text is longer than {MAX_TEXT} characters")
        if videos:
            post_id = await self._publish_video(page, token, videos[0], message, request.title)
        else:
            post_id = await self._publish_feed(page, token, photos, message, request.link)
        if request.first_comment:
            await self._first_comment(page, token, post_id, request.first_comment)
        return PublishedPost(post_id, _post_url(post_id), datetime.now(UTC))

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        page, token = _page(credentials), credentials.access_token
        message = compose_text(request, link_in_text=bool(request.media))
        params = {
            "fields": "id,message,created_time,permalink_url",
            "since": int(since.timestamp()),
            "limit": 100,
        }
        matches = []
        async for post in self.graph.paginate(f"{page}/feed", token, params, owner=page):
            created = parse_time(post.get("created_time"))
            if same_text(post.get("message"), message) and created and created >= since:
                matches.append((created, post))
        if not matches:
            return None
        created, post = min(matches, key=lambda match: match[0])
        return PublishedPost(
            post["id"], post.get("permalink_url") or _post_url(post["id"]), created
        )

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Fifty objects a multiple-ID read. Page posts (`{page}_{post}`) and the Video
        objects /videos returns are read apart, having different fields. Posts deleted
        since are left out."""
        page, token = _page(credentials), credentials.access_token
        wanted = list(dict.fromkeys(network_post_ids))
        found: dict[str, PostMetrics] = {}
        posts = [object_id for object_id in wanted if "_" in object_id]
        videos = [object_id for object_id in wanted if "_" not in object_id]
        for start in range(0, len(posts), MULTI_ID_LIMIT):
            found |= await self._post_batch(page, token, posts[start : start + MULTI_ID_LIMIT])
        for start in range(0, len(videos), MULTI_ID_LIMIT):
            nodes = await self._nodes(
                page, token, videos[start : start + MULTI_ID_LIMIT], REACTION_FIELDS, *_VIDEOS
            )
            found |= {video_id: _video_metrics(video_id, node) for video_id, node in nodes.items()}
        return [found[object_id] for object_id in wanted if object_id in found]

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        page, token = _page(credentials), credentials.access_token
        recent = await self.graph.get(
            f"{page}/feed", token, {"fields": "id,updated_time", "limit": RECENT_POSTS}, owner=page
        )
        interactions: list[Interaction] = []
        for post in recent.get("data") or []:
            updated = parse_time(post.get("updated_time"))
            if updated is None or updated >= since:
                interactions += await self._comments(page, token, post["id"], since)
        return sorted(interactions, key=lambda interaction: interaction.created_at)

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        page = _page(credentials)
        body = await self.graph.post(
            f"{in_reply_to}/comments",
            credentials.access_token,
            {"message": text},
            owner=page,
            publishing=True,
        )
        return str(body["id"])

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        raise Unsupported(self.platform, Capability.MENTIONS)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        raise Unsupported(self.platform, Capability.REFRESH_TOKEN)

    async def _publish_feed(
        self, page: str, token: str, photos: list[MediaItem], message: str, link: str | None
    ) -> str:
        data: dict[str, Any] = {"message": message}
        if link and not photos:
            data["link"] = link
        for index, photo in enumerate(photos):
            staged = await self.graph.post(
                f"{page}/photos",
                token,
                {"url": photo.url, "published": "false", **_alt(photo)},
                owner=page,
                publishing=False,
            )
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": str(staged["id"])})
        body = await self.graph.post(f"{page}/feed", token, data, owner=page, publishing=True)
        return str(body["id"])

    async def _publish_video(
        self, page: str, token: str, video: MediaItem, message: str, title: str | None
    ) -> str:
        data = {"file_url": video.url, "description": message}
        if title:
            data["title"] = title
        body = await self.graph.post(f"{page}/videos", token, data, owner=page, publishing=True)
        return str(body["id"])

    async def _first_comment(self, page: str, token: str, post_id: str, text: str) -> None:
        """Best effort: the post already exists, so a failure here must not fail (or
        repeat) the publication."""
        try:
            await self.graph.post(
                f"{post_id}/comments", token, {"message": text}, owner=page, publishing=True
            )
        except ProviderError as error:
            logger.warning("facebook: first comment on %s failed: %s", post_id, error)

    async def _post_batch(self, page: str, token: str, ids: list[str]) -> dict[str, PostMetrics]:
        nodes = await self._nodes(page, token, ids, f"status_type,{COUNT_FIELDS}", *_POSTS)
        videos = [i for i, node in nodes.items() if node.get("status_type") == VIDEO_POST]
        watched: dict[str, dict[str, Any]] = {}
        if videos:
            fields = f"insights.metric({VIDEO_POST_METRICS})"
            try:
                watched = await self.graph.get_many(videos, token, {"fields": fields}, owner=page)
            except Rejected as error:
                logger.info("facebook: no video insights for %s posts: %s", len(videos), error)
        return {
            post_id: _post_metrics(post_id, node, watched.get(post_id))
            for post_id, node in nodes.items()
        }

    async def _nodes(
        self, page: str, token: str, ids: list[str], fields: str, edge: str, metrics: str
    ) -> dict[str, dict[str, Any]]:
        """The objects' `fields` and their insights `edge`, in one multiple-ID read. When
        Graph refuses the insights of the batch (one post too new or too old for them, a
        Page under 100 likes, a retired metric), the fields are read together and the
        insights object by object, those refused left out, as with one read per post."""
        expanded = f"{fields},{edge}.metric({metrics})"
        try:
            return await self.graph.get_many(ids, token, {"fields": expanded}, owner=page)
        except Rejected as error:
            logger.info("facebook: insights of a batch refused, reading them apart: %s", error)
        try:
            nodes = await self.graph.get_many(ids, token, {"fields": fields}, owner=page)
        except Rejected as error:
            logger.info("facebook: batch read refused, reading posts apart: %s", error)
            nodes = {}
            for object_id in ids:
                try:
                    nodes[object_id] = await self.graph.get(
                        object_id, token, {"fields": fields}, owner=page
                    )
                except Rejected:
                    continue  # deleted, or no longer visible to the Page
        for object_id, node in nodes.items():
            try:
                node[edge] = await self.graph.get(
                    f"{object_id}/{edge}", token, {"metric": metrics}, owner=page
                )
            except Rejected as error:
                logger.info("facebook: no insights for %s: %s", object_id, error)
        return nodes

    async def _comments(
        self, page: str, token: str, post_id: str, since: datetime
    ) -> list[Interaction]:
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": 100,
        }
        found = []
        async for comment in self.graph.paginate(
            f"{post_id}/comments", token, params, owner=page, max_pages=2
        ):
            created = parse_time(comment.get("created_time"))
            if created is None or created < since:
                break
            author = comment.get("from") or {}
            if str(author.get("id")) == page:
                continue  # the Page's own comments and replies are not interactions
            parent = comment.get("parent") or {}
            found.append(
                Interaction(
                    network_id=str(comment["id"]),
                    kind="COMMENT",
                    author_handle=author.get("name") or author.get("id") or "unknown",
                    author_followers=None,
                    text=comment.get("message") or "",
                    created_at=created,
                    in_reply_to=parent.get("id") or post_id,
                )
            )
        return found


def provider(client: httpx.AsyncClient | None = None) -> FacebookProvider:
    return FacebookProvider(client)


def _page(credentials: Credentials) -> str:
    page = credentials.extra.get("page_id")
    if not page:
        raise AuthExpired(f"{NETWORK}: the credentials name no Page; reconnect the channel")
    return str(page)


def _split_media(media: tuple[MediaItem, ...]) -> tuple[list[MediaItem], list[MediaItem]]:
    photos = [item for item in media if item.kind in ("IMAGE", "GIF")]
    videos = [item for item in media if item.kind == "VIDEO"]
    if len(photos) + len(videos) != len(media):
        raise Rejected(f"{NETWORK}: unsupported media kind")
    if videos and (photos or len(videos) > 1):
        raise Rejected(f"{NETWORK}: a Page post carries one video, or photos, not both")
    if len(photos) > MAX_PHOTOS:
        raise Rejected(f"{NETWORK}: at most {MAX_PHOTOS} photos per post")
    return photos, videos


def _alt(photo: MediaItem) -> dict[str, str]:
    return {"alt_text_custom": photo.alt_text} if photo.alt_text else {}


def _post_url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


_POSTS = ("insights", INSIGHT_METRICS)
_VIDEOS = ("video_insights", VIDEO_METRICS)


def _post_metrics(
    post_id: str, node: dict[str, Any], watched: dict[str, Any] | None
) -> PostMetrics:
    insights = _insight_values(node.get("insights") or {})
    video = _insight_values((watched or {}).get("insights") or {})
    return PostMetrics(
        network_post_id=post_id,
        impressions=insights.get("post_media_view"),
        reach=insights.get("post_total_media_view_unique"),
        clicks=insights.get("post_clicks"),
        likes=_summary_count(node.get("reactions")),
        comments=_summary_count(node.get("comments")),
        # Graph omits `shares` on a post nobody shared: absent is a reported zero.
        shares=(node.get("shares") or {}).get("count", 0),
        video_views=video.get("post_video_views"),
        watch_time_s=_seconds(video.get("post_video_view_time")),
    )


def _video_metrics(video_id: str, node: dict[str, Any]) -> PostMetrics:
    """A Video object has reactions and comments but no shares field; its views and view
    time come from video_insights (Page post insights do not apply to it)."""
    insights = _insight_values(node.get("video_insights") or {})
    return PostMetrics(
        network_post_id=video_id,
        likes=_summary_count(node.get("reactions")),
        comments=_summary_count(node.get("comments")),
        video_views=insights.get("total_video_views"),
        watch_time_s=_seconds(insights.get("total_video_view_total_time")),
    )


def _seconds(milliseconds: int | None) -> int | None:
    return None if milliseconds is None else round(milliseconds / 1000)


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _latest_value(body: dict[str, Any], metric: str) -> int | None:
    """The value of the latest point of a `period=day` Page metric."""
    for item in body.get("data") or []:
        if item.get("name") != metric:
            continue
        points = [p for p in item.get("values") or [] if isinstance(p, dict)]
        points.sort(key=lambda point: str(point.get("end_time") or ""))
        return _count(points[-1].get("value")) if points else None
    return None


def _insight_values(body: dict[str, Any]) -> dict[str, int]:
    values = {}
    for metric in body.get("data") or []:
        points = metric.get("values") or []
        value = points[-1].get("value") if points and isinstance(points[-1], dict) else None
        if isinstance(value, dict):
            value = sum(v for v in value.values() if isinstance(v, int | float))
        if isinstance(value, int | float):
            values[metric.get("name")] = int(value)
    return values


def _summary_count(edge: Any) -> int | None:
    if not isinstance(edge, dict):
        return None
    count = (edge.get("summary") or {}).get("total_count")
    return int(count) if isinstance(count, int | float) else None
