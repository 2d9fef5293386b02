"""LinkedIn members and organization pages over the versioned REST API.

Endpoints used (api.linkedin.com, `LinkedIn-Version` + `X-Restli-Protocol-Version: 2.0.0`):
  POST www.linkedin.com/oauth/v2/accessToken   grant_type=refresh_token       refresh_token
  GET  /v2/userinfo                             the member (OpenID Connect)    fetch_account
  GET  /rest/organizations/{id}                 localizedName, vanityName      fetch_account
  GET  /rest/organizationAcls?q=roleAssignee    pages the member administers   list_organizations
  POST /rest/posts                              201, new id in `x-restli-id`   publish
  POST /rest/images|videos?action=...           media uploads (linkedin/media.py)
  GET  /rest/posts?author=&q=author&sortBy=CREATED  (FINDER)   find_published, interactions
  GET  /rest/organizationalEntityShareStatistics, /rest/socialActions, /rest/networkSizes,
       /rest/organizationPageStatistics, /rest/memberFollowersCount   metrics (statistics.py)
  GET  /rest/socialActions/{urn}/comments       fetch_interactions
  POST /rest/socialActions/{urn}/comments       first comment, reply (parentComment)
Docs (learn.microsoft.com/linkedin): shares/posts-api, shares/images-api, shares/videos-api,
shares/little-text-format, community-management/shares/comments-api,
organizations/share-statistics, organizations/organization-access-control-by-role,
shared/authentication/authorization-code-flow and programmatic-refresh-tokens,
consumer/integrations/self-serve/sign-in-with-linkedin-v2, community-management/organizations/
follower-statistics (networkSizes) and page-statistics, community-management/members/
member-followers-count.

Credentials name the author in `extra["author_urn"]` (`urn:li:person:…` or
`urn:li:organization:…`). LinkedIn has no idempotency key; after an ambiguous failure the
author's recent posts are read back and matched on the exact commentary. Reading posts back
(find_published, comments) needs r_organization_social for pages and the restricted
r_member_social for members. There is no post search API, hence no mentions.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.platforms.base import (
    Account,
    Ambiguous,
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
from domain.platforms.http_errors import raise_for_status, send
from domain.platforms.linkedin import statistics
from domain.platforms.linkedin.client import (
    NETWORK,
    LinkedInClient,
    LinkedInSettings,
    body_of,
    urn_path,
)
from domain.platforms.linkedin.media import upload_image, upload_video
from domain.platforms.linkedin.text import from_commentary, to_commentary

logger = logging.getLogger(__name__)

__all__ = ["LinkedInProvider", "LinkedInSettings", "provider"]

MEMBER_SCOPES = ("openid", "profile", "w_member_social")
ORGANIZATION_SCOPES = (
    "openid",
    "profile",
    "w_member_social",
    "w_organization_social",
    "r_organization_social",
    "rw_organization_admin",
)
PUBLISHING_ROLES = frozenset({"ADMINISTRATOR", "CONTENT_ADMINISTRATOR"})
MAX_COMMENTARY = 3000
MAX_IMAGES = 20
RECENT_POSTS = 20
BATCH = 20  # URNs per List(...) read, keeping URLs short
COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[^,]+),[^)]+\)$")
ORGANIZATION = "urn:li:organization:"


class LinkedInProvider:
    platform = Platform.LINKEDIN
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.FIND_POST,
            Capability.METRICS,
            Capability.COMMENTS,
            Capability.REPLY,
            Capability.REFRESH_TOKEN,
        }
    )

    def __init__(
        self, client: httpx.AsyncClient | None = None, settings: LinkedInSettings | None = None
    ):
        self.settings = settings or LinkedInSettings()
        self.client = LinkedInClient(client, self.settings)

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        """Organization pages need the Community Management scopes; a member profile only
        `w_member_social`. LinkedIn's web flow takes no PKCE (it is for native apps)."""
        organization = str(connection.get("kind", "")).upper() == "ORGANIZATION"
        auth = self.settings.auth_base.rstrip("/")
        return OAuthEndpoints(
            authorize_url=f"{auth}/authorization",
            token_url=f"{auth}/accessToken",
            scopes=ORGANIZATION_SCOPES if organization else MEMBER_SCOPES,
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret or None,
            token_endpoint_auth_method="client_secret_post",
            uses_pkce=False,
        )

    async def fetch_account(self, credentials: Credentials) -> Account:
        author = credentials.extra.get("author_urn")
        if isinstance(author, str) and author.startswith(ORGANIZATION):
            return await self._organization(credentials.access_token, author)
        body = await self.client.get_json("/v2/userinfo", credentials.access_token)
        return Account(f"urn:li:person:{body['sub']}", body.get("name") or body["sub"], None)

    async def list_organizations(
        self, credentials: Credentials
    ) -> list[tuple[Account, Credentials]]:
        """The organization pages the member may post for, each a channel acting with the
        member's token."""
        body = await self.client.get_json(
            "/rest/organizationAcls",
            credentials.access_token,
            params={"q": "roleAssignee", "state": "APPROVED", "count": 100},
        )
        found = []
        for acl in body.get("elements") or []:
            if acl.get("role") not in PUBLISHING_ROLES or not acl.get("organization"):
                continue
            account = await self._organization(credentials.access_token, acl["organization"])
            extra = {**credentials.extra, "author_urn": account.external_id}
            found.append(
                (
                    account,
                    Credentials(
                        credentials.access_token,
                        credentials.refresh_token,
                        credentials.expires_at,
                        extra,
                    ),
                )
            )
        return found

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        token, author = credentials.access_token, await self._author(credentials)
        text = request.text
        if request.media and request.link and request.link not in text:
            text = f"{text}\n\n{request.link}"
        if len(text) > MAX_COMMENTARY:
            raise Rejected(f"{NETWORK}: the text is longer than {MAX_COMMENTARY} characters")
        body: dict[str, Any] = {
            "author": author,
            "commentary": to_commentary(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = await self._content(token, author, request)
        if content:
            body["content"] = content
        post_urn = await self._create(token, body)
        if request.first_comment:
            await self._first_comment(token, author, post_urn, request.first_comment)
        return PublishedPost(post_urn, _post_url(post_urn), datetime.now(UTC))

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        token, author = credentials.access_token, await self._author(credentials)
        text = request.text
        if request.media and request.link and request.link not in text:
            text = f"{text}\n\n{request.link}"
        match = None
        for post in await self._recent_posts(token, author, count=50):
            created = _millis(post.get("createdAt"))
            commentary = post.get("commentary") or ""
            same = commentary == to_commentary(text) or from_commentary(commentary) == text
            if same and created and created >= since and (match is None or created < match[0]):
                match = (created, post)
        if match is None:
            return None
        created, post = match
        return PublishedPost(
            post["id"], _post_url(post["id"]), _millis(post.get("publishedAt")) or created
        )

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """Organization pages: followers from networkSizes and the latest day's page views
        from organizationPageStatistics. Members: followers from memberFollowersCount, which
        needs the restricted r_member_profileAnalytics (refused, it is None); LinkedIn offers
        no member profile views. A refused page-statistics read leaves its figure None."""
        token, author = credentials.access_token, await self._author(credentials)
        if not author.startswith(ORGANIZATION):
            return ChannelMetrics(followers=await statistics.member_followers(self.client, token))
        return ChannelMetrics(
            followers=await statistics.network_size(self.client, token, author),
            profile_views=await statistics.page_views(self.client, token, author),
        )

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Organization posts from share statistics, others from their social actions,
        BATCH URNs a call. LinkedIn reports no video views or watch time here. Posts gone
        since are left out."""
        token, author = credentials.access_token, await self._author(credentials)
        wanted = list(dict.fromkeys(network_post_ids))
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            if author.startswith(ORGANIZATION):
                shares = await statistics.share_statistics(self.client, token, author, batch)
                found |= {urn: statistics.from_statistics(urn, s) for urn, s in shares.items()}
            rest = [urn for urn in batch if urn not in found]
            if rest:
                found |= await statistics.social_counts(self.client, token, rest)
        return [found[urn] for urn in wanted if urn in found]

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        token, author = credentials.access_token, await self._author(credentials)
        interactions: list[Interaction] = []
        for post in await self._recent_posts(token, author, count=RECENT_POSTS):
            body = await self.client.get_json(
                f"/rest/socialActions/{urn_path(post['id'])}/comments", token
            )
            for comment in body.get("elements") or []:
                interaction = _interaction(comment, post["id"], since)
                if interaction is not None and comment.get("actor") != author:
                    interactions.append(interaction)
        return sorted(interactions, key=lambda interaction: interaction.created_at)

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        """`in_reply_to` is a comment URN (an Interaction's network_id) or a post URN."""
        token, author = credentials.access_token, await self._author(credentials)
        nested = COMMENT_URN.match(in_reply_to)
        body: dict[str, Any] = {
            "actor": author,
            "object": nested.group(1) if nested else in_reply_to,
            "message": {"text": text},
        }
        if nested:
            body["parentComment"] = in_reply_to
        return await self._comment(token, in_reply_to, body)

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        raise Unsupported(self.platform, Capability.MENTIONS)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        """Programmatic refresh, for apps LinkedIn enabled it for; the refresh token itself
        is normally returned unchanged (with its remaining lifetime), else the old one stays."""
        if not credentials.refresh_token:
            raise AuthExpired(f"{NETWORK}: no refresh token; reconnect the channel")
        response = await send(
            self.client.http,
            "POST",
            f"{self.settings.auth_base.rstrip('/')}/accessToken",
            network=NETWORK,
            publishing=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": credentials.refresh_token,
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret,
            },
        )
        raise_for_status(
            response,
            network=NETWORK,
            publishing=False,
            auth_expired=response.status_code in (400, 401),
        )
        body = body_of(response, publishing=False)
        expires_in = body.get("expires_in")
        return Credentials(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or credentials.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in
            else None,
            extra=credentials.extra,
        )

    async def _author(self, credentials: Credentials) -> str:
        author = credentials.extra.get("author_urn")
        if isinstance(author, str) and author:
            return author
        return (await self.fetch_account(credentials)).external_id

    async def _organization(self, token: str, urn: str) -> Account:
        body = await self.client.get_json(f"/rest/organizations/{urn.rsplit(':', 1)[-1]}", token)
        return Account(urn, body.get("localizedName") or urn, body.get("vanityName"))

    async def _content(
        self, token: str, author: str, request: PublishRequest
    ) -> dict[str, Any] | None:
        images = [m for m in request.media if m.kind in ("IMAGE", "GIF")]
        videos = [m for m in request.media if m.kind == "VIDEO"]
        if videos and (images or len(videos) > 1):
            raise Rejected(f"{NETWORK}: a post carries one video, or images, not both")
        if len(images) > MAX_IMAGES:
            raise Rejected(f"{NETWORK}: at most {MAX_IMAGES} images per post")
        if videos:
            video = await upload_video(self.client, token, author, videos[0])
            return {"media": {"id": video, **({"title": request.title} if request.title else {})}}
        if len(images) == 1:
            return {"media": await self._image(token, author, images[0])}
        if images:
            return {"multiImage": {"images": [await self._image(token, author, i) for i in images]}}
        if request.link:
            return {"article": {"source": request.link, "title": request.title or request.link}}
        return None

    async def _image(self, token: str, author: str, image: MediaItem) -> dict[str, str]:
        urn = await upload_image(self.client, token, author, image)
        return {"id": urn, **({"altText": image.alt_text} if image.alt_text else {})}

    async def _create(self, token: str, body: dict[str, Any]) -> str:
        response = await self.client.call("POST", "/rest/posts", token, publishing=True, json=body)
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            raise Ambiguous(f"{NETWORK}: the post was created but LinkedIn named no id")
        return urn

    async def _first_comment(self, token: str, author: str, post: str, text: str) -> None:
        body = {"actor": author, "object": post, "message": {"text": text}}
        try:
            await self._comment(token, post, body)
        except ProviderError as error:
            logger.warning("linkedin: first comment on %s failed: %s", post, error)

    async def _comment(self, token: str, target: str, body: dict[str, Any]) -> str:
        response = await self.client.call(
            "POST",
            f"/rest/socialActions/{urn_path(target)}/comments",
            token,
            publishing=True,
            json=body,
        )
        created = body_of(response, publishing=True) if response.content else {}
        urn = (
            created.get("commentUrn") or created.get("$URN") or response.headers.get("x-restli-id")
        )
        if not urn:
            raise ProviderError(f"{NETWORK}: the comment was created but LinkedIn named no id")
        return str(urn)

    async def _recent_posts(self, token: str, author: str, *, count: int) -> list[dict[str, Any]]:
        body = await self.client.get_json(
            "/rest/posts",
            token,
            params={"author": author, "q": "author", "count": count, "sortBy": "CREATED"},
            headers={"X-RestLi-Method": "FINDER"},
        )
        return [post for post in body.get("elements") or [] if post.get("id")]


def provider(client: httpx.AsyncClient | None = None) -> LinkedInProvider:
    return LinkedInProvider(client)


def _post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _millis(value: Any) -> datetime | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def _interaction(comment: dict[str, Any], post: str, since: datetime) -> Interaction | None:
    created = _millis((comment.get("created") or {}).get("time"))
    if created is None or created < since:
        return None
    urn = comment.get("commentUrn") or comment.get("$URN") or comment.get("id")
    return Interaction(
        network_id=str(urn),
        kind="COMMENT",
        author_handle=str(comment.get("actor") or "unknown"),
        author_followers=None,
        text=(comment.get("message") or {}).get("text") or "",
        created_at=created,
        in_reply_to=comment.get("parentComment") or post,
    )
