"""The outbox: a webhook delivery row per subscribed endpoint, written in the transaction
of the change that caused the event, and a delivery job enqueued once it commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from domain.events import Event
from domain.jobs import get_job_pool
from domain.uow import after_commit
from domain.webhooks.catalog import body_of, webhook_type_of
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

DELIVER_JOB = "webhooks.deliver"


def deliver_job_id(delivery_id: int, attempt: int, suffix: str = "") -> str:
    """One id per attempt of a delivery: a retried attempt is a new job, a repeated
    enqueue of the same attempt is refused by arq."""
    return f"webhook:{delivery_id}:{attempt}{suffix}"


async def record_deliveries(events: Sequence[Event], now: datetime | None = None) -> int:
    """Write the deliveries the events owe to the enabled endpoints that subscribe to
    them; one SELECT whatever the number of events, one INSERT if any are owed. Must run
    inside a unit of work (the caller's): the rows commit or roll back with the change."""
    typed = [(event, kind) for event in events if (kind := webhook_type_of(event)) is not None]
    if not typed:
        return 0
    endpoints = await WebhookEndpoint.filter(
        workspace_id__in={event.workspace_id for event, _ in typed}, enabled=True
    ).values("id", "workspace_id", "event_types")
    if not endpoints:
        return 0
    by_workspace: dict[int, list[dict]] = defaultdict(list)
    for endpoint in endpoints:
        by_workspace[endpoint["workspace_id"]].append(endpoint)
    now = now or datetime.now(UTC)
    rows = []
    for event, kind in typed:
        subscribed = [e for e in by_workspace[event.workspace_id] if kind.value in e["event_types"]]
        if not subscribed:
            continue
        body = body_of(event)
        rows.extend(
            WebhookDelivery(
                workspace_id=event.workspace_id,
                endpoint_id=endpoint["id"],
                event_id=event.id,
                event_type=kind.value,
                payload=body,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
            )
            for endpoint in subscribed
        )
    if not rows:
        return 0
    event_ids = sorted({row.event_id for row in rows})

    async def enqueue() -> None:
        ids = await WebhookDelivery.filter(
            event_id__in=event_ids, status=DeliveryStatus.PENDING, attempts=0
        ).values_list("id", flat=True)
        pool = await get_job_pool()
        for delivery_id in ids:
            await pool.enqueue_job(DELIVER_JOB, delivery_id, _job_id=deliver_job_id(delivery_id, 1))

    after_commit(enqueue)  # first: refused outside a unit of work, before anything is written
    await WebhookDelivery.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
