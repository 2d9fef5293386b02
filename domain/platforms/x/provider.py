"""The X adapter: X API v2 with an OAuth 2.0 user-context token (authorization code + PKCE).

Endpoints used (docs.x.com, X API v2):
  POST /2/tweets                       publish, reply, first comment (as a self-reply)
  GET  /2/users/me                     fetch_account, the account's id for timelines;
                                       user.fields=public_metrics: fetch_channel_metrics
  GET  /2/users/:id/tweets             find_published (recent own posts since a moment)
  GET  /2/users/:id/mentions           fetch_interactions (replies count as comments)
  GET  /2/tweets?ids=                  fetch_metrics, 100 ids a call (public_metrics,
                                       non_public_metrics; attached media's view_count)
  GET  /2/tweets/search/recent         search_mentions (last 7 days only)
  POST /2/media/upload, /2/media/metadata   media (see media.py)
  POST /2/oauth2/token                 refresh_token (grant_type=refresh_token)
Authorization: https://x.com/i/oauth2/authorize with PKCE; confidential clients
authenticate at the token endpoint with HTTP Basic (docs.x.com/fundamentals/authentication/
oauth-2-0/user-access-token). Rate limits: x-rate-limit-* per 15-minute window and
x-user-limit-24hour-* / x-app-limit-24hour-* for the daily posting caps
(docs.x.com/fundamentals/rate-limits).

X has no idempotency key for POST /2/tweets, so after an ambiguous failure the post is
recognised by listing the account's posts since the attempt and comparing text (see
parsing.comparable for what X rewrites). X itself refuses an identical repeat with 403
"duplicate content", which a blind retry would surface as Rejected.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

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
)
from domain.platforms.http_errors import raise_for_status, send
from domain.platforms.x import parsing
from domain.platforms.x.media import XMediaUploader

NETWORK = "X"
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
LOOKUP_BATCH = 100
MAX_PAGES = 5
# search/recent only reaches back seven days; asking for more is a 400.
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=1)
TWEET_FIELDS = "created_at,author_id,in_reply_to_user_id,referenced_tweets,note_tweet"
log = logging.getLogger(__name__)


class XSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KELOLA_X_", extra="ignore")

    api_base: str = "https://api.x.com"
    auth_base: str = "https://x.com"
    client_id: str = ""
    client_secret: str = ""
    media_poll_interval_cap: float = 10.0
    media_processing_timeout: float = 300.0


class XProvider:
    platform = Platform.X
    capabilities = frozenset(Capability)

    def __init__(self, client: httpx.AsyncClient | None = None, settings: XSettings | None = None):
        self._client = client
        self.settings = settings or XSettings()
        self._api = self.settings.api_base.rstrip("/")

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        secret = self.settings.client_secret or None
        return OAuthEndpoints(
            authorize_url=f"{self.settings.auth_base.rstrip('/')}/i/oauth2/authorize",
            token_url=f"{self._api}/2/oauth2/token",
            scopes=SCOPES,
            client_id=self.settings.client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            uses_pkce=True,
        )

    async def fetch_account(self, credentials: Credentials) -> Account:
        body = await self._get(credentials, "/2/users/me", {"user.fields": "username,name"})
        user = body.get("data") or {}
        return Account(str(user["id"]), str(user.get("name") or user["username"]), user["username"])

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """Followers from the user's public_metrics; X's API offers no profile visits."""
        body = await self._get(credentials, "/2/users/me", {"user.fields": "public_metrics"})
        public = (body.get("data") or {}).get("public_metrics") or {}
        followers = public.get("followers_count")
        return ChannelMetrics(followers=followers if isinstance(followers, int) else None)

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        uploader = self._uploader()
        media_ids = [await uploader.upload(_auth(credentials), item) for item in request.media]
        body: dict[str, Any] = {"text": compose(request)}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        post_id = await self._create_post(credentials, body)
        if request.first_comment:
            await self._first_comment(credentials, post_id, request.first_comment)
        return self._published(credentials, post_id)

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        """The oldest own post since `since` whose text and media count match the request."""
        user_id = await self._user_id(credentials)
        wanted = parsing.comparable(compose(request))
        params = {
            "start_time": parsing.x_time(since),
            "max_results": "100",
            "exclude": "replies,retweets",
            "tweet.fields": "created_at,attachments,note_tweet",
        }
        matches = [
            tweet
            async for tweet in self._pages(credentials, f"/2/users/{user_id}/tweets", params)
            if parsing.comparable(parsing.post_text(tweet)) == wanted
            and parsing.media_count(tweet) == len(request.media)
        ]
        if not matches:
            return None
        oldest = min(matches, key=lambda tweet: int(tweet["id"]))
        return self._published(credentials, str(oldest["id"]))

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        results: list[PostMetrics] = []
        for start in range(0, len(network_post_ids), LOOKUP_BATCH):
            batch = network_post_ids[start : start + LOOKUP_BATCH]
            results.extend(await self._metrics_batch(credentials, batch))
        return results

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        user_id = await self._user_id(credentials)
        params = {
            "start_time": parsing.x_time(since),
            "max_results": "100",
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username,public_metrics",
        }
        return await self._interactions(
            credentials, f"/2/users/{user_id}/mentions", params, user_id
        )

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        return await self._create_post(
            credentials, {"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}}
        )

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        if not terms:
            return []
        earliest = datetime.now(UTC) - SEARCH_WINDOW
        params = {
            "query": search_query(terms),
            "start_time": parsing.x_time(max(since, earliest)),
            "max_results": "100",
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username,public_metrics",
        }
        user_id = await self._user_id(credentials)
        found = await self._interactions(credentials, "/2/tweets/search/recent", params, user_id)
        return [replace(item, kind="MENTION") for item in found]

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        """X rotates refresh tokens; the old one is kept only if X sends none back."""
        if not credentials.refresh_token:
            raise AuthExpired(f"{NETWORK}: no refresh token (offline.access not granted)")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": self.settings.client_id,
        }
        auth = None
        if self.settings.client_secret:
            auth = httpx.BasicAuth(self.settings.client_id, self.settings.client_secret)
        response = await send(
            self.client,
            "POST",
            f"{self._api}/2/oauth2/token",
            network=NETWORK,
            publishing=False,
            data=form,
            auth=auth or httpx.USE_CLIENT_DEFAULT,
        )
        if response.status_code in (400, 401):
            raise AuthExpired(
                f"{NETWORK}: refresh token rejected ({_oauth_error(response)})",
                status=response.status_code,
            )
        self._raise_for(response, publishing=False)
        token = response.json()
        expires_in = token.get("expires_in")
        return Credentials(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token") or credentials.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in
            else None,
            extra=dict(credentials.extra),
        )

    def _uploader(self) -> XMediaUploader:
        return XMediaUploader(
            self.client,
            self._api,
            poll_interval_cap=self.settings.media_poll_interval_cap,
            processing_timeout=self.settings.media_processing_timeout,
        )

    async def _create_post(self, credentials: Credentials, body: dict[str, Any]) -> str:
        response = await send(
            self.client,
            "POST",
            f"{self._api}/2/tweets",
            network=NETWORK,
            publishing=True,
            headers=_auth(credentials),
            json=body,
        )
        self._raise_for(response, publishing=True)
        data = response.json().get("data") or {}
        if not data.get("id"):
            raise Rejected(f"{NETWORK}: post refused: {response.text[:200]}", status=200)
        return str(data["id"])

    async def _first_comment(self, credentials: Credentials, post_id: str, text: str) -> None:
        """The post already exists, so a failing first comment must not fail the publish (a
        retry would post it twice); it is logged and dropped."""
        try:
            await self.reply(credentials, post_id, text)
        except ProviderError as error:
            log.warning("x: first comment on %s failed: %s", post_id, error)

    async def _metrics_batch(
        self, credentials: Credentials, post_ids: list[str]
    ) -> list[PostMetrics]:
        """non_public_metrics is only served for the owner's posts of the last 30 days; when
        X refuses it the public metrics are asked for alone. Attached media come along
        (expansions) for their view counts. Deleted posts are simply absent from `data`."""
        params = {
            "ids": ",".join(post_ids),
            "tweet.fields": "public_metrics,non_public_metrics",
            "expansions": "attachments.media_keys",
            "media.fields": "type,public_metrics",
        }
        try:
            body = await self._get(credentials, "/2/tweets", params)
        except Rejected:
            params["tweet.fields"] = "public_metrics"
            body = await self._get(credentials, "/2/tweets", params)
        media = parsing.media_by_key(body)
        return [parsing.metrics(tweet, media) for tweet in body.get("data") or ()]

    async def _interactions(
        self, credentials: Credentials, path: str, params: dict[str, str], user_id: str
    ) -> list[Interaction]:
        found: list[Interaction] = []
        async for tweet, users in self._pages_with_users(credentials, path, params):
            if tweet.get("author_id") != user_id:
                found.append(parsing.interaction(tweet, users, user_id))
        return found

    async def _pages(
        self, credentials: Credentials, path: str, params: dict[str, str]
    ) -> AsyncIterator[dict[str, Any]]:
        async for tweet, _ in self._pages_with_users(credentials, path, params):
            yield tweet

    async def _pages_with_users(
        self, credentials: Credentials, path: str, params: dict[str, str]
    ) -> AsyncIterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Follows meta.next_token for at most MAX_PAGES pages."""
        params = dict(params)
        for _ in range(MAX_PAGES):
            body = await self._get(credentials, path, params)
            users = parsing.users_by_id(body)
            for tweet in body.get("data") or ():
                yield tweet, users
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return
            params["pagination_token"] = next_token

    async def _user_id(self, credentials: Credentials) -> str:
        user_id = credentials.extra.get("user_id")
        if user_id:
            return str(user_id)
        account = await self.fetch_account(credentials)
        credentials.extra["user_id"] = account.external_id
        credentials.extra.setdefault("username", account.handle)
        return account.external_id

    async def _get(
        self, credentials: Credentials, path: str, params: dict[str, str]
    ) -> dict[str, Any]:
        response = await send(
            self.client,
            "GET",
            f"{self._api}{path}",
            network=NETWORK,
            publishing=False,
            headers=_auth(credentials),
            params=params,
        )
        self._raise_for(response, publishing=False)
        return response.json()

    @staticmethod
    def _raise_for(response: httpx.Response, *, publishing: bool) -> None:
        """Shared classification, with X's own reset headers (incl. the daily caps)."""
        hints = {}
        if response.status_code == 429:
            reset = parsing.rate_limit_reset(response.headers, now=datetime.now(UTC))
            hints = {"retry_at": reset} if reset else {}
        raise_for_status(response, network=NETWORK, publishing=publishing, **hints)

    def _published(self, credentials: Credentials, post_id: str) -> PublishedPost:
        username = credentials.extra.get("username")
        url = (
            f"https://x.com/{username}/status/{post_id}"
            if username
            else f"https://x.com/i/web/status/{post_id}"
        )
        return PublishedPost(post_id, url, parsing.snowflake_time(post_id))


def compose(request: PublishRequest) -> str:
    """X has no link or title field: the link is appended to the text unless already in it
    (X turns it into a card), and the title has no place on X."""
    text = request.text.strip()
    if request.link and request.link not in text:
        text = f"{text}\n\n{request.link}" if text else request.link
    return text


def search_query(terms: list[str]) -> str:
    """Terms ORed together (phrases quoted), reposts excluded."""
    quoted = [f'"{term}"' if " " in term else term for term in terms if term.strip()]
    return f"({' OR '.join(quoted)}) -is:retweet"


def _auth(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.access_token}"}


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("error") or body.get("error_description") or response.status_code)


def provider(client: httpx.AsyncClient | None = None) -> XProvider:
    return XProvider(client)
