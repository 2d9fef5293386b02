import json
from datetime import UTC, datetime, timedelta

import pytest

from domain import outbound as urls
from domain.content import history
from domain.content.models import TargetStatus
from domain.errors import ValidationFailed
from domain.jobs import get_job_pool
from domain.uow import unit_of_work
from domain.webhooks import deliveries, delivery, endpoints
from domain.webhooks.catalog import WebhookEventType
from domain.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from domain.webhooks.outbox import DELIVER_JOB
from domain.webhooks.signing import verify

POST = WebhookEventType.POST_STATUS_CHANGED
DISABLED = WebhookEventType.WEBHOOK_ENDPOINT_DISABLED
T0 = datetime(2027, 5, 1, 8, 0, tzinfo=UTC)


async def owed(hooks, *, count: int = 1) -> list[WebhookDelivery]:
    """A status change in the workspace; returns the deliveries it created."""
    channel = await hooks.channel()
    target = await hooks.due_target(channel)
    before = set(await WebhookDelivery.all().values_list("id", flat=True))
    async with unit_of_work():
        await history.move(target, TargetStatus.DRAFT, actor=hooks.actor, reason="moved")
    rows = await WebhookDelivery.exclude(id__in=before or {0}).order_by("id")
    await WebhookDelivery.filter(id__in=[row.id for row in rows]).update(next_attempt_at=T0)
    assert len(rows) == count
    return rows


async def queued_job_ids() -> set[str]:
    pool = await get_job_pool()
    return {job.job_id for job in await pool.queued_jobs()}


async def test_a_delivery_is_signed_and_sent_once(hooks, receiver):
    issued = await hooks.endpoint(receiver)
    [row] = await owed(hooks)
    assert f"webhook:{row.id}:1" in await queued_job_ids()
    assert await delivery.deliver(row.id, now=T0) == DeliveryStatus.DELIVERED
    assert await delivery.deliver(row.id, now=T0 + timedelta(hours=1)) == DeliveryStatus.DELIVERED
    [sent] = receiver.received
    assert sent["verified"]
    assert sent["headers"]["content-type"] == "application/json"
    assert sent["headers"]["kelola-event"] == "post.status_changed"
    assert sent["headers"]["kelola-delivery"] == str(row.id)
    assert sent["headers"]["kelola-signature"].startswith(f"t={int(T0.timestamp())},v1=")
    assert sent["body"]["id"] == row.event_id and sent["body"]["type"] == "post.status_changed"
    [attempt] = await WebhookAttempt.filter(delivery_id=row.id)
    assert attempt.status_code == 200 and attempt.succeeded and attempt.number == 1
    assert issued.secret not in (attempt.response_snippet or "")
    assert "[redacted]" in attempt.response_snippet


async def test_a_second_worker_cannot_send_the_same_attempt(hooks, receiver):
    await hooks.endpoint(receiver)
    [row] = await owed(hooks)
    claimed = await delivery._claim(row.id, T0)
    assert claimed is not None
    assert await delivery._claim(row.id, T0) is None
    assert await delivery.deliver(row.id, now=T0) == DeliveryStatus.PENDING
    assert receiver.received == []


async def test_failures_are_retried_with_backoff_until_success(hooks, receiver):
    await hooks.endpoint(receiver)
    [row] = await owed(hooks)
    receiver.script.extend([500, "timeout", 503])
    now = T0
    delays = []
    for _ in range(3):
        assert await delivery.deliver(row.id, now=now) == DeliveryStatus.PENDING
        row = await WebhookDelivery.get(id=row.id)
        delays.append((row.next_attempt_at - now).total_seconds())
        assert await delivery.deliver(row.id, now=now + timedelta(seconds=1)) is (
            DeliveryStatus.PENDING
        )  # not yet due: left alone
        now = row.next_attempt_at
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72 and 96 <= delays[2] <= 144
    assert f"webhook:{row.id}:4" in await queued_job_ids()
    assert await delivery.deliver(row.id, now=now) == DeliveryStatus.DELIVERED
    attempts = await WebhookAttempt.filter(delivery_id=row.id).order_by("number")
    assert [(a.number, a.status_code, a.succeeded) for a in attempts] == [
        (1, 500, False),
        (2, None, False),
        (3, 503, False),
        (4, 200, True),
    ]
    assert attempts[1].error == "timed out after 10 s"
    endpoint = await WebhookEndpoint.get(id=row.endpoint_id)
    assert endpoint.failing_since is None and endpoint.enabled


