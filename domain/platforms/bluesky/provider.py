"""The Bluesky adapter: AT Protocol XRPC against the account's PDS, with an app password.

Bluesky accounts connect with a handle and an app password (`connect_with_app_password`), so
`oauth_endpoints` is None. Endpoints used (docs.bsky.app, lexicons in bluesky-social/atproto):
  com.atproto.server.createSession / refreshSession / getSession   sessions
  app.bsky.actor.getProfile, getProfiles                          names, follower counts
                                                                  (fetch_channel_metrics)
  com.atproto.identity.resolveHandle                              mention facets
  com.atproto.repo.uploadBlob                                     images, video
  com.atproto.repo.createRecord (app.bsky.feed.post, own rkey)    publish, reply, comment
  com.atproto.repo.getRecord                                      find_published
  app.bsky.feed.getPosts (25 uris a call)                         metrics, reply refs
  app.bsky.notification.listNotifications (reply, mention, quote) fetch_interactions
  app.bsky.feed.searchPosts                                       search_mentions
app.bsky.* queries go to the PDS, which proxies them to the Bluesky AppView.

Every post is created under a record key derived from the request's reference (records.py),
so a retry addresses the same record: the PDS refuses a second create of an existing key
(today with a 500), the adapter then reads the record back and reports the first post.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.http import get_http_client
from domain.platforms.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Capability,
    ChannelMetrics,
    Credentials,
    Interaction,
    MediaItem,
    Platform,
    PostMetrics,
    ProviderError,
    PublishedPost,
    PublishRequest,
    Rejected,
)
from domain.platforms.bluesky import records
from domain.platforms.bluesky.xrpc import NETWORK, Xrpc, require_auth
from domain.platforms.http_errors import download_media

IMAGE_MAX_BYTES = 2_000_000  # app.bsky.embed.images#image maxSize
VIDEO_MAX_BYTES = 100_000_000  # app.bsky.embed.video (Kelola's rules allow 100 MB)
MAX_IMAGES = 4
POSTS_BATCH = 25  # getPosts and getProfiles take at most 25
MAX_PAGES = 5
TRANSFER_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=300.0, pool=5.0)
INTERACTION_KINDS = {"reply": "COMMENT", "mention": "MENTION", "quote": "MENTION"}
log = logging.getLogger(__name__)


class BlueskySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KELOLA_BLUESKY_", extra="ignore")

    service: str = "https://bsky.social"


class BlueskyProvider:
    platform = Platform.BLUESKY
    capabilities = frozenset(Capability)

    def __init__(
        self, client: httpx.AsyncClient | None = None, settings: BlueskySettings | None = None
    ):
        self._client = client
        self.settings = settings or BlueskySettings()

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    def oauth_endpoints(self, connection: dict[str, Any]) -> None:
        return None

    async def connect_with_app_password(
        self, handle: str, app_password: str
    ) -> tuple[Account, Credentials]:
        """Open a session; the app password itself is not kept, only the session tokens."""
        session = await self._xrpc(self.settings.service).procedure(
            "com.atproto.server.createSession",
            None,
            publishing=False,
            json={"identifier": handle.lstrip("@"), "password": app_password},
        )
        credentials = self._credentials(session, self.settings.service)
        return await self.fetch_account(credentials), credentials

    async def fetch_account(self, credentials: Credentials) -> Account:
        xrpc, token = self._session(credentials)
        session = await xrpc.query("com.atproto.server.getSession", token, {})
        profile = await xrpc.query("app.bsky.actor.getProfile", token, {"actor": session["did"]})
        handle = str(session["handle"])
        return Account(str(session["did"]), str(profile.get("displayName") or handle), handle)

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """followersCount of the account's profileViewDetailed; Bluesky counts no profile
        visits."""
        xrpc, token = self._session(credentials)
        profile = await xrpc.query("app.bsky.actor.getProfile", token, {"actor": _did(credentials)})
        followers = profile.get("followersCount")
        return ChannelMetrics(followers=followers if isinstance(followers, int) else None)

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        text, embed = await self._content(credentials, request)
        rkey = records.record_key(request.reference)
        stored = await self._create_post(credentials, text, rkey, embed=embed)
        if request.first_comment:
            await self._first_comment(credentials, request, stored)
        return _published(stored, credentials.extra.get("handle"))

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        """The record under the request's key, whenever it was created."""
        xrpc, _ = self._session(credentials)
        rkey = records.record_key(request.reference)
        stored = await self._record(xrpc, _did(credentials), rkey)
        return _published(stored, credentials.extra.get("handle")) if stored else None

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Likes, replies, reposts and quotes, 25 posts a getPosts call (its documented
        maximum); Bluesky reports no impressions, reach, saves, clicks, video views or
        watch time. Deleted posts are simply absent from getPosts."""
        return [
            PostMetrics(
                network_post_id=str(post["uri"]),
                likes=post.get("likeCount"),
                comments=post.get("replyCount"),
                shares=_sum(post.get("repostCount"), post.get("quoteCount")),
            )
            for post in await self._posts(credentials, network_post_ids)
        ]

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        xrpc, token = self._session(credentials)
        found = []
        async for note in self._notifications(xrpc, token, since):
            kind = INTERACTION_KINDS.get(str(note.get("reason")))
            if kind:
                found.append((note["uri"], kind, note["author"], note.get("record") or {}))
        followers = await self._followers(credentials, [author["did"] for _, _, author, _ in found])
        return [
            _interaction(uri, kind, author, record, followers)
            for uri, kind, author, record in found
        ]

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        parents = await self._posts(credentials, [in_reply_to])
        if not parents:
            raise Rejected(f"{NETWORK}: the post to reply to is gone", status=404)
        rkey = records.record_key(f"reply:{in_reply_to}:{text}")
        reply = records.reply_ref(parents[0])
        stored = await self._create_post(credentials, text, rkey, reply=reply)
        return str(stored["uri"])

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        xrpc, token = self._session(credentials)
        own = credentials.extra.get("did")
        posts: dict[str, dict[str, Any]] = {}
        for term in (t.strip() for t in terms):
            if not term:
                continue
            params = {"q": term, "sort": "latest", "since": _iso(since), "limit": "100"}
            body = await xrpc.query("app.bsky.feed.searchPosts", token, params)
            for post in body.get("posts") or ():
                if post["author"].get("did") != own:
                    posts.setdefault(post["uri"], post)
        followers = await self._followers(credentials, [p["author"]["did"] for p in posts.values()])
        found = [
            _interaction(uri, "MENTION", post["author"], post.get("record") or {}, followers)
            for uri, post in posts.items()
        ]
        return sorted(found, key=lambda item: item.created_at)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        """refreshSession takes the refresh JWT as bearer token and rotates both tokens."""
        service = str(credentials.extra.get("pds") or self.settings.service)
        session = await self._xrpc(service).procedure(
            "com.atproto.server.refreshSession",
            require_auth(credentials.refresh_token),
            publishing=False,
        )
        refreshed = self._credentials(session, service)
        refreshed.refresh_token = refreshed.refresh_token or credentials.refresh_token
        refreshed.extra = {**credentials.extra, **refreshed.extra}
        return refreshed

    async def _content(
        self, credentials: Credentials, request: PublishRequest
    ) -> tuple[str, dict[str, Any] | None]:
        """A post has one embed: images, a video, or a link card. A link that cannot be the
        card (media present) goes into the text, where a facet makes it clickable."""
        text = request.text.strip()
        if not request.media:
            if request.link:
                return text, records.external_embed(request.link, request.title)
            return text, None
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text else request.link
        kinds = {item.kind.upper() for item in request.media}
        if "VIDEO" in kinds:
            if len(request.media) > 1:
                raise Rejected(f"{NETWORK}: a video cannot be combined with other media")
            [video] = request.media
            blob = await self._upload(credentials, video, VIDEO_MAX_BYTES)
            return text, records.video_embed(blob, video.alt_text)
        if len(request.media) > MAX_IMAGES:
            raise Rejected(f"{NETWORK}: at most {MAX_IMAGES} images per post")
        images = [
            (await self._upload(credentials, item, IMAGE_MAX_BYTES), item.alt_text or "")
            for item in request.media
        ]
        return text, records.images_embed(images)

    async def _upload(
        self, credentials: Credentials, item: MediaItem, max_bytes: int
    ) -> dict[str, Any]:
        """uploadBlob to the PDS. Videos take docs.bsky.app's "simple method": the blob is
        referenced directly and Bluesky's video service processes it once the post is out
        (the post shows no playable video for those first seconds)."""
        if item.kind.upper() not in ("IMAGE", "GIF", "VIDEO"):
            raise Rejected(f"{NETWORK}: media kind {item.kind} is not supported")
        content, served_type = await download_media(
            self.client,
            item.url,
            network=NETWORK,
            max_bytes=max_bytes,
            transfer_timeout=TRANSFER_TIMEOUT,
        )
        xrpc, token = self._session(credentials)
        mime_type = item.mime_type or served_type or "application/octet-stream"
        body = await xrpc.procedure(
            "com.atproto.repo.uploadBlob",
            token,
            publishing=False,
            content=content,
            headers={"Content-Type": mime_type},
            timeout=TRANSFER_TIMEOUT,
        )
        return body["blob"]

    async def _create_post(
        self,
        credentials: Credentials,
        text: str,
        rkey: str,
        *,
        embed: dict[str, Any] | None = None,
        reply: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The record (uri, cid, value) created under `rkey`. When the answer is lost or the
        key already holds a record, the record is read back; only if it is absent does the
        failure stand."""
        xrpc, token = self._session(credentials)
        did = _did(credentials)
        dids = await self._resolve_mentions(xrpc, token, text)
        record = records.post_record(text, dids=dids, embed=embed, reply=reply)
        body = {"repo": did, "collection": records.POST_COLLECTION, "rkey": rkey, "record": record}
        try:
            created = await xrpc.procedure(
                "com.atproto.repo.createRecord", token, publishing=True, json=body
            )
        except Ambiguous as lost:
            try:
                stored = await self._record(xrpc, did, rkey)
            except ProviderError:
                stored = None
            if stored is None:
                raise lost from None
            return stored
        return {"uri": created["uri"], "cid": created["cid"], "value": record}

    async def _first_comment(
        self, credentials: Credentials, request: PublishRequest, post: dict[str, Any]
    ) -> None:
        """A reply under its own derived key, referencing the new post by the uri and cid
        the PDS returned (the AppView may not have indexed it yet). The post exists
        already, so a failure is logged, never raised."""
        ref = records.strong_ref(post)
        rkey = records.record_key(f"{request.reference}:first-comment")
        try:
            await self._create_post(
                credentials,
                request.first_comment or "",
                rkey,
                reply={"root": ref, "parent": ref},
            )
        except ProviderError as error:
            log.warning("bluesky: first comment on %s failed: %s", post["uri"], error)

    async def _record(self, xrpc: Xrpc, did: str, rkey: str) -> dict[str, Any] | None:
        params = {"repo": did, "collection": records.POST_COLLECTION, "rkey": rkey}
        return await xrpc.lookup(
            "com.atproto.repo.getRecord", None, params, missing="RecordNotFound"
        )

    async def _posts(self, credentials: Credentials, uris: list[str]) -> list[dict[str, Any]]:
        xrpc, token = self._session(credentials)
        posts: list[dict[str, Any]] = []
        for start in range(0, len(uris), POSTS_BATCH):
            params = [("uris", uri) for uri in uris[start : start + POSTS_BATCH]]
            posts.extend((await xrpc.query("app.bsky.feed.getPosts", token, params))["posts"])
        return posts

    async def _followers(self, credentials: Credentials, dids: list[str]) -> dict[str, int]:
        xrpc, token = self._session(credentials)
        unique = list(dict.fromkeys(dids))
        counts: dict[str, int] = {}
        for start in range(0, len(unique), POSTS_BATCH):
            params = [("actors", did) for did in unique[start : start + POSTS_BATCH]]
            body = await xrpc.query("app.bsky.actor.getProfiles", token, params)
            for profile in body.get("profiles") or ():
                if profile.get("followersCount") is not None:
                    counts[profile["did"]] = int(profile["followersCount"])
        return counts

    async def _notifications(
        self, xrpc: Xrpc, token: str, since: datetime
    ) -> AsyncIterator[dict[str, Any]]:
        """Newest first, following the cursor until notifications predate `since`."""
        params: list[tuple[str, str]] = [("limit", "100")]
        params += [("reasons", reason) for reason in INTERACTION_KINDS]
        cursor = None
        for _ in range(MAX_PAGES):
            page = params + ([("cursor", cursor)] if cursor else [])
            body = await xrpc.query("app.bsky.notification.listNotifications", token, page)
            for note in body.get("notifications") or ():
                if records.parse_time(note["indexedAt"]) < since:
                    return
                yield note
            cursor = body.get("cursor")
            if not cursor:
                return

    async def _resolve_mentions(self, xrpc: Xrpc, token: str, text: str) -> dict[str, str]:
        """Handles that do not resolve stay plain text rather than failing the post."""
        dids = {}
        for _, _, handle in records.mention_spans(text):
            try:
                body = await xrpc.query(
                    "com.atproto.identity.resolveHandle", token, {"handle": handle}
                )
            except Rejected:
                continue
            dids[handle] = str(body["did"])
        return dids

    def _session(self, credentials: Credentials) -> tuple[Xrpc, str]:
        service = str(credentials.extra.get("pds") or self.settings.service)
        return self._xrpc(service), require_auth(credentials.access_token)

    def _xrpc(self, service: str) -> Xrpc:
        return Xrpc(self.client, service)

    @staticmethod
    def _credentials(session: dict[str, Any], service: str) -> Credentials:
        return Credentials(
            access_token=str(session["accessJwt"]),
            refresh_token=session.get("refreshJwt"),
            expires_at=jwt_expiry(str(session["accessJwt"])),
            extra={
                "did": session["did"],
                "handle": session.get("handle"),
                "pds": pds_endpoint(session.get("didDoc")) or service,
            },
        )


