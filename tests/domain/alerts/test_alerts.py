import asyncio
from datetime import UTC, datetime, timedelta

from domain.alerts.evaluation import evaluate
from domain.alerts.models import Alert, AlertEvent, AlertMention, AlertRule, AlertStatus, RuleKind
from domain.alerts.service import acknowledge, resolve
from domain.alerts.stream import alert_events
from domain.listening.collection import search
from domain.listening.models import Mention
from domain.uow import unit_of_work
from tests.domain.alerts.support import mention, watched_world


async def test_one_incident_raises_one_alert_that_grows():
    world, query, rule = await watched_world(cooldown_minutes=30)
    now = datetime.now(UTC)
    first = [
        await mention(query, 1, "Pelayanannya lambat sekali"),
        await mention(query, 2, "enak"),
    ]
    async with unit_of_work():
        assert await evaluate(query, first, now) == 1
    async with unit_of_work():
        await evaluate(query, [await mention(query, 3, "lambat lagi")], now + timedelta(minutes=5))
    [alert] = await Alert.all()
    assert alert.status == AlertStatus.OPEN and alert.mentions_count == 2
    kinds = [e.kind.value for e in await AlertEvent.all().order_by("id")]
    assert kinds == ["OPENED", "UPDATED"]
    # After the cooldown a new incident is a new alert.
    async with unit_of_work():
        await evaluate(query, [await mention(query, 4, "lambat")], now + timedelta(hours=2))
    assert await Alert.all().count() == 2


async def test_negative_reach_share_and_spike_rules():
    world, query, reach_rule = await watched_world(
        kind=RuleKind.INFLUENTIAL_NEGATIVE, min_reach=10_000
    )
    await AlertRule.create(
        workspace_id=world.workspace_id,
        query_id=query.id,
        name="share",
        kind=RuleKind.NEGATIVE_SHARE,
        threshold=0.5,
        min_mentions=4,
        window_minutes=60,
    )
    await AlertRule.create(
        workspace_id=world.workspace_id,
        query_id=query.id,
        name="spike",
        kind=RuleKind.VOLUME_SPIKE,
        threshold=3,
        min_mentions=5,
        window_minutes=60,
    )
    arrivals = [await mention(query, 1, "buruk", "NEGATIVE", reach=50_000)]
    arrivals += [await mention(query, i, "parah", "NEGATIVE") for i in range(2, 5)]
    now = datetime.now(UTC)
    async with unit_of_work():
        await evaluate(query, arrivals, now)
    names = sorted([(await a.rule).name for a in await Alert.all()])
    assert names == ["Rule", "share"]  # 4 mentions: not yet a spike (min 5)
    reach_alert = await Alert.get(rule_id=reach_rule.id)
    assert await AlertMention.filter(alert_id=reach_alert.id).count() == 1
    arrivals = [await mention(query, i, "ok", "NEUTRAL") for i in range(5, 9)]
    async with unit_of_work():
        await evaluate(query, arrivals, datetime.now(UTC))
    assert "spike" in [(await a.rule).name for a in await Alert.all()]


async def test_collection_raises_alerts_in_the_same_transaction():
    world, query, rule = await watched_world(terms=["lambat", "not impressed"])
    channel = await world.channel()
    await search(query.id, channel.id, datetime.now(UTC))
    [alert] = await Alert.all()
    watched = await Mention.filter(query_id=query.id).all()
    expected = [
        m for m in watched if "lambat" in m.text.lower() or "not impressed" in m.text.lower()
    ]
    assert alert.mentions_count == len(expected) > 0


async def test_lifecycle_and_replay_from_a_cursor():
    world, query, rule = await watched_world()
    now = datetime.now(UTC)
    async with unit_of_work():
        await evaluate(query, [await mention(query, 1, "lambat")], now)
    [alert] = await Alert.all()
    async with unit_of_work():
        await acknowledge(world.actor, alert_id=alert.id)
    [opened, acked] = await AlertEvent.all().order_by("id")
    received = []

    async def consume():
        async for event in alert_events(world.actor, world.workspace_id, opened.id):
            received.append(event.event.kind.value)
            if len(received) == 2:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)  # the acknowledged event is replayed; resolving arrives live
    async with unit_of_work():
        await resolve(world.actor, alert_id=alert.id)
    await asyncio.wait_for(task, 5)
    assert received == ["ACKNOWLEDGED", "RESOLVED"]
    assert (await Alert.get(id=alert.id)).resolved_by_id == world.actor.user_id
