"""Publishing one target, and confirming one whose outcome is unknown.

Outcomes by error class:
  success               PUBLISHED, with the network's id and URL
  AuthExpired           refresh once and retry once; else FAILED and the channel NEEDS_REAUTH
  RateLimited           back to SCHEDULED at the network's reset time; channel RATE_LIMITED
  Rejected              FAILED with the network's reason
  TransientBeforeSend   back to SCHEDULED with exponential backoff (FAILED after MAX_ATTEMPTS)
  Ambiguous             UNCONFIRMED: the network is asked whether the post exists before
                        anything is sent again, never a blind retry
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.analytics.links import track_request
from domain.channels.models import Channel, ChannelHealth
from domain.channels.service import set_health
from domain.channels.tokens import ChannelUnusable, force_refresh, fresh_credentials
from domain.channels.vault import load_credentials
from domain.content.models import Media, Post, PostTarget, PublishAttempt, TargetStatus
from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    Capability,
    MediaItem,
    Provider,
    ProviderError,
    PublishedPost,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.registry import provider_for
from domain.publishing.claims import backoff, claim, finish, utcnow
from domain.publishing.limits import take_publish_slot
from domain.storage import public_url
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
VERIFY_DELAY = timedelta(seconds=5)


@dataclass(frozen=True)
class Outcome:
    status: TargetStatus | None  # None: nothing done (not due, or another worker has it)
    detail: str = ""


def reference(target: PostTarget) -> str:
    """Kelola's stable id for a target on the network, the same on every attempt."""
    return f"kelola-target-{target.id}"


async def _request(target: PostTarget) -> PublishRequest:
    post = target.post if isinstance(target.post, Post) else await Post.get(id=target.post_id)
    media_ids = target.media_override if target.media_override is not None else post.media_ids
    own_media = Media.filter(workspace_id=target.workspace_id, id__in=media_ids)
    media = {item.id: item for item in await own_media} if media_ids else {}
    # URLs become the target's tracked short links (the same ones on every attempt).
    text, link = await track_request(
        target,
        post,
        target.body_override if target.body_override is not None else post.body,
        post.link,
    )
    return PublishRequest(
        reference=reference(target),
        text=text,
        media=tuple(
            MediaItem(
                kind=media[i].kind.value,
                url=public_url(media[i].storage_key),
                mime_type=media[i].mime_type,
                alt_text=media[i].alt_text,
            )
            for i in media_ids
            if i in media
        ),
        link=link,
        title=post.title,
        first_comment=post.first_comment,
    )


Attempt = Callable[[], Awaitable[object]]


def _attempt(
    target: PostTarget,
    started: datetime,
    clock: float,
    outcome: str,
    error: Exception | None,
    published: PublishedPost | None = None,
) -> Attempt:
    """The attempt-log row, written in the same transaction as the status it led to."""
    elapsed = time.perf_counter() - clock
    return lambda: PublishAttempt.create(
        workspace_id=target.workspace_id,
        target_id=target.id,
        attempt_token=target.attempt_token,
        started_at=started,
        latency_ms=int(elapsed * 1000),
        outcome=outcome,
        error_class=type(error).__name__ if error else None,
        error_message=str(error)[:1000] if error else None,
        network_post_id=published.network_post_id if published else None,
    )


async def _published(
    target: PostTarget, published: PublishedPost, reason: str, attempt: Attempt | None = None
) -> Outcome:
    done = await finish(
        target,
        TargetStatus.PUBLISHED,
        reason=reason,
        attempt=attempt,
        published_at=published.published_at,
        network_post_id=published.network_post_id,
        network_url=published.url,
        next_attempt_at=None,
        failure_reason=None,
    )
    return Outcome(TargetStatus.PUBLISHED if done else None, "claim lost" if not done else "")


async def _failed(target: PostTarget, reason: str, attempt: Attempt | None = None) -> Outcome:
    done = await finish(
        target,
        TargetStatus.FAILED,
        reason=reason,
        attempt=attempt,
        failure_reason=reason,
        next_attempt_at=None,
    )
    return Outcome(TargetStatus.FAILED if done else None, reason)


async def _retry_later(
    target: PostTarget, at: datetime, reason: str, attempt: Attempt | None = None
) -> Outcome:
    done = await finish(
        target,
        TargetStatus.SCHEDULED,
        reason=reason,
        attempt=attempt,
        next_attempt_at=at,
        failure_reason=reason,
    )
    return Outcome(TargetStatus.SCHEDULED if done else None, reason)


async def _unconfirmed(target: PostTarget, reason: str, attempt: Attempt | None = None) -> Outcome:
    done = await finish(
        target,
        TargetStatus.UNCONFIRMED,
        reason=reason,
        attempt=attempt,
        next_attempt_at=utcnow() + VERIFY_DELAY,
        failure_reason=reason,
    )
    return Outcome(TargetStatus.UNCONFIRMED if done else None, reason)


async def publish_target(target_id: int) -> Outcome:
    """Publish a due SCHEDULED target. Safe to call any number of times."""
    target = await claim(target_id, TargetStatus.SCHEDULED, utcnow())
    if target is None:
        return Outcome(None, "not due or already taken")
    wait = (target.scheduled_at - utcnow()).total_seconds() if target.scheduled_at else 0
    if wait > 0:  # claimed a moment early; a cancel up to one second before still won
        await asyncio.sleep(wait)
    return await _send(target)