def test_the_retry_delay_doubles_and_is_capped():
    middle = [delivery.retry_delay(n, rng=lambda: 0.5).total_seconds() for n in (1, 2, 3, 12)]
    assert middle == [30, 60, 120, 6 * 3600]
    assert delivery.retry_delay(20, rng=lambda: 0.99).total_seconds() == 6 * 3600


async def test_gives_up_after_three_days_and_disables_the_endpoint(hooks, receiver):
    failing = await hooks.endpoint(receiver, "/failing")
    watcher = await hooks.endpoint(receiver, "/watcher", types=(DISABLED,))
    [row] = await owed(hooks)
    receiver.script.extend([500] * 100)
    now = T0
    while True:
        status = await delivery.deliver(row.id, now=now)
        if status != DeliveryStatus.PENDING:
            break
        row = await WebhookDelivery.get(id=row.id)
        assert row.next_attempt_at <= T0 + timedelta(days=3)
        now = row.next_attempt_at
    assert status == DeliveryStatus.FAILED and now == T0 + timedelta(days=3)
    row = await WebhookDelivery.get(id=row.id)
    assert row.finished_at == now and row.next_attempt_at is None
    assert 15 <= row.attempts <= 30
    endpoint = await WebhookEndpoint.get(id=failing.endpoint.id)
    assert not endpoint.enabled and endpoint.disabled_reason.startswith("Every delivery")
    [notice] = await WebhookDelivery.filter(endpoint_id=watcher.endpoint.id)
    body = json.loads(notice.payload)
    assert body["type"] == "webhook_endpoint.disabled"
    assert body["data"]["reason"] == endpoint.disabled_reason
    # Nothing more goes to the disabled endpoint; redelivery waits for it to be enabled.
    with pytest.raises(ValidationFailed) as refused:
        async with unit_of_work():
            await deliveries.redeliver(hooks.actor, delivery_id=row.id, now=now)
    assert refused.value.problems[0].code == "NOT_ALLOWED"
    async with unit_of_work():
        enabled = await endpoints.update_endpoint(
            hooks.actor, endpoint_id=endpoint.id, enabled=True
        )
    assert enabled.failing_since is None and enabled.consecutive_failures == 0
    assert enabled.disabled_reason is None
    async with unit_of_work():
        again = await deliveries.redeliver(hooks.actor, delivery_id=row.id, now=now)
    assert again.status == DeliveryStatus.PENDING
    assert f"webhook:{row.id}:{row.attempts + 1}:redeliver" in await queued_job_ids()
    receiver.script.clear()
    assert await delivery.deliver(row.id, now=now) == DeliveryStatus.DELIVERED


async def test_n_failed_deliveries_in_a_row_disable_the_endpoint(hooks, receiver):
    issued = await hooks.endpoint(receiver)
    await WebhookEndpoint.filter(id=issued.endpoint.id).update(
        consecutive_failures=delivery.DISABLE_AFTER_FAILED_DELIVERIES - 1
    )
    [row] = await owed(hooks)
    await WebhookDelivery.filter(id=row.id).update(window_started_at=T0 - timedelta(days=3))
    receiver.script.append(500)
    assert await delivery.deliver(row.id, now=T0) == DeliveryStatus.FAILED
    endpoint = await WebhookEndpoint.get(id=issued.endpoint.id)
    assert not endpoint.enabled and "in a row" in endpoint.disabled_reason


