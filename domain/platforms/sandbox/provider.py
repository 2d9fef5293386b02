"""The sandbox network's adapter: the Provider interface over the simulated network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from domain.platforms.base import (
    Account,
    AuthExpired,
    Capability,
    ChannelMetrics,
    Credentials,
    Interaction,
    Platform,
    PostMetrics,
    PublishedPost,
    PublishRequest,
)
from domain.platforms.sandbox.models import SandboxAccount
from domain.platforms.sandbox.network import SandboxNetwork
from domain.secrets import new_token, token_hash

TOKEN_LIFETIME = timedelta(hours=2)


def _account_id(credentials: Credentials) -> int:
    account_id = credentials.extra.get("sandbox_account_id")
    if not isinstance(account_id, int):
        raise AuthExpired("sandbox: credentials name no account")
    return account_id


class SandboxProvider:
    platform = Platform.SANDBOX
    capabilities = frozenset(Capability)

    def __init__(self, rng: random.Random | None = None):
        self.network = SandboxNetwork(rng or random.Random())  # noqa: S311 - simulation only

    @staticmethod
    async def open_account(
        handle: str, *, followers: int, latency_ms: int, failure_rates: dict[str, float], seed: int
    ) -> tuple[Account, Credentials]:
        """Create an account on the sandbox network and the credentials to act as it."""
        access_token, refresh_token = new_token(), new_token()
        account = await SandboxAccount.create(
            handle=handle,
            followers=followers,
            seed=seed,
            latency_ms=latency_ms,
            failure_rates=failure_rates,
            token_hash=token_hash(access_token),
            token_issued_at=datetime.now(UTC),
        )
        credentials = Credentials(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=datetime.now(UTC) + TOKEN_LIFETIME,
            extra={"sandbox_account_id": account.id},
        )
        return Account(str(account.id), f"Sandbox @{handle}", handle), credentials

    def oauth_endpoints(self, connection: dict) -> None:
        return None

    async def fetch_account(self, credentials: Credentials) -> Account:
        account = await SandboxAccount.get_or_none(id=_account_id(credentials))
        if account is None or account.token_hash != token_hash(credentials.access_token):
            raise AuthExpired("sandbox: access token is invalid or expired", status=401)
        return Account(str(account.id), f"Sandbox @{account.handle}", account.handle)

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        return await self.network.publish(
            _account_id(credentials), token_hash(credentials.access_token), request
        )

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        return await self.network.find(
            _account_id(credentials), token_hash(credentials.access_token), request.reference
        )

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        return await self.network.metrics(
            _account_id(credentials), token_hash(credentials.access_token), network_post_ids
        )

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        return await self.network.channel_metrics(
            _account_id(credentials), token_hash(credentials.access_token)
        )

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        return await self.network.interactions(
            _account_id(credentials), token_hash(credentials.access_token), since
        )

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        published = await self.publish(
            credentials, PublishRequest(reference=f"reply:{in_reply_to}:{new_token(6)}", text=text)
        )
        return published.network_post_id

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        return await self.network.search(terms, since)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        """Rotate the access token; the refresh token stays valid (like most networks)."""
        account = await SandboxAccount.get_or_none(id=_account_id(credentials))
        refused = account is not None and account.failure_rates.get("refresh_refused")
        if account is None or not credentials.refresh_token or refused:
            raise AuthExpired("sandbox: refresh token rejected", status=400)
        access_token = new_token()
        account.token_hash = token_hash(access_token)
        account.token_issued_at = datetime.now(UTC)
        await account.save(update_fields=["token_hash", "token_issued_at"])
        return Credentials(
            access_token=access_token,
            refresh_token=credentials.refresh_token,
            expires_at=datetime.now(UTC) + TOKEN_LIFETIME,
            extra=credentials.extra,
        )


def provider(client: object = None) -> SandboxProvider:
    """The registry's entry point; the sandbox needs no HTTP client."""
    return SandboxProvider()
