"""Reading deliveries and their attempts, and asking for a delivery to be sent again."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from domain.errors import ErrorCode, NotFound, Problem, ValidationFailed
from domain.identity.roles import Permission
from domain.jobs import enqueue_after_commit
from domain.pagination import Page, check_page_args
from domain.tenancy import Actor, visible_to, workspace_for
from domain.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from domain.webhooks.outbox import DELIVER_JOB, deliver_job_id


async def list_deliveries(
    actor: Actor,
    workspace_id: int,
    *,
    endpoint_id: int | None = None,
    status: DeliveryStatus | None = None,
    first: int | None,
    after: str | None,
) -> Page[WebhookDelivery]:
    """Deliveries of a workspace, newest first. A foreign or missing endpoint id gives an
    empty list, the same for both."""
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_READ)
    rows = visible_to(actor, WebhookDelivery).filter(workspace_id=workspace.id)
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    if status is not None:
        rows = rows.filter(status=status)
    size, before_id = check_page_args(first, after)
    window = rows.order_by("-id")
    if before_id is not None:
        window = window.filter(id__lt=before_id)
    found = await window.limit(size + 1)
    return Page(found[:size], len(found) > size, before_id is not None, rows)


async def get_delivery(actor: Actor, delivery_id: int) -> WebhookDelivery | None:
    delivery = await visible_to(actor, WebhookDelivery).get_or_none(id=delivery_id)
    if delivery and Permission.WORKSPACE_READ in await actor.permissions_in(delivery.workspace_id):
        return delivery
    return None


async def attempts_by_delivery(actor: Actor, delivery_ids: list[int]) -> list[list[WebhookAttempt]]:
    """Each delivery's attempts in order, in one statement (a DataLoader's batch)."""
    found: dict[int, list[WebhookAttempt]] = defaultdict(list)
    rows = visible_to(actor, WebhookAttempt).filter(delivery_id__in=list(set(delivery_ids)))
    for attempt in await rows.order_by("delivery_id", "number", "id"):
        found[attempt.delivery_id].append(attempt)
    return [found.get(delivery_id, []) for delivery_id in delivery_ids]


async def redeliver(
    actor: Actor, *, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Schedule a new attempt now, whatever the delivery's status (DELIVERED and FAILED
    ones too), with a fresh retry window. Refused while the endpoint is disabled: enable
    it first (which also clears its failure state)."""
    now = now or datetime.now(UTC)
    delivery = await (
        visible_to(actor, WebhookDelivery).get_or_none(id=delivery_id).select_related("endpoint")
    )
    if delivery is None:
        raise NotFound("webhook delivery", field="deliveryId")
    await actor.require(delivery.workspace_id, Permission.WORKSPACE_UPDATE)
    if not delivery.endpoint.enabled:
        raise ValidationFailed(
            [
                Problem(
                    "deliveryId",
                    ErrorCode.NOT_ALLOWED,
                    "The endpoint is disabled: enable it before redelivering",
                )
            ]
        )
    await WebhookDelivery.filter(id=delivery.id).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        window_started_at=None,
        finished_at=None,
        claim_token=None,
    )
    enqueue_after_commit(
        DELIVER_JOB,
        delivery.id,
        job_id=deliver_job_id(delivery.id, delivery.attempts + 1, ":redeliver"),
    )
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
    delivery.window_started_at = delivery.finished_at = delivery.claim_token = None
    return delivery
