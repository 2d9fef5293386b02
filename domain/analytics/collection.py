"""Reading published posts' metrics from the networks, on the cadence their age calls for.

A cron tick (every minute) enrolls targets published since the last tick, then asks for
one poll job per channel with posts due. A channel's job reads its due posts in batches
(one network call per batch, through the channel's read budget) and writes each batch's
readings in one transaction. Readings land in time buckets, so a job that runs twice in a
bucket (a retry, a duplicate tick) writes nothing new.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Subquery

from domain.analytics.cadence import Cadence, current_cadence
from domain.analytics.models import TargetMetrics, TargetTag
from domain.analytics.periods import hour_of_week, in_zone
from domain.analytics.readings import Due, Reading, due_targets, write_readings
from domain.channels.models import Channel
from domain.channels.tokens import ChannelUnusable, force_refresh, fresh_credentials
from domain.content.models import PostTarget, TargetStatus
from domain.events import Event, publish_after_commit
from domain.platforms.base import (
    AuthExpired,
    Capability,
    Credentials,
    PostMetrics,
    ProviderError,
    RateLimited,
    Unsupported,
)
from domain.platforms.registry import provider_for
from domain.publishing.limits import take_read_slot
from domain.settings import get_settings
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)

METRICS_UPDATED = "analytics.metrics_updated"
ENROLL_BATCH = 1000
UNUSABLE_RETRY = timedelta(hours=1)
ERROR_RETRY = timedelta(minutes=15)
# A read budget that frees up within this long is waited for; a longer wait defers the posts.
MAX_BUDGET_WAIT_S = 10


def utcnow() -> datetime:
    return datetime.now(UTC)


async def enroll_published(now: datetime | None = None) -> int:
    """Start polling targets published within the polling age that are not enrolled yet."""
    now = now or utcnow()
    cadence = current_cadence()
    since = now - cadence.max_age
    enrolled = TargetMetrics.filter(published_at__gte=since).values("target_id")
    rows = (
        await PostTarget.filter(status=TargetStatus.PUBLISHED, published_at__gte=since)
        .exclude(id__in=Subquery(enrolled))
        .order_by("id")
        .values(
            "id",
            "workspace_id",
            "workspace__timezone",
            "post_id",
            "channel_id",
            "channel__platform",
            "published_at",
        )
    )
    for start in range(0, len(rows), ENROLL_BATCH):
        await _enroll(rows[start : start + ENROLL_BATCH], cadence, now)
    return len(rows)


async def _enroll(rows: list[dict], cadence: Cadence, now: datetime) -> None:
    async with unit_of_work():
        await TargetMetrics.bulk_create(
            [
                TargetMetrics(
                    workspace_id=row["workspace_id"],
                    target_id=row["id"],
                    post_id=row["post_id"],
                    channel_id=row["channel_id"],
                    platform=row["channel__platform"],
                    published_at=row["published_at"],
                    published_day=local.date(),
                    published_hour_of_week=hour_of_week(local),
                    next_poll_at=_first_poll(cadence, row["published_at"], now),
                )
                for row in rows
                for local in [in_zone(row["published_at"], row["workspace__timezone"])]
            ],
            ignore_conflicts=True,
        )
        ids = {row["id"] for row in rows}
        enrolled = await TargetMetrics.filter(target_id__in=ids).values(
            "id", "workspace_id", "target__post__tags"
        )
        tags = [
            TargetTag(workspace_id=row["workspace_id"], target_metrics_id=row["id"], tag=tag)
            for row in enrolled
            for tag in dict.fromkeys(row["target__post__tags"] or [])
            if isinstance(tag, str) and tag
        ]
        await TargetTag.bulk_create(tags, ignore_conflicts=True)


def _first_poll(cadence: Cadence, published_at: datetime, now: datetime) -> datetime | None:
    """A fresh post is first read one interval after publishing; an older one right away."""
    if cadence.interval(now - published_at) is None:
        return None
    return max(published_at + cadence.steps[0].every, now)


async def due_channels(now: datetime | None = None, limit: int = 10_000) -> list[int]:
    """Channels with at least one post due for a reading."""
    rows = (
        await TargetMetrics.filter(next_poll_at__lte=now or utcnow())
        .distinct()
        .limit(limit)
        .values_list("channel_id", flat=True)
    )
    return sorted(set(rows))


@dataclass
class PollReport:
    channel_id: int
    read: int = 0
    missing: int = 0
    deferred_until: datetime | None = None
    stopped: bool = False


async def poll_channel(channel_id: int, now: datetime | None = None) -> PollReport:
    """Read every post of the channel that is due, batch by batch, and store the readings."""
    report = PollReport(channel_id)
    channel = await Channel.get_or_none(id=channel_id)
    if channel is None:
        return report
    provider = provider_for(channel.platform)
    if Capability.METRICS not in provider.capabilities:
        await _stop_polling(channel_id)
        report.stopped = True
        return report
    try:
        credentials = await fresh_credentials(channel_id, channel)
    except ChannelUnusable:
        report.deferred_until = await _defer(channel_id, utcnow() + UNUSABLE_RETRY, now)
        return report
    poller = _ChannelPoller(channel, provider, credentials, current_cadence(), report)
    await poller.run(now)
    return report


@dataclass
class _ChannelPoller:
    channel: Channel
    provider: object
    credentials: Credentials
    cadence: Cadence
    report: PollReport
    refreshed: bool = False

    async def run(self, fixed_now: datetime | None) -> None:
        batch = get_settings().metrics_poll_batch
        # Every batch moves its posts' next poll past `now` (or ends their polling), so this
        # loop runs out of due posts.
        while True:
            now = fixed_now or utcnow()
            due = await due_targets(self.channel.id, now, batch)
            if not due:
                return
            metrics = await self._fetch(due, now)
            if metrics is None:
                return
            await self._store(due, metrics, now)

    async def _fetch(self, due: list[Due], now: datetime) -> list[PostMetrics] | None:
        """The network's readings for the batch; None after deferring the channel's posts."""
        ids = [row.network_post_id for row in due if row.network_post_id]
        channel_id = self.channel.id
        for _ in range(3):
            budget = await take_read_slot(self.channel.platform, channel_id)
            if budget.allowed:
                break
            if budget.retry_after_s > MAX_BUDGET_WAIT_S:
                wait_until = utcnow() + timedelta(seconds=budget.retry_after_s)
                self.report.deferred_until = await _defer(channel_id, wait_until, now)
                return None
            await asyncio.sleep(budget.retry_after_s)
        try:
            return await self.provider.fetch_metrics(self.credentials, ids) if ids else []
        except AuthExpired:
            if self.refreshed:
                return await self._give_up(now, UNUSABLE_RETRY)
            self.refreshed = True
            try:
                self.credentials = await force_refresh(channel_id, self.credentials.access_token)
            except (ChannelUnusable, ProviderError):
                return await self._give_up(now, UNUSABLE_RETRY)
            return await self._fetch(due, now)
        except RateLimited as error:
            self.report.deferred_until = await _defer(channel_id, error.retry_at, now)
            return None
        except Unsupported:
            await _stop_polling(channel_id)
            self.report.stopped = True
            return None
        except ProviderError as error:
            logger.warning("metrics of channel %s not read: %s", channel_id, error)
            return await self._give_up(now, ERROR_RETRY)

    async def _give_up(self, now: datetime, retry: timedelta) -> None:
        self.report.deferred_until = await _defer(self.channel.id, utcnow() + retry, now)
        return None

    async def _store(self, due: list[Due], metrics: list[PostMetrics], now: datetime) -> None:
        by_network_id = {item.network_post_id: item for item in metrics}
        bucket = self.cadence.bucket_of(now)
        readings, missing = [], []
        for row in due:
            found = by_network_id.get(row.network_post_id)
            next_poll = self.cadence.next_poll(row.published_at, now)
            if found is None:
                missing.append((row.target_id, next_poll))
                continue
            readings.append(Reading(row.workspace_id, row.target_id, now, bucket, next_poll, found))
        async with unit_of_work():
            await write_readings(readings)
            for target_id, next_poll in missing:  # deleted on the network, or not visible yet
                await TargetMetrics.filter(target_id=target_id).update(next_poll_at=next_poll)
            if readings:
                publish_after_commit(
                    Event(
                        METRICS_UPDATED,
                        readings[0].workspace_id,
                        {
                            "channel_id": self.channel.id,
                            "post_ids": sorted({row.post_id for row in due})[:100],
                            "targets": len(readings),
                            "collected_at": now.isoformat(),
                        },
                    )
                )
        self.report.read += len(readings)
        self.report.missing += len(missing)


async def _defer(channel_id: int, until: datetime, now: datetime | None) -> datetime:
    """Push the channel's due posts to `until` (a rate limit's reset, a broken token)."""
    await TargetMetrics.filter(channel_id=channel_id, next_poll_at__lte=now or utcnow()).update(
        next_poll_at=until
    )
    return until


async def _stop_polling(channel_id: int) -> None:
    await TargetMetrics.filter(channel_id=channel_id, next_poll_at__not_isnull=True).update(
        next_poll_at=None
    )
