"""The per-process alert log tail: one Redis subscription and one log read per wake-up
for any number of followers, replays from the database beyond what it keeps, a lost
pub/sub message only delays, and concurrent transactions cannot commit out of order."""

import asyncio
from datetime import UTC, datetime

from domain.alerts import hub
from domain.alerts.evaluation import evaluate
from domain.alerts.models import Alert, AlertEvent, AlertEventKind
from domain.events import workspace_channel
from domain.redis import get_redis
from domain.uow import unit_of_work
from tests.domain.alerts.support import incident, mention, watched_world


async def _take(workspace_id: int, after: int | None, count: int, started: asyncio.Event):
    """The first `count` event ids a follower receives."""
    got: list[int] = []
    stream = hub.follow(workspace_id, after, lambda *_: False, idle_s=0.1)
    try:
        async for batch in stream:
            started.set()
            got.extend(delivery.event.id for delivery in batch.deliveries)
            if len(got) >= count:
                return got
    finally:
        await stream.aclose()


async def _follow(workspace_id: int, after: int | None, count: int) -> asyncio.Task:
    started = asyncio.Event()
    task = asyncio.create_task(_take(workspace_id, after, count, started))
    await asyncio.wait_for(started.wait(), 5)
    return task


async def test_many_followers_share_one_subscription_and_one_read(queries):
    world, query, _ = await watched_world(cooldown_minutes=0)
    followers = [await _follow(world.workspace_id, None, 1) for _ in range(50)]
    [(_, subscribed)] = await get_redis().pubsub_numsub(workspace_channel(world.workspace_id))
    assert subscribed == 1
    with queries.count() as statements:
        await incident(query, 1)
        received = await asyncio.wait_for(asyncio.gather(*followers), 5)
    [event] = await AlertEvent.all()
    assert received == [[event.id]] * 50
    reads = [s for s in statements if "SELECT" in s and '"alert_events"' in s]
    # The wake-up's read (and at most a periodic one): not one per follower.
    assert 1 <= len(reads) <= 3, reads
    assert hub._tails == {}


async def test_a_cursor_older_than_memory_is_replayed_from_the_log(monkeypatch):
    monkeypatch.setattr(hub, "KEEP", 2)
    world, query, _ = await watched_world(cooldown_minutes=0)
    watcher = await _follow(world.workspace_id, None, 8)
    for index in range(8):
        await incident(query, index)
    seen = await asyncio.wait_for(watcher, 10)
    ids = [event.id for event in await AlertEvent.all().order_by("id")]
    assert seen == ids
    late = await _follow(world.workspace_id, ids[0], 8)
    await incident(query, 99)
    replayed = await asyncio.wait_for(late, 10)
    assert replayed == [*ids[1:], (await AlertEvent.all().order_by("-id").first()).id]


async def test_an_event_nobody_announced_still_arrives():
    world, query, _ = await watched_world()
    await incident(query, 1)
    [alert] = await Alert.all()
    watcher = await _follow(world.workspace_id, None, 1)
    quiet = await AlertEvent.create(  # written without the pub/sub wake-up
        workspace_id=world.workspace_id,
        alert_id=alert.id,
        kind=AlertEventKind.UPDATED,
        created_at=datetime.now(UTC),
    )
    assert await asyncio.wait_for(watcher, hub.WAKE_EVERY_S * 3) == [quiet.id]


async def test_concurrent_alert_transactions_commit_in_id_order():
    world, query, _ = await watched_world(cooldown_minutes=0)
    first = await mention(query, 1, "lambat")
    second = await mention(query, 2, "lambat")
    watcher = await _follow(world.workspace_id, None, 2)
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow():
        async with unit_of_work():
            await evaluate(query, [first], datetime.now(UTC))
            holding.set()
            await release.wait()

    async def quick():
        async with unit_of_work():
            await evaluate(query, [second], datetime.now(UTC))

    slow_task = asyncio.create_task(slow())
    await holding.wait()
    quick_task = asyncio.create_task(quick())
    await asyncio.sleep(0.5)
    assert not quick_task.done()  # waits for the open transaction's events to commit
    release.set()
    await asyncio.wait_for(asyncio.gather(slow_task, quick_task), 10)
    events = await AlertEvent.all().order_by("id")
    assert [link.mention_id for e in events for link in await (await e.alert).links] == [
        first.id,
        second.id,
    ]
    assert await asyncio.wait_for(watcher, 5) == [event.id for event in events]
