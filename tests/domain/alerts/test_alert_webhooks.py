"""Alert events reach partners' webhook endpoints like every other event: one signed
delivery per subscribed endpoint, written in the transaction that raised the alert."""

from datetime import UTC, datetime

import pytest

from domain.alerts.evaluation import evaluate
from domain.alerts.models import Alert, AlertEvent, AlertRule, RuleKind
from domain.alerts.service import acknowledge, resolve
from domain.listening.models import ListeningQuery
from domain.uow import unit_of_work
from domain.webhooks import delivery
from domain.webhooks.catalog import WebhookEventType, global_id
from domain.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.domain.alerts.support import incident, mention

ALERT_TYPES = (
    WebhookEventType.ALERT_OPENED,
    WebhookEventType.ALERT_UPDATED,
    WebhookEventType.ALERT_ACKNOWLEDGED,
    WebhookEventType.ALERT_RESOLVED,
)


async def _watch(hooks) -> tuple[ListeningQuery, AlertRule]:
    query = await ListeningQuery.create(
        workspace_id=hooks.workspace_id, name="Brand", brand_terms=["kopikita"]
    )
    rule = await AlertRule.create(
        workspace_id=hooks.workspace_id,
        query_id=query.id,
        name="Crisis",
        kind=RuleKind.WATCH_TERMS,
        terms=["lambat"],
        cooldown_minutes=60,
    )
    return query, rule


async def test_every_step_of_an_alert_is_a_signed_webhook(hooks, receiver):
    await hooks.endpoint(receiver, types=ALERT_TYPES)
    await hooks.endpoint(path="/posts-only")  # subscribed to post status only
    query, rule = await _watch(hooks)
    await incident(query, 1)
    await incident(query, 2)
    [alert] = await Alert.all()
    async with unit_of_work():
        await acknowledge(hooks.actor, alert_id=alert.id)
    async with unit_of_work():
        await resolve(hooks.actor, alert_id=alert.id)

    rows = await WebhookDelivery.all().order_by("id")
    assert [row.event_type for row in rows] == [
        "alert.opened",
        "alert.updated",
        "alert.acknowledged",
        "alert.resolved",
    ]
    for row in rows:
        assert await delivery.deliver(row.id) == DeliveryStatus.DELIVERED
    assert all(sent["verified"] for sent in receiver.received)
    bodies = [sent["body"] for sent in receiver.received]
    events = await AlertEvent.all().order_by("id")
    assert [body["data"]["cursor"] for body in bodies] == [
        global_id("AlertEvent", event.id) for event in events
    ]
    updated = bodies[1]
    assert updated["type"] == "alert.updated"
    assert updated["workspaceId"] == global_id("Workspace", hooks.workspace_id)
    assert updated["data"] == {
        "cursor": global_id("AlertEvent", events[1].id),
        "alertId": global_id("Alert", alert.id),
        "ruleId": global_id("AlertRule", rule.id),
        "kind": "UPDATED",
        "status": "OPEN",
        "summary": "Crisis: 2 mentions",
        "mentionsCount": 2,
        "firstAt": updated["data"]["firstAt"],
        "lastAt": updated["data"]["lastAt"],
    }
    assert [body["data"]["status"] for body in bodies] == [
        "OPEN",
        "OPEN",
        "ACKNOWLEDGED",
        "RESOLVED",
    ]


async def test_an_alert_rolled_back_owes_no_webhook(hooks):
    await hooks.endpoint(types=ALERT_TYPES)
    query, _ = await _watch(hooks)
    arrival = await mention(query, 1, "lambat")
    with pytest.raises(RuntimeError):
        async with unit_of_work():
            await evaluate(query, [arrival], datetime.now(UTC))
            raise RuntimeError("the mentions were not stored after all")
    assert await WebhookDelivery.all().count() == 0
    assert await AlertEvent.all().count() == 0
