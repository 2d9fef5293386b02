"""The Provider interface every network adapter implements, and the errors it raises.

Errors are classified by what the publisher must do next, not by HTTP status:
  AuthExpired        refresh the token once, else the channel needs re-authorisation
  RateLimited        wait until `retry_at`
  Rejected           permanent: the network refused the content; never retry
  TransientBeforeSend the request surely did not arrive; retry with backoff
  Ambiguous          it may have arrived (timeout, 5xx after sending): ask before retrying
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class Platform(StrEnum):
    FACEBOOK = "FACEBOOK"
    INSTAGRAM = "INSTAGRAM"
    X = "X"
    LINKEDIN = "LINKEDIN"
    PINTEREST = "PINTEREST"
    MASTODON = "MASTODON"
    BLUESKY = "BLUESKY"
    SANDBOX = "SANDBOX"


class Capability(StrEnum):
    PUBLISH = "PUBLISH"
    FIND_POST = "FIND_POST"
    METRICS = "METRICS"
    COMMENTS = "COMMENTS"
    REPLY = "REPLY"
    MENTIONS = "MENTIONS"
    REFRESH_TOKEN = "REFRESH_TOKEN"


@dataclass
class Credentials:
    """Decrypted credentials of one channel; only ever held in memory."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    """The account a connection reached on the network."""

    external_id: str
    name: str
    handle: str | None = None


@dataclass(frozen=True)
class MediaItem:
    kind: str  # IMAGE, VIDEO, GIF
    url: str
    mime_type: str
    alt_text: str | None = None


@dataclass(frozen=True)
class PublishRequest:
    """One post to one channel. `reference` is Kelola's stable id for this target; adapters
    embed or remember it where the network allows so `find_published` can recognise it."""

    reference: str
    text: str
    media: tuple[MediaItem, ...] = ()
    link: str | None = None
    title: str | None = None
    first_comment: str | None = None


@dataclass(frozen=True)
class PublishedPost:
    network_post_id: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class PostMetrics:
    """A network that does not report a metric leaves it None, never 0."""

    network_post_id: str
    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    video_views: int | None = None
    watch_time_s: int | None = None  # total seconds watched, all viewers together


@dataclass(frozen=True)
class ChannelMetrics:
    """Account-level figures of one channel. Like PostMetrics, a figure the network does not
    report is None, never 0."""

    followers: int | None = None  # at the time of the call
    profile_views: int | None = None  # the current day, or the most recent day reported


@dataclass(frozen=True)
class Interaction:
    """A comment, direct message or mention seen on the network."""

    network_id: str
    kind: str  # COMMENT, MESSAGE, MENTION
    author_handle: str
    author_followers: int | None
    text: str
    created_at: datetime
    in_reply_to: str | None = None


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where a network's OAuth2 authorization-code flow (with PKCE) happens."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    client_id: str
    client_secret: str | None
    token_endpoint_auth_method: str = "client_secret_post"  # or client_secret_basic, none
    uses_pkce: bool = True


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class AuthExpired(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, message: str, *, retry_at: datetime, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_at = retry_at


class Rejected(ProviderError):
    pass


class TransientBeforeSend(ProviderError):
    pass


class Ambiguous(ProviderError):
    pass


class Unsupported(ProviderError):
    def __init__(self, platform: Platform, capability: Capability):
        super().__init__(f"{platform.value} does not support {capability.value}")


class Provider(Protocol):
    """One network. Every method may raise the ProviderError subclasses above; a method
    for a capability the network lacks raises Unsupported."""

    platform: Platform
    capabilities: frozenset[Capability]

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints | None:
        """The OAuth2 flow to connect an account, or None for networks connected otherwise
        (app passwords, the sandbox). `connection` holds per-connection facts such as a
        Mastodon instance URL and its registered client."""
        ...

    async def fetch_account(self, credentials: Credentials) -> Account:
        """The account the credentials act as (id, name, handle)."""
        ...

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost: ...

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None: ...

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """Metrics of the channel's posts, batched as the network allows. Posts the network
        no longer has (deleted) are left out rather than failing the others."""
        ...

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """The channel's follower count now and its profile views of the current day (or
        the most recent day the network reports). A figure the network does not offer is
        None; a refusal of one optional figure (an insights permission, a retired metric)
        leaves that figure None instead of failing the call, while token, rate-limit and
        transport failures raise as for every other call."""
        ...

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]: ...

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str: ...

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]: ...

    async def refresh_token(self, credentials: Credentials) -> Credentials: ...
