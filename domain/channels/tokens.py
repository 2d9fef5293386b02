"""Keeping a channel's access token fresh: refreshed ahead of expiry, one refresh at a time.

Two workers about to use the same expiring channel must not both refresh: many networks
rotate the refresh token on use, so the loser's refresh would fail and mark a healthy
channel as needing re-authorisation. A Redis lock serialises refreshes per channel, and
whoever gets it second re-reads the row and finds the token already fresh.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from domain.channels.models import Channel, ChannelHealth
from domain.channels.service import set_health
from domain.channels.vault import load_credentials, store_credentials
from domain.platforms.base import AuthExpired, Capability, Credentials, ProviderError
from domain.platforms.registry import provider_for
from domain.redis import get_redis
from domain.uow import unit_of_work

REFRESH_AHEAD = timedelta(minutes=10)
LOCK_TTL_MS = 30_000
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ChannelUnusable(Exception):
    """The channel cannot act: disconnected, or its credentials need re-authorisation."""


def needs_refresh(channel: Channel, now: datetime) -> bool:
    return channel.token_expires_at is not None and channel.token_expires_at - now <= REFRESH_AHEAD


async def _with_lock(channel_id: int):
    redis = get_redis()
    key, owner = f"kelola:lock:channel-refresh:{channel_id}", uuid.uuid4().hex
    for _ in range(200):
        if await redis.set(key, owner, nx=True, px=LOCK_TTL_MS):
            return key, owner
        await asyncio.sleep(0.05)
    raise TimeoutError(f"channel {channel_id}: token refresh lock not acquired")


async def fresh_credentials(channel_id: int, loaded: Channel | None = None) -> Credentials:
    """Credentials good for at least REFRESH_AHEAD, refreshing them if needed.

    Called by workers outside any unit of work: the refresh commits on its own so the new
    token survives whatever the caller does next. A caller that just read the channel may
    pass it as `loaded`; it is re-read under the lock before any refresh.
    """
    channel = loaded or await Channel.get(id=channel_id)
    _require_usable(channel)
    if not needs_refresh(channel, datetime.now(UTC)):
        return _credentials(channel)
    key, owner = await _with_lock(channel_id)
    try:
        channel = await Channel.get(id=channel_id)
        _require_usable(channel)
        if not needs_refresh(channel, datetime.now(UTC)):
            return _credentials(channel)
        return await _refresh(channel)
    finally:
        await get_redis().eval(_RELEASE, 1, key, owner)


async def force_refresh(channel_id: int, used_token: str | None = None) -> Credentials:
    """Refresh after the network refused a token that looked valid.

    If another worker already replaced `used_token` meanwhile, its fresh token is returned
    instead of refreshing a second time.
    """
    key, owner = await _with_lock(channel_id)
    try:
        channel = await Channel.get(id=channel_id)
        _require_usable(channel)
        current = _credentials(channel)
        if used_token is not None and current.access_token != used_token:
            return current
        return await _refresh(channel, forced=True)
    finally:
        await get_redis().eval(_RELEASE, 1, key, owner)


async def _refresh(channel: Channel, *, forced: bool = False) -> Credentials:
    provider = provider_for(channel.platform)
    current = _credentials(channel)
    if Capability.REFRESH_TOKEN not in provider.capabilities or not current.refresh_token:
        if not forced and channel.token_expires_at and channel.token_expires_at > datetime.now(UTC):
            return current
        await _needs_reauth(channel, "The access token expired and cannot be refreshed")
        raise ChannelUnusable("token expired")
    try:
        refreshed = await provider.refresh_token(current)
    except AuthExpired as error:
        await _needs_reauth(channel, f"Token refresh was refused: {error}")
        raise ChannelUnusable("refresh refused") from error
    except ProviderError:
        if not forced and channel.token_expires_at and channel.token_expires_at > datetime.now(UTC):
            return current  # transient trouble; the old token still works for now
        raise
    async with unit_of_work():
        changed = store_credentials(channel, refreshed)
        await channel.save(update_fields=changed)
    return _credentials(channel)


async def _needs_reauth(channel: Channel, reason: str) -> None:
    async with unit_of_work():
        await set_health(channel, ChannelHealth.NEEDS_REAUTH, reason)


def _require_usable(channel: Channel) -> None:
    if channel.health in (ChannelHealth.DISCONNECTED, ChannelHealth.NEEDS_REAUTH):
        raise ChannelUnusable(channel.health.value)


def _credentials(channel: Channel) -> Credentials:
    credentials = load_credentials(channel)
    if credentials is None:
        raise ChannelUnusable("credentials cannot be decrypted")
    return credentials


async def refresh_expiring(now: datetime | None = None) -> int:
    """Refresh every usable channel whose token expires within REFRESH_AHEAD, whether or
    not anything is about to publish. Run every few minutes; safe to run twice."""
    now = now or datetime.now(UTC)
    expiring = await Channel.filter(
        token_expires_at__lte=now + REFRESH_AHEAD,
        refresh_token_encrypted__isnull=False,
        health__in=[ChannelHealth.CONNECTED, ChannelHealth.RATE_LIMITED],
    ).values_list("id", flat=True)
    refreshed = 0
    for channel_id in expiring:
        try:
            await fresh_credentials(channel_id)
            refreshed += 1
        except (ChannelUnusable, ProviderError, TimeoutError):
            continue  # its health says why; the next run tries again
    return refreshed
