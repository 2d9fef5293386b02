"""The Mastodon adapter: the client REST API of whichever instance the account lives on.

Endpoints used (docs.joinmastodon.org/methods/...):
  POST /api/v1/apps                        register_app (one OAuth client per instance)
  GET  /oauth/authorize, POST /oauth/token authorization code flow (PKCE from 4.3)
  GET  /api/v1/accounts/verify_credentials fetch_account, the account id, followers_count
                                           (fetch_channel_metrics)
  POST /api/v1/statuses (Idempotency-Key)  publish, reply, first comment
  POST /api/v2/media, GET /api/v1/media/:id    media (see media.py)
  GET  /api/v1/accounts/:id/statuses       find_published
  GET  /api/v1/statuses?id[]=              fetch_metrics, 20 ids a call (Mastodon 4.3+)
  GET  /api/v1/statuses/:id                fetch_metrics on older instances
  GET  /api/v1/notifications?types[]=mention   fetch_interactions
  GET  /api/v2/search?type=statuses, GET /api/v1/timelines/tag/:tag   search_mentions
Rate limits: 429 with X-RateLimit-Reset as an ISO 8601 time (docs.joinmastodon.org/api/
rate-limits). Errors are `{"error": "..."}` bodies.

Publishing sends an Idempotency-Key derived from the request's reference: within the hour
Mastodon keeps keys, a repeated POST returns the status created first instead of a second
one. After that, `find_published` lists the account's statuses since the attempt and
compares text. Mastodon issues access tokens without expiry and no refresh tokens, so
REFRESH_TOKEN is not a capability.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.http import get_http_client
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
from domain.platforms.http_errors import raise_for_status, send
from domain.platforms.mastodon import content
from domain.platforms.mastodon.media import MastodonMediaUploader

NETWORK = "MASTODON"
SCOPES = (
    "read:accounts",
    "read:statuses",
    "read:notifications",
    "read:search",
    "write:statuses",
    "write:media",
)
PAGE_SIZE = 40
MAX_PAGES = 5
# GET /api/v1/statuses?id[]= (4.3.0) refuses more than DEFAULT_STATUSES_LIMIT ids with a
# 422 (Api::V1::StatusesController#check_statuses_limit); older instances have no such
# route and answer 404.
STATUSES_BATCH = 20
BATCH_UNSUPPORTED = frozenset({404, 405, 422})
log = logging.getLogger(__name__)


class MastodonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KELOLA_MASTODON_", extra="ignore")

    client_name: str = "Kelola"
    website: str = "https://kelola.invalid"
    media_poll_interval: float = 1.0
    media_processing_timeout: float = 120.0


@dataclass(frozen=True)
class MastodonApp:
    """The OAuth client an instance issued to Kelola; it becomes the `connection`."""

    instance_url: str
    client_id: str
    client_secret: str

    @property
    def connection(self) -> dict[str, str]:
        return {
            "instance_url": self.instance_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }


class MastodonProvider:
    platform = Platform.MASTODON
    capabilities = frozenset(Capability) - {Capability.REFRESH_TOKEN}

    def __init__(
        self, client: httpx.AsyncClient | None = None, settings: MastodonSettings | None = None
    ):
        self._client = client
        self.settings = settings or MastodonSettings()
        self._single_status_instances: set[str] = set()  # no batch read: before 4.3

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    async def register_app(self, instance_url: str, redirect_uri: str) -> MastodonApp:
        """Register Kelola as an application on the instance (needed once per instance)."""
        instance = normalise_instance(instance_url)
        response = await send(
            self.client,
            "POST",
            f"{instance}/api/v1/apps",
            network=NETWORK,
            publishing=False,
            json={
                "client_name": self.settings.client_name,
                "redirect_uris": redirect_uri,
                "scopes": " ".join(SCOPES),
                "website": self.settings.website,
            },
        )
        raise_for_status(response, network=NETWORK, publishing=False)
        app = response.json()
        return MastodonApp(instance, str(app["client_id"]), str(app["client_secret"]))

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        if not connection.get("instance_url") or not connection.get("client_id"):
            raise ValueError("mastodon: connection needs instance_url and a registered app")
        instance = normalise_instance(str(connection["instance_url"]))
        return OAuthEndpoints(
            authorize_url=f"{instance}/oauth/authorize",
            token_url=f"{instance}/oauth/token",
            scopes=SCOPES,
            client_id=str(connection["client_id"]),
            client_secret=connection.get("client_secret"),
            token_endpoint_auth_method="client_secret_post",
            uses_pkce=True,
        )

    async def fetch_account(self, credentials: Credentials) -> Account:
        account = await self._get(credentials, "/api/v1/accounts/verify_credentials")
        host = urlsplit(_instance(credentials)).hostname
        name = account.get("display_name") or account["username"]
        return Account(str(account["id"]), str(name), f"{account['username']}@{host}")

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        uploader = self._uploader(credentials)
        media_ids = [await uploader.upload(_auth(credentials), item) for item in request.media]
        body: dict[str, Any] = {"status": content.compose(request)}
        if media_ids:
            body["media_ids"] = media_ids
        status = await self._create_status(credentials, body, idempotency_key(request.reference))
        if request.first_comment:
            await self._first_comment(credentials, request, str(status["id"]))
        return _published(status)

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        """The oldest own status since `since` with the request's text and media count."""
        account_id = await self._account_id(credentials)
        wanted = content.comparable(content.compose(request))
        params = {"limit": str(PAGE_SIZE), "exclude_replies": "true", "exclude_reblogs": "true"}
        matches = []
        path = f"/api/v1/accounts/{account_id}/statuses"
        async for status in self._pages(credentials, path, params, since):
            text = content.comparable(content.plain_text(str(status.get("content") or "")))
            attached = len(status.get("media_attachments") or ())
            if text == wanted and attached == len(request.media):
                matches.append(status)
        if not matches:
            return None
        return _published(min(matches, key=lambda status: status["created_at"]))

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """Followers from the account itself; Mastodon counts no profile visits."""
        account = await self._get(credentials, "/api/v1/accounts/verify_credentials")
        followers = account.get("followers_count")
        return ChannelMetrics(followers=followers if isinstance(followers, int) else None)

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Twenty statuses a call where the instance offers the batch read (4.3+), else one
        by one. Statuses deleted since publishing are left out rather than failing all: the
        batch read omits them, the single read answers 404."""
        results: list[PostMetrics] = []
        instance = _instance(credentials)
        for start in range(0, len(network_post_ids), STATUSES_BATCH):
            batch = network_post_ids[start : start + STATUSES_BATCH]
            statuses = None
            if instance not in self._single_status_instances:
                statuses = await self._statuses(credentials, batch)
            if statuses is None:
                self._single_status_instances.add(instance)
                statuses = [s for s in [await self._status(credentials, i) for i in batch] if s]
            results += [content.metrics(status) for status in statuses]
        return results

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        account_id = await self._account_id(credentials)
        params = {"types[]": "mention", "limit": str(PAGE_SIZE)}
        found = []
        async for notification in self._pages(credentials, "/api/v1/notifications", params, since):
            item = content.notification_interaction(notification, account_id)
            if item is not None:
                found.append(item)
        return found

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        key = idempotency_key(f"reply:{in_reply_to}:{text}")
        status = await self._create_status(
            credentials, {"status": text, "in_reply_to_id": in_reply_to}, key
        )
        return str(status["id"])

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        """Hashtags are read from the tag timeline (always available); other terms use full
        text search, which an instance only offers when it runs its search backend, and then
        only over posts it knows about."""
        own_id = str(credentials.extra.get("account_id") or "")
        seen: dict[str, Interaction] = {}
        for term in (t.strip() for t in terms):
            if not term:
                continue
            for status in await self._search(credentials, term):
                created = content.parse_time(status["created_at"])
                author = str((status.get("account") or {}).get("id") or "")
                if created >= since and author != own_id:
                    seen.setdefault(str(status["id"]), content.interaction(status, "MENTION"))
        return sorted(seen.values(), key=lambda item: item.created_at)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        raise Unsupported(self.platform, Capability.REFRESH_TOKEN)

    async def _statuses(
        self, credentials: Credentials, ids: list[str]
    ) -> list[dict[str, Any]] | None:
        """The batch read, or None where the instance lacks it."""
        try:
            found = await self._get(credentials, "/api/v1/statuses", [("id[]", i) for i in ids])
        except Rejected as error:
            if error.status in BATCH_UNSUPPORTED:
                return None
            raise
        return found if isinstance(found, list) else None

    async def _status(self, credentials: Credentials, status_id: str) -> dict[str, Any] | None:
        try:
            return await self._get(credentials, f"/api/v1/statuses/{status_id}")
        except Rejected as error:
            if error.status == 404:
                return None
            raise

    async def _search(self, credentials: Credentials, term: str) -> list[dict[str, Any]]:
        if term.startswith("#") and len(term) > 1:
            path = f"/api/v1/timelines/tag/{term[1:]}"
            return await self._get(credentials, path, {"limit": str(PAGE_SIZE)})
        params = {"q": term, "type": "statuses", "limit": str(PAGE_SIZE), "resolve": "false"}
        return (await self._get(credentials, "/api/v2/search", params)).get("statuses") or []

    async def _create_status(
        self, credentials: Credentials, body: dict[str, Any], key: str
    ) -> dict[str, Any]:
        response = await send(
            self.client,
            "POST",
            f"{_instance(credentials)}/api/v1/statuses",
            network=NETWORK,
            publishing=True,
            headers={**_auth(credentials), "Idempotency-Key": key},
            json=body,
        )
        raise_for_status(response, network=NETWORK, publishing=True)
        return response.json()

    async def _first_comment(
        self, credentials: Credentials, request: PublishRequest, status_id: str
    ) -> None:
        """The status exists already; a failing first comment is logged, not raised, so the
        publish is not retried into a duplicate."""
        body = {"status": request.first_comment, "in_reply_to_id": status_id}
        key = idempotency_key(f"{request.reference}:first-comment")
        try:
            await self._create_status(credentials, body, key)
        except ProviderError as error:
            log.warning("mastodon: first comment on %s failed: %s", status_id, error)

    async def _pages(
        self, credentials: Credentials, path: str, params: dict[str, str], since: datetime
    ) -> AsyncIterator[dict[str, Any]]:
        """Newest first, following max_id, until items are older than `since`."""
        params = dict(params)
        for _ in range(MAX_PAGES):
            items = await self._get(credentials, path, params)
            if not items:
                return
            for item in items:
                if content.parse_time(item["created_at"]) < since:
                    return
                yield item
            params["max_id"] = str(items[-1]["id"])

    async def _account_id(self, credentials: Credentials) -> str:
        account_id = credentials.extra.get("account_id")
        if not account_id:
            account_id = (await self.fetch_account(credentials)).external_id
            credentials.extra["account_id"] = account_id
        return str(account_id)

    async def _get(
        self,
        credentials: Credentials,
        path: str,
        params: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> Any:
        response = await send(
            self.client,
            "GET",
            f"{_instance(credentials)}{path}",
            network=NETWORK,
            publishing=False,
            headers=_auth(credentials),
            params=params,
        )
        raise_for_status(response, network=NETWORK, publishing=False)
        return response.json()

    def _uploader(self, credentials: Credentials) -> MastodonMediaUploader:
        return MastodonMediaUploader(
            self.client,
            _instance(credentials),
            poll_interval=self.settings.media_poll_interval,
            processing_timeout=self.settings.media_processing_timeout,
        )


def normalise_instance(url: str) -> str:
    """`https://host[:port]` of an instance, whatever form the user typed it in; only
    https is accepted, so tokens never travel in clear."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"mastodon: instance URL must be https://host, got {url!r}")
    return f"https://{parts.netloc.lower()}"


def idempotency_key(seed: str) -> str:
    """A stable key per request reference (hashed: references may be long or internal)."""
    return hashlib.sha256(f"kelola:{seed}".encode()).hexdigest()


def _instance(credentials: Credentials) -> str:
    instance = credentials.extra.get("instance_url")
    if not instance:
        raise AuthExpired(f"{NETWORK}: credentials name no instance")
    return normalise_instance(str(instance))


def _auth(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.access_token}"}


def _published(status: dict[str, Any]) -> PublishedPost:
    return PublishedPost(
        str(status["id"]),
        status.get("url") or status.get("uri"),
        content.parse_time(status["created_at"]),
    )


async def register_app(
    instance_url: str, redirect_uri: str, client: httpx.AsyncClient | None = None
) -> MastodonApp:
    """Register Kelola on an instance; store `app.connection` for `oauth_endpoints`."""
    return await MastodonProvider(client).register_app(instance_url, redirect_uri)


def provider(client: httpx.AsyncClient | None = None) -> MastodonProvider:
    return MastodonProvider(client)
