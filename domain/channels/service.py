"""Connecting, listing, disconnecting channels, and tracking their health."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.channels.models import Channel, ChannelHealth
from domain.channels.vault import store_credentials
from domain.errors import ErrorCode, NotFound, Problems
from domain.events import Event, publish_after_commit
from domain.identity.roles import Permission
from domain.pagination import Page, paginate
from domain.platforms.base import Account, Credentials, Platform
from domain.platforms.sandbox.network import FAILURE_KINDS
from domain.platforms.sandbox.provider import SandboxProvider
from domain.tenancy import Actor, visible_to, workspace_for

CHANNEL_HEALTH_CHANGED = "channel.health_changed"
MAX_SANDBOX_LATENCY_MS = 30_000


@dataclass(frozen=True)
class SandboxOptions:
    """How the simulated account behaves: its audience, latency and injected failures."""

    handle: str = "kelola"
    followers: int = 1000
    latency_ms: int = 0
    failure_rates: dict[str, float] = field(default_factory=dict)
    seed: int | None = None


def _check_sandbox(problems: Problems, options: SandboxOptions) -> None:
    problems.check_length("sandbox.handle", options.handle, maximum=64)
    if not 0 <= options.followers <= 1_000_000_000:
        problems.add("sandbox.followers", ErrorCode.INVALID, "followers must be 0 to 1,000,000,000")
    if not 0 <= options.latency_ms <= MAX_SANDBOX_LATENCY_MS:
        problems.add("sandbox.latencyMs", ErrorCode.INVALID, "latencyMs must be 0 to 30,000")
    rates = options.failure_rates
    if not isinstance(rates, dict):
        problems.add("sandbox.failureRates", ErrorCode.INVALID, "failureRates must be an object")
        return
    allowed = {*FAILURE_KINDS, "slow", "refresh_refused"}
    for kind, rate in rates.items():
        if kind not in allowed:
            problems.add("sandbox.failureRates", ErrorCode.INVALID, f"unknown failure {kind!r}")
        elif isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            problems.add("sandbox.failureRates", ErrorCode.INVALID, f"{kind} must be 0 to 1")
    if not problems.items and sum(r for k, r in rates.items() if k in FAILURE_KINDS) > 1:
        problems.add("sandbox.failureRates", ErrorCode.INVALID, "failure rates add up to over 1")


async def connect_sandbox(actor: Actor, *, workspace_id: int, options: SandboxOptions) -> Channel:
    """Sandbox channels connect at once, with no credentials to enter."""
    user_id = actor.require_user()
    workspace = await workspace_for(actor, workspace_id, Permission.CHANNELS_MANAGE)
    problems = Problems()
    _check_sandbox(problems, options)
    problems.raise_if_any()
    account, credentials = await SandboxProvider.open_account(
        options.handle.strip(),
        followers=options.followers,
        latency_ms=options.latency_ms,
        failure_rates=dict(options.failure_rates),
        seed=options.seed if options.seed is not None else secrets.randbits(31),
    )
    return await save_connection(workspace.id, user_id, Platform.SANDBOX, account, credentials)


async def save_connection(
    workspace_id: int, user_id: int, platform: Platform, account: Account, credentials: Credentials
) -> Channel:
    """Store a new connection, or refresh an existing one without losing its refresh token."""
    channel = await Channel.get_or_none(
        workspace_id=workspace_id, platform=platform, external_account_id=account.external_id
    )
    if channel is None:
        channel = Channel(
            workspace_id=workspace_id,
            platform=platform,
            external_account_id=account.external_id,
            connected_by_id=user_id,
        )
    channel.name, channel.handle = account.name, account.handle
    channel.disconnected_at = None
    channel.connected_at = datetime.now(UTC)
    store_credentials(channel, credentials)
    previous = channel.health if channel.id else None
    channel.health, channel.health_reason = ChannelHealth.CONNECTED, None
    channel.rate_limited_until = None
    channel.health_changed_at = datetime.now(UTC)
    await channel.save()
    if previous is not None and previous != ChannelHealth.CONNECTED:
        _health_changed(channel)
    return channel


async def disconnect(actor: Actor, *, channel_id: int) -> Channel:
    """Stop using a channel. Its credentials are erased; its history stays."""
    actor.require_user()
    channel = await visible_channel(actor, channel_id)
    await actor.require(channel.workspace_id, Permission.CHANNELS_MANAGE)
    if channel.health == ChannelHealth.DISCONNECTED:
        return channel
    channel.access_token_encrypted = ""
    channel.refresh_token_encrypted = None
    channel.credentials_extra_encrypted = None
    channel.token_expires_at = None
    channel.disconnected_at = datetime.now(UTC)
    await set_health(channel, ChannelHealth.DISCONNECTED, "Disconnected by a member")
    return channel


async def set_health(
    channel: Channel, health: ChannelHealth, reason: str | None, *, until: datetime | None = None
) -> None:
    """Save the channel with its new health; subscribers hear of it after commit."""
    changed = channel.health != health or channel.health_reason != reason
    channel.health, channel.health_reason = health, reason
    channel.rate_limited_until = until if health == ChannelHealth.RATE_LIMITED else None
    if changed:
        channel.health_changed_at = datetime.now(UTC)
    await channel.save()
    if changed:
        _health_changed(channel)


def _health_changed(channel: Channel) -> None:
    publish_after_commit(
        Event(
            CHANNEL_HEALTH_CHANGED,
            channel.workspace_id,
            {
                "channel_id": channel.id,
                "health": channel.health.value,
                "reason": channel.health_reason,
            },
        )
    )


async def visible_channel(actor: Actor, channel_id: int, field_name: str = "channelId") -> Channel:
    channel = await visible_to(actor, Channel).get_or_none(id=channel_id)
    if channel is None:
        raise NotFound("channel", field=field_name)
    return channel


async def get_channel(actor: Actor, channel_id: int) -> Channel | None:
    return await visible_to(actor, Channel).get_or_none(id=channel_id)


async def list_channels(
    actor: Actor,
    workspace_id: int,
    *,
    platform: Platform | None = None,
    health: ChannelHealth | None = None,
    first: int | None,
    after: str | None,
) -> Page[Channel]:
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_READ)
    channels = visible_to(actor, Channel).filter(workspace_id=workspace.id)
    if platform is not None:
        channels = channels.filter(platform=platform)
    if health is not None:
        channels = channels.filter(health=health)
    return await paginate(channels, first=first, after=after)
