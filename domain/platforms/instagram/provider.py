"""Instagram business and creator accounts through the Instagram Graph API with Facebook
Login (https://developers.facebook.com/docs/instagram-platform).

Endpoints used (graph.facebook.com/{version}, the linked Page's token in the header):
  GET  /me/accounts?fields=instagram_business_account{...}      list_accounts
  GET  /{ig-user-id}?fields=id,username,name                     fetch_account
  GET  /{ig-user-id}?fields=followers_count, /{ig-user-id}/insights?metric=profile_views
       &metric_type=total_value&period=day&since&until             fetch_channel_metrics
  GET  /{ig-user-id}/content_publishing_limit, POST /{ig-user-id}/media,
  GET  /{container-id}?fields=status_code, POST /{ig-user-id}/media_publish   publish
       (see instagram/publishing.py)
  GET  /{ig-media-id}?fields=permalink,timestamp                 the published post's URL
  POST /{ig-media-id}/comments          message: the first comment
  GET  /{ig-user-id}/media?fields=id,caption,timestamp,permalink find_published, recent media
  GET  /?ids=<50 media>&fields=media_type,media_product_type,like_count,comments_count
       then /?ids=<same kind>&fields=insights.metric(views,reach,likes,comments,shares,
       saved[,ig_reels_video_view_total_time for reels])        fetch_metrics
  GET  /{ig-media-id}/insights?metric=...   when a batch's insights are refused
  GET  /{ig-media-id}/comments?fields=id,text,timestamp,username,replies{...}
  POST /{ig-comment-id}/replies         message: reply
Docs: instagram-platform/content-publishing, reference/ig-user/media,
ig-user/content_publishing_limit, ig-container, instagram-media/insights,
instagram-media/comments, ig-comment/replies.

What the API cannot do, and so this adapter does not: delete a post, publish text without
media, or search mentions by term (hashtag search needs the Instagram Public Content Access
feature and returns no author; @mentions arrive only through webhooks). Tokens are the
linked Page's non-expiring token, so there is nothing to refresh.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.platforms.base import (
    Account,
    AuthExpired,
    Capability,
    ChannelMetrics,
    Credentials,
    Interaction,
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
from domain.platforms.instagram.publishing import (
    NETWORK,
    PollPolicy,
    check_publishable,
    require_quota,
    stage,
)

logger = logging.getLogger(__name__)

SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
)
MEDIA_FIELDS = "id,caption,timestamp,permalink"
INSIGHT_METRICS = "views,reach,likes,comments,shares,saved"
# Metrics differ by media product type; asking a reel-only metric of a feed post (or a feed
# metric of a story) is refused (instagram-media/insights).
PRODUCT_METRICS = {
    "FEED": INSIGHT_METRICS,
    "REELS": f"{INSIGHT_METRICS},ig_reels_video_view_total_time",
    "STORY": "views,reach,shares",
}
COUNT_FIELDS = "media_type,media_product_type,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,username,from,replies{id,text,timestamp,username,from}"
RECENT_MEDIA = 25


class InstagramSettings(BaseSettings):
    """`KELOLA_INSTAGRAM_*`; the Meta app itself is configured once, as KELOLA_FACEBOOK_*."""

    model_config = SettingsConfigDict(env_prefix="KELOLA_INSTAGRAM_", extra="ignore")

    # Meta asks to check a container about once a minute for at most five minutes; images
    # are ready within seconds, so check more often but give up well inside a publish job.
    poll_interval_s: float = Field(default=5.0, gt=0)
    max_polls: int = Field(default=30, ge=1)
    quota_retry_after_s: int = Field(default=3600, ge=60)


class InstagramProvider:
    platform = Platform.INSTAGRAM
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
        self,
        client: httpx.AsyncClient | None = None,
        settings: InstagramSettings | None = None,
        facebook: FacebookSettings | None = None,
        poll: PollPolicy | None = None,
    ):
        self.settings = settings or InstagramSettings()
        self.facebook = facebook or FacebookSettings()
        self.graph = GraphClient(client, self.facebook, NETWORK)
        self.poll = poll or PollPolicy(self.settings.poll_interval_s, self.settings.max_polls)

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        return facebook_login(self.facebook, SCOPES)

    async def list_accounts(
        self, user_credentials: Credentials
    ) -> list[tuple[Account, Credentials]]:
        """The Instagram professional accounts linked to the user's Pages, each acting with
        its Page's non-expiring token: one channel per account."""
        accounts = []
        for page in await managed_pages(self.graph, user_credentials):
            if page.instagram is None:
                continue
            ig = page.instagram
            username = ig.get("username")
            account = Account(str(ig["id"]), ig.get("name") or username or str(ig["id"]), username)
            credentials = Credentials(
                access_token=page.access_token,
                extra={"ig_user_id": str(ig["id"]), "page_id": page.id},
            )
            accounts.append((account, credentials))
        return accounts

    async def fetch_account(self, credentials: Credentials) -> Account:
        ig = _ig_user(credentials)
        body = await self.graph.get(
            ig, credentials.access_token, {"fields": "id,username,name"}, owner=ig
        )
        username = body.get("username")
        return Account(str(body.get("id") or ig), body.get("name") or username or ig, username)

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """followers_count of the account, and its profile_views of the current UTC day
        (`metric_type=total_value`). Insights need instagram_manage_insights and Meta has
        been retiring account metrics: a refused insight leaves profile_views None."""
        ig, token = _ig_user(credentials), credentials.access_token
        body = await self.graph.get(ig, token, {"fields": "followers_count"}, owner=ig)
        now = datetime.now(UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        params = {
            "metric": "profile_views",
            "metric_type": "total_value",
            "period": "day",
            "since": int(midnight.timestamp()),
            "until": int(now.timestamp()),
        }
        try:
            insights = await self.graph.get(f"{ig}/insights", token, params, owner=ig)
        except Rejected as error:
            logger.info("instagram: no profile views for %s: %s", ig, error)
            insights = {}
        views = next(
            (
                (item.get("total_value") or {}).get("value")
                for item in insights.get("data") or []
                if item.get("name") == "profile_views"
            ),
            None,
        )
        return ChannelMetrics(
            followers=_int(body.get("followers_count")), profile_views=_int(views)
        )

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        ig, token = _ig_user(credentials), credentials.access_token
        caption = compose_text(request, link_in_text=True)
        check_publishable(caption, request.media)
        await require_quota(
            self.graph, ig, token, timedelta(seconds=self.settings.quota_retry_after_s)
        )
        container = await stage(self.graph, ig, token, caption, request.media, self.poll)
        body = await self.graph.post(
            f"{ig}/media_publish", token, {"creation_id": container}, owner=ig, publishing=True
        )
        media_id = str(body["id"])
        published = await self._details(ig, token, media_id)
        if request.first_comment:
            await self._first_comment(ig, token, media_id, request.first_comment)
        return published

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        ig, token = _ig_user(credentials), credentials.access_token
        caption = compose_text(request, link_in_text=True)
        match = None
        params = {"fields": MEDIA_FIELDS, "limit": 50}
        async for media in self.graph.paginate(f"{ig}/media", token, params, owner=ig):
            posted = parse_time(media.get("timestamp"))
            if posted is None or posted < since:
                break  # newest first: everything further is older
            if same_text(media.get("caption"), caption):
                match = PublishedPost(str(media["id"]), media.get("permalink"), posted)
        return match

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Fifty media a multiple-ID read: their kinds and counts first, then the insights
        of each kind together. Media deleted since are left out."""
        ig, token = _ig_user(credentials), credentials.access_token
        wanted = list(dict.fromkeys(network_post_ids))
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(wanted), MULTI_ID_LIMIT):
            found |= await self._batch(ig, token, wanted[start : start + MULTI_ID_LIMIT])
        return [found[media_id] for media_id in wanted if media_id in found]

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        ig, token = _ig_user(credentials), credentials.access_token
        recent = await self.graph.get(
            f"{ig}/media",
            token,
            {"fields": "id,timestamp,comments_count", "limit": RECENT_MEDIA},
            owner=ig,
        )
        interactions: list[Interaction] = []
        for media in recent.get("data") or []:
            if media.get("comments_count") == 0:
                continue
            interactions += await self._comments(ig, token, str(media["id"]), since)
        return sorted(interactions, key=lambda interaction: interaction.created_at)

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        """Replies go to a comment (`in_reply_to` is an Interaction's network_id)."""
        ig = _ig_user(credentials)
        body = await self.graph.post(
            f"{in_reply_to}/replies",
            credentials.access_token,
            {"message": text},
            owner=ig,
            publishing=True,
        )
        return str(body["id"])

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        raise Unsupported(self.platform, Capability.MENTIONS)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        raise Unsupported(self.platform, Capability.REFRESH_TOKEN)

    async def _details(self, ig: str, token: str, media_id: str) -> PublishedPost:
        """The permalink (Instagram URLs use shortcodes, not ids). Best effort: the post
        exists whatever this read answers."""
        try:
            body = await self.graph.get(
                media_id, token, {"fields": "permalink,timestamp"}, owner=ig
            )
        except ProviderError as error:
            logger.info("instagram: no permalink for %s yet: %s", media_id, error)
            return PublishedPost(media_id, None, datetime.now(UTC))
        posted = parse_time(body.get("timestamp")) or datetime.now(UTC)
        return PublishedPost(media_id, body.get("permalink"), posted)

    async def _first_comment(self, ig: str, token: str, media_id: str, text: str) -> None:
        try:
            await self.graph.post(
                f"{media_id}/comments", token, {"message": text}, owner=ig, publishing=True
            )
        except ProviderError as error:
            logger.warning("instagram: first comment on %s failed: %s", media_id, error)

    async def _batch(self, ig: str, token: str, ids: list[str]) -> dict[str, PostMetrics]:
        nodes = await self._kinds(ig, token, ids)
        kinds: dict[str, list[str]] = {}
        for media_id, node in nodes.items():
            metrics = PRODUCT_METRICS.get(str(node.get("media_product_type")), INSIGHT_METRICS)
            kinds.setdefault(metrics, []).append(media_id)
        insights: dict[str, dict[str, Any]] = {}
        for metrics, media_ids in kinds.items():
            insights |= await self._insights(ig, token, media_ids, metrics)
        return {
            media_id: _metrics(media_id, node, insights.get(media_id) or {})
            for media_id, node in nodes.items()
        }

    async def _kinds(self, ig: str, token: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Kind and counts of each media; one by one where the batch read is refused,
        media that cannot be read (deleted) left out."""
        params = {"fields": COUNT_FIELDS}
        try:
            return await self.graph.get_many(ids, token, params, owner=ig)
        except Rejected as error:
            logger.info("instagram: batch read refused, reading media apart: %s", error)
        nodes = {}
        for media_id in ids:
            try:
                nodes[media_id] = await self.graph.get(media_id, token, params, owner=ig)
            except Rejected:
                continue
        return nodes

    async def _insights(
        self, ig: str, token: str, ids: list[str], metrics: str
    ) -> dict[str, dict[str, Any]]:
        """Insight values by media. Graph refuses the whole read when one media has none
        (error 10, "Not enough viewers", for media a few hours old): then each media is
        asked apart, and those refused keep their counts only."""
        fields = {"fields": f"insights.metric({metrics})"}
        try:
            nodes = await self.graph.get_many(ids, token, fields, owner=ig)
            return {media_id: _values(node.get("insights")) for media_id, node in nodes.items()}
        except Rejected as error:
            logger.info("instagram: insights of a batch refused, asking apart: %s", error)
        found = {}
        for media_id in ids:
            try:
                body = await self.graph.get(
                    f"{media_id}/insights", token, {"metric": metrics}, owner=ig
                )
            except Rejected as error:
                logger.info("instagram: no insights for %s: %s", media_id, error)
                continue
            found[media_id] = _values(body)
        return found

    async def _comments(
        self, ig: str, token: str, media_id: str, since: datetime
    ) -> list[Interaction]:
        body = await self.graph.get(
            f"{media_id}/comments", token, {"fields": COMMENT_FIELDS, "limit": 50}, owner=ig
        )
        found = []
        for comment in body.get("data") or []:
            found += _interaction(comment, media_id, since, ig)
            for reply in (comment.get("replies") or {}).get("data") or []:
                found += _interaction(reply, str(comment["id"]), since, ig)
        return found


def provider(client: httpx.AsyncClient | None = None) -> InstagramProvider:
    return InstagramProvider(client)


def _ig_user(credentials: Credentials) -> str:
    ig = credentials.extra.get("ig_user_id")
    if not ig:
        raise AuthExpired(f"{NETWORK}: the credentials name no account; reconnect the channel")
    return str(ig)


def _interaction(
    comment: dict[str, Any], parent: str, since: datetime, ig: str
) -> list[Interaction]:
    """The comment as an Interaction, unless it is older or the account's own."""
    created = parse_time(comment.get("timestamp"))
    own = str((comment.get("from") or {}).get("id")) == ig
    if created is None or created < since or own:
        return []
    return [
        Interaction(
            network_id=str(comment["id"]),
            kind="COMMENT",
            author_handle=comment.get("username") or "unknown",
            author_followers=None,
            text=comment.get("text") or "",
            created_at=created,
            in_reply_to=parent,
        )
    ]


def _values(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    return {
        metric.get("name"): (metric.get("values") or [{}])[-1].get("value")
        for metric in body.get("data") or []
    }


def _metrics(media_id: str, node: dict[str, Any], insights: dict[str, Any]) -> PostMetrics:
    """Insights where Instagram has them, else the media's own like and comment counts.
    `views` counts plays of a video or reel, so it is also their video views; reels report
    their total view time in milliseconds."""
    video = node.get("media_product_type") == "REELS" or node.get("media_type") == "VIDEO"
    views = _int(insights.get("views"))
    watched = _int(insights.get("ig_reels_video_view_total_time"))
    likes = _int(insights.get("likes"))
    comments = _int(insights.get("comments"))
    return PostMetrics(
        network_post_id=media_id,
        impressions=views,
        reach=_int(insights.get("reach")),
        likes=likes if likes is not None else _int(node.get("like_count")),
        comments=comments if comments is not None else _int(node.get("comments_count")),
        shares=_int(insights.get("shares")),
        saves=_int(insights.get("saved")),
        video_views=views if video else None,
        watch_time_s=round(watched / 1000) if watched is not None else None,
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
