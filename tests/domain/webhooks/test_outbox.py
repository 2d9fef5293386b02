import json
from datetime import date

import pytest

from domain.analytics.models import Report, ReportFrequency, ReportStatus
from domain.analytics.report_build import fail_report
from domain.content.models import PostTarget, TargetStatus
from domain.publishing.dispatcher import dispatch_due
from domain.publishing.publisher import publish_target
from domain.uow import unit_of_work
from domain.webhooks import endpoints
from domain.webhooks.catalog import WebhookEventType, global_id
from domain.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.domain.webhooks.conftest import make_hooks

POST = WebhookEventType.POST_STATUS_CHANGED
REPORT = WebhookEventType.REPORT_READY


async def test_a_status_change_owes_one_delivery_per_subscribed_endpoint(hooks):
    wanted = await hooks.endpoint(types=(POST,))
    await hooks.endpoint(types=(REPORT,))
    disabled = await hooks.endpoint(types=(POST,))
    async with unit_of_work():
        await endpoints.update_endpoint(
            hooks.actor, endpoint_id=disabled.endpoint.id, enabled=False
        )
    other = await make_hooks("other@example.com")
    await other.endpoint(types=(POST,))

    channel = await hooks.channel()
    target = await hooks.due_target(channel, "Kopi")
    await publish_target(target.id)

    rows = await WebhookDelivery.all().order_by("id")
    assert {row.endpoint_id for row in rows} == {wanted.endpoint.id}
    assert len(rows) == 2  # SCHEDULED -> PUBLISHING -> PUBLISHED
    bodies = [json.loads(row.payload) for row in rows]
    assert [body["data"]["status"] for body in bodies] == ["PUBLISHING", "PUBLISHED"]
    first = bodies[0]
    assert first["type"] == "post.status_changed"
    assert first["workspaceId"] == global_id("Workspace", hooks.workspace_id)
    assert first["data"]["postId"] == global_id("Post", target.post_id)
    assert first["data"]["channelId"] == global_id("Channel", channel.id)
    assert set(first) == {"id", "type", "workspaceId", "occurredAt", "data"}
    assert all(row.status == DeliveryStatus.PENDING and row.attempts == 0 for row in rows)
    assert "token" not in rows[0].payload.lower()


async def test_the_dispatcher_records_deliveries_for_a_burst(hooks):
    await hooks.endpoint(types=(POST,))
    channel = await hooks.channel()
    for n in range(3):
        await hooks.due_target(channel, f"post {n}")
    await dispatch_due()
    assert await WebhookDelivery.all().count() == 6
    assert await PostTarget.filter(status=TargetStatus.PUBLISHED).count() == 3


async def test_a_rollback_writes_no_delivery(hooks):
    await hooks.endpoint(types=(POST,))
    channel = await hooks.channel()
    target = await hooks.due_target(channel)
    from domain.content import history

    with pytest.raises(RuntimeError):
        async with unit_of_work():
            await history.move(target, TargetStatus.DRAFT, actor=hooks.actor, reason="x")
            assert await WebhookDelivery.all().count() == 1
            raise RuntimeError("boom")
    assert await WebhookDelivery.all().count() == 0


async def test_a_failed_report_is_announced_to_report_subscribers(hooks):
    await hooks.endpoint(types=(REPORT,))
    report = await Report.create(
        workspace_id=hooks.workspace_id,
        name="Weekly",
        status=ReportStatus.PENDING,
        frequency=ReportFrequency.ONCE,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 1, 31),
    )
    assert await fail_report(report.id, "nope")
    [row] = await WebhookDelivery.all()
    assert row.event_type == "report.ready"
    assert '"status":"FAILED"' in row.payload