async def test_a_disabled_endpoint_gets_nothing(hooks, receiver):
    issued = await hooks.endpoint(receiver)
    [row] = await owed(hooks)
    async with unit_of_work():
        await endpoints.update_endpoint(hooks.actor, endpoint_id=issued.endpoint.id, enabled=False)
    assert await delivery.deliver(row.id, now=T0) == DeliveryStatus.FAILED
    assert receiver.received == []


async def test_the_cron_requeues_lost_jobs(hooks, receiver):
    await hooks.endpoint(receiver)
    [row] = await owed(hooks)
    pool = await get_job_pool()
    await pool.flushdb()  # Redis lost everything
    assert await delivery.enqueue_due(now=T0) == 1
    assert await queued_job_ids() == {f"webhook:{row.id}:1"}
    assert await delivery.enqueue_due(now=T0) == 0  # already queued
    late = T0 + timedelta(minutes=5)
    assert await delivery.enqueue_due(now=late) == 1  # overdue: a fresh id
    # A worker that died mid-attempt: due again once its lease passes.
    assert await delivery._claim(row.id, T0) is not None
    assert await delivery.enqueue_due(now=T0 + timedelta(seconds=1)) == 0
    assert await delivery.deliver(row.id, now=T0 + delivery.CLAIM_LEASE) is (
        DeliveryStatus.DELIVERED
    )
    assert DELIVER_JOB == "webhooks.deliver"


async def test_the_address_is_checked_again_before_sending(hooks, receiver, production):
    async def resolves_to_private(host: str, port: int) -> list[str]:
        return ["10.1.2.3"]

    await WebhookEndpoint.all().delete()
    endpoint = await WebhookEndpoint.create(
        workspace_id=hooks.workspace_id,
        url="https://partner.test/hook",
        event_types=[POST.value],
        secret_encrypted=__import__("domain.secrets").secrets.encrypt("s"),
    )
    [row] = await owed(hooks)
    assert row.endpoint_id == endpoint.id
    urls.resolve_host = resolves_to_private
    try:
        assert await delivery.deliver(row.id, now=T0) == DeliveryStatus.PENDING
    finally:
        urls.resolve_host = urls._system_resolve
    [attempt] = await WebhookAttempt.all()
    assert "internal address" in attempt.error and attempt.status_code is None
    assert receiver.received == []


async def test_after_a_rotation_both_secrets_sign_for_a_day(hooks, receiver):
    issued = await hooks.endpoint(receiver)
    async with unit_of_work():
        rotated = await endpoints.rotate_secret(hooks.actor, endpoint_id=issued.endpoint.id)
    endpoint = await WebhookEndpoint.get(id=issued.endpoint.id)
    assert endpoint.previous_secret_until is not None
    assert issued.secret not in (endpoint.previous_secret_encrypted or "")  # encrypted at rest
    old, new = issued.secret, rotated.secret
    during = datetime.now(UTC) + timedelta(hours=23)
    after = endpoint.previous_secret_until + timedelta(seconds=1)
    [first], [second] = await owed(hooks), await owed(hooks)
    await WebhookDelivery.filter(id__in=[first.id, second.id]).update(
        next_attempt_at=datetime.now(UTC)
    )
    assert await delivery.deliver(first.id, now=during) == DeliveryStatus.DELIVERED
    assert await delivery.deliver(second.id, now=after) == DeliveryStatus.DELIVERED
    [signed_twice, signed_once] = receiver.received
    header = signed_twice["headers"]["kelola-signature"]
    body = json.dumps(signed_twice["body"], separators=(",", ":"), sort_keys=True)
    stamp = int(during.timestamp())
    assert header.count("v1=") == 2
    assert verify(old, header, body, now=stamp) and verify(new, header, body, now=stamp)
    header = signed_once["headers"]["kelola-signature"]
    body = json.dumps(signed_once["body"], separators=(",", ":"), sort_keys=True)
    stamp = int(after.timestamp())
    assert header.count("v1=") == 1
    assert verify(new, header, body, now=stamp) and not verify(old, header, body, now=stamp)
