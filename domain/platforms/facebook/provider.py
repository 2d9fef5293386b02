"""Facebook Pages over the Graph API (https://developers.facebook.com/docs/pages-api).

Endpoints used (all on graph.facebook.com/{version}, Page access token in the header):
  POST /oauth/access_token              fb_exchange_token: long-lived user token (list_pages)
  GET  /me/accounts                     the user's Pages and their Page tokens (list_pages)
  GET  /{page-id}?fields=id,name,username                              fetch_account
  POST /{page-id}/feed                  message, link, attached_media[n]     publish
  POST /{page-id}/photos                url, published=false: staged photos for attached_media
  POST /{page-id}/videos                file_url, description, title          video posts
  POST /{object-id}/comments            message: first comment and replies
  GET  /{page-id}/feed?since=           find_published, recent posts for fetch_interactions
  GET  /{post-id}/insights              post_media_view, post_total_media_view_unique,
                                        post_clicks (the metrics left after Meta retired
                                        post impressions in November 2025)
  GET  /{post-id}?fields=reactions.summary(total_count),comments.summary(total_count),shares
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
COUNT_FIELDS = (
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
)
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
        page, token = _page(credentials), credentials.access_token
        return [await self._metrics(page, token, post_id) for post_id in network_post_ids]

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

    async def _metrics(self, page: str, token: str, post_id: str) -> PostMetrics:
        insights: dict[str, int] = {}
        try:
            body = await self.graph.get(
                f"{post_id}/insights", token, {"metric": INSIGHT_METRICS}, owner=page
            )
            insights = _insight_values(body)
        except Rejected as error:
            logger.info("facebook: no insights for %s: %s", post_id, error)
        counts: dict[str, Any] = {}
        try:
            counts = await self.graph.get(post_id, token, {"fields": COUNT_FIELDS}, owner=page)
        except Rejected as error:
            logger.info("facebook: no engagement counts for %s: %s", post_id, error)
        return PostMetrics(
            network_post_id=post_id,
            impressions=insights.get("post_media_view"),
            reach=insights.get("post_total_media_view_unique"),
            clicks=insights.get("post_clicks"),
            likes=_summary_count(counts.get("reactions")),
            comments=_summary_count(counts.get("comments")),
            # Graph omits `shares` on a post nobody shared: absent is a reported zero.
            shares=(counts.get("shares") or {}).get("count", 0) if counts else None,
        )

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