async def _send(target: PostTarget) -> Outcome:
    channel = target.channel if isinstance(target.channel, Channel) else None
    channel = channel or await Channel.get(id=target.channel_id)
    if channel.health in (ChannelHealth.DISCONNECTED, ChannelHealth.NEEDS_REAUTH):
        return await _failed(target, f"The channel is {channel.health.value}: reconnect it")
    now = utcnow()
    if channel.health == ChannelHealth.RATE_LIMITED and channel.rate_limited_until:
        if channel.rate_limited_until > now:
            return await _retry_later(target, channel.rate_limited_until, "channel rate-limited")
        async with unit_of_work():
            await set_health(channel, ChannelHealth.CONNECTED, None)
    slot = await take_publish_slot(channel.platform, channel.id)
    if not slot.allowed:
        return await _retry_later(
            target, now + timedelta(seconds=max(1, slot.retry_after_s)), "pacing"
        )
    try:
        credentials = await fresh_credentials(channel.id, loaded=channel)
    except ChannelUnusable as error:
        return await _failed(target, f"The channel cannot publish ({error}): reconnect it")
    provider = provider_for(channel.platform)
    request = await _request(target)
    refreshed = False
    while True:
        started, clock = utcnow(), time.perf_counter()
        try:
            published = await provider.publish(credentials, request)
        except AuthExpired as error:
            attempt = _attempt(target, started, clock, "AUTH", error)
            if not refreshed:
                refreshed = True
                await attempt()
                try:
                    credentials = await force_refresh(channel.id, credentials.access_token)
                    continue
                except ChannelUnusable:
                    attempt = None
            async with unit_of_work():
                await set_health(
                    channel, ChannelHealth.NEEDS_REAUTH, f"The network refused our token: {error}"
                )
            return await _failed(
                target, "The network refused the channel's token: reconnect it", attempt
            )
        except RateLimited as error:
            async with unit_of_work():
                await set_health(
                    channel, ChannelHealth.RATE_LIMITED, str(error), until=error.retry_at
                )
            return await _retry_later(
                target,
                error.retry_at,
                f"rate-limited: {error}",
                _attempt(target, started, clock, "RATE_LIMITED", error),
            )
        except Rejected as error:
            return await _failed(
                target,
                f"The network rejected the post: {error}",
                _attempt(target, started, clock, "REJECTED", error),
            )
        except TransientBeforeSend as error:
            attempt = _attempt(target, started, clock, "RETRY", error)
            if target.attempts >= MAX_ATTEMPTS:
                return await _failed(
                    target, f"Gave up after {target.attempts} attempts: {error}", attempt
                )
            return await _retry_later(
                target, utcnow() + backoff(target.attempts), str(error), attempt
            )
        except (Ambiguous, ProviderError) as error:
            return await _unconfirmed(
                target,
                f"Outcome unknown, checking with the network: {error}",
                _attempt(target, started, clock, "UNKNOWN", error),
            )
        return await _published(
            target,
            published,
            "published",
            _attempt(target, started, clock, "PUBLISHED", None, published),
        )


async def verify_target(target_id: int) -> Outcome:
    """Ask the network whether an UNCONFIRMED target's post exists; publish only if not."""
    target = await claim(target_id, TargetStatus.UNCONFIRMED, utcnow())
    if target is None:
        return Outcome(None, "not due or already taken")
    channel = target.channel
    provider = provider_for(channel.platform)
    if Capability.FIND_POST not in provider.capabilities:
        return await _failed(
            target,
            "The network cannot tell whether the post went out; check the channel before "
            "publishing again",
        )
    usable = channel.health not in (ChannelHealth.DISCONNECTED, ChannelHealth.NEEDS_REAUTH)
    try:
        found = await _find(target, provider, channel, usable)
    except (ChannelUnusable, AuthExpired) as error:
        return await _confirm_later(
            target, f"Reconnect the channel so Kelola can confirm whether it went out ({error})"
        )
    except ProviderError as error:
        return await _confirm_later(target, f"confirmation failed: {error}")
    if found is not None:
        return await _published(target, found, "confirmed: the network has it")
    if not usable:
        return await _failed(target, "It never reached the network; reconnect the channel")
    # The network says it never arrived: sending now cannot make a duplicate.
    return await _send(target)


async def _find(
    target: PostTarget, provider: Provider, channel: Channel, usable: bool
) -> PublishedPost | None:
    """Ask the network for the target's post. A channel that may publish refreshes a refused
    token once, as publishing does; one that may not publish can often still read."""
    if usable:
        credentials = await fresh_credentials(channel.id, loaded=channel)
    else:
        credentials = load_credentials(channel)
        if credentials is None:
            raise ChannelUnusable(channel.health.value)
    since = (target.scheduled_at or target.created_at) - timedelta(minutes=5)
    request = await _request(target)
    try:
        return await provider.find_published(credentials, request, since)
    except AuthExpired:
        if not usable:
            raise
        credentials = await force_refresh(channel.id, credentials.access_token)
        return await provider.find_published(credentials, request, since)


async def _confirm_later(target: PostTarget, reason: str) -> Outcome:
    """Stay UNCONFIRMED and ask again later; give up (FAILED, saying so) after long enough."""
    if target.attempts >= MAX_ATTEMPTS * 2:
        return await _failed(target, f"Could not confirm with the network: {reason}")
    done = await finish(
        target,
        TargetStatus.UNCONFIRMED,
        reason=reason,
        failure_reason=reason,
        next_attempt_at=utcnow() + backoff(target.attempts),
    )
    return Outcome(TargetStatus.UNCONFIRMED if done else None, reason)
