from datetime import UTC, datetime, timedelta

import pytest

from domain.analytics.cadence import current_cadence, parse_cadence
from domain.analytics.collection import enroll_published, poll_channel
from domain.analytics.models import MetricSnapshot, TargetMetrics, TargetTag
from domain.analytics.polling import metrics_round
from domain.platforms.base import RateLimited
from domain.platforms.sandbox.provider import SandboxProvider
from tests.helpers import QueryCounter


def test_cadence_by_age():
    cadence = parse_cadence("1d:15m,7d:1h,30d:1d")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert cadence.next_poll(now - timedelta(hours=2), now) == now + timedelta(minutes=15)
    assert cadence.next_poll(now - timedelta(days=3), now) == now + timedelta(hours=1)
    assert cadence.next_poll(now - timedelta(days=10), now) == now + timedelta(days=1)
    assert cadence.next_poll(now - timedelta(days=30), now) is None
    assert cadence.bucket_of(now + timedelta(minutes=14, seconds=59)) == now
    for bad in ("", "1d", "7d:1h,1d:15m", "1w:1h", "1d:0m"):
        with pytest.raises(ValueError):
            parse_cadence(bad)


async def test_a_round_enrolls_and_reads_each_post_once_per_bucket(world):
    channel = await world.channel()
    fresh = await world.published(channel, age=timedelta(hours=2), tags=["promo", "promo", "kopi"])
    old = await world.published(channel, age=timedelta(days=3))
    await world.published(channel, age=timedelta(days=31))  # past the polling age
    assert await enroll_published() == 2
    assert await enroll_published() == 0
    assert sorted(await TargetTag.all().values_list("tag", flat=True)) == ["kopi", "promo"]

    now = datetime.now(UTC)
    report = await poll_channel(channel.id, now)
    assert report.read == 2 and report.missing == 0
    assert await MetricSnapshot.all().count() == 2
    rollup = await TargetMetrics.get(target_id=fresh.id)
    snapshot = await MetricSnapshot.get(target_id=fresh.id)
    assert rollup.likes == snapshot.likes and rollup.impressions == snapshot.impressions > 0
    assert rollup.polls == 1 and rollup.next_poll_at == now + timedelta(minutes=15)
    assert (await TargetMetrics.get(target_id=old.id)).next_poll_at == now + timedelta(hours=1)
    # The sandbox reports no clicks for a post without a link: null, never 0.
    assert snapshot.clicks is None and rollup.clicks is None

    # Due again in the same bucket (a retried job): nothing new is written.
    await TargetMetrics.all().update(next_poll_at=now)
    again = await poll_channel(channel.id, now + timedelta(seconds=30))
    assert again.read == 2
    assert await MetricSnapshot.all().count() == 2
    later = now + current_cadence().bucket
    await TargetMetrics.all().update(next_poll_at=later)
    await poll_channel(channel.id, later)
    assert await MetricSnapshot.filter(target_id=fresh.id).count() == 2


async def test_reading_costs_the_same_statements_for_few_or_many_posts(world):
    small, large = await world.channel(), await world.channel()
    for _ in range(2):
        await world.published(small)
    for _ in range(12):
        await world.published(large)
    await enroll_published()
    now = datetime.now(UTC)
    with QueryCounter().count() as few:
        await poll_channel(small.id, now)
    with QueryCounter().count() as many:
        await poll_channel(large.id, now)
    assert len(few) == len(many)
    assert await MetricSnapshot.all().count() == 14


async def test_a_rate_limited_channel_waits_for_the_reset(world, monkeypatch):
    channel = await world.channel()
    target = await world.published(channel)
    await enroll_published()
    reset = datetime.now(UTC) + timedelta(minutes=7)

    async def limited(self, credentials, ids):
        raise RateLimited("slow down", retry_at=reset)

    monkeypatch.setattr(SandboxProvider, "fetch_metrics", limited)
    report = await poll_channel(channel.id, datetime.now(UTC))
    assert report.deferred_until == reset and report.read == 0
    assert (await TargetMetrics.get(target_id=target.id)).next_poll_at == reset
    assert await MetricSnapshot.all().count() == 0


async def test_the_round_asks_for_one_job_per_due_channel(world):
    first, second = await world.channel(), await world.channel()
    await world.published(first, age=timedelta(days=2))
    await world.published(first, age=timedelta(days=2))
    await world.published(second, age=timedelta(days=2))
    assert await metrics_round() == 2


async def test_stored_readings_are_announced_after_commit(world):
    import asyncio

    from domain.analytics.collection import METRICS_UPDATED
    from domain.events import listen

    channel = await world.channel()
    target = await world.published(channel)
    await enroll_published()
    events = listen([world.workspace_id], {METRICS_UPDATED})
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.2)  # subscribed before the readings are stored
    await poll_channel(channel.id, datetime.now(UTC))
    event = await asyncio.wait_for(first, timeout=5)
    assert event.data["channel_id"] == channel.id
    assert event.data["post_ids"] == [target.post_id] and event.data["targets"] == 1
    await events.aclose()