def _did(credentials: Credentials) -> str:
    did = credentials.extra.get("did")
    if not did:
        raise AuthExpired(f"{NETWORK}: credentials name no account (did)")
    return str(did)


def _published(stored: dict[str, Any], handle: str | None) -> PublishedPost:
    uri = str(stored["uri"])
    created = (stored.get("value") or {}).get("createdAt")
    return PublishedPost(
        uri,
        records.post_url(uri, handle),
        records.parse_time(created) if created else datetime.now(UTC),
    )


def pds_endpoint(did_doc: Any) -> str | None:
    """The account's own PDS from its DID document (#atproto_pds service), if given."""
    if not isinstance(did_doc, dict):
        return None
    for service in did_doc.get("service") or ():
        if str(service.get("id", "")).endswith("#atproto_pds"):
            return str(service.get("serviceEndpoint") or "") or None
    return None


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a session JWT, read without verifying (the PDS verifies)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _interaction(
    uri: str,
    kind: str,
    author: dict[str, Any],
    record: dict[str, Any],
    followers: dict[str, int],
) -> Interaction:
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    created = record.get("createdAt")
    return Interaction(
        network_id=uri,
        kind=kind,
        author_handle=str(author.get("handle") or author.get("did")),
        author_followers=followers.get(str(author.get("did"))),
        text=str(record.get("text") or ""),
        created_at=records.parse_time(created) if created else datetime.now(UTC),
        in_reply_to=str(parent) if parent else None,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _sum(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


async def connect_with_app_password(
    handle: str, app_password: str, client: httpx.AsyncClient | None = None
) -> tuple[Account, Credentials]:
    return await BlueskyProvider(client).connect_with_app_password(handle, app_password)


def provider(client: httpx.AsyncClient | None = None) -> BlueskyProvider:
    return BlueskyProvider(client)
