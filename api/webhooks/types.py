"""GraphQL types of webhooks: endpoints, deliveries and their attempts. No signing secret
is ever a field here: it is returned once, by the mutation that makes it."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.ids import to_global_id
from api.node import Node
from domain.webhooks import deliveries as deliveries_service
from domain.webhooks import models
from domain.webhooks.catalog import WebhookEventType as DomainWebhookEventType
from domain.webhooks.models import DeliveryStatus as DomainDeliveryStatus

WebhookEventType = strawberry.enum(
    DomainWebhookEventType,
    name="WebhookEventType",
    description=(
        "An event a webhook endpoint can subscribe to. The body's `type` is the lower-case "
        "dotted form: `post.status_changed`, `report.ready`, `webhook_endpoint.disabled`, "
        "`alert.opened`, `alert.updated`, `alert.acknowledged`, `alert.resolved`."
    ),
)
WebhookDeliveryStatus = strawberry.enum(
    DomainDeliveryStatus,
    name="WebhookDeliveryStatus",
    description=(
        "PENDING: waiting for its next attempt; DELIVERED: the endpoint answered 2xx; FAILED: "
        "no attempt succeeded within 3 days of the first one (or the endpoint was disabled)."
    ),
)


@strawberry.type(
    description="A partner URL receiving signed POSTs for the events it subscribes to."
)
class WebhookEndpoint(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this endpoint.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str = strawberry.field(description="What it is for.")
    event_types: list[WebhookEventType] = strawberry.field(  # type: ignore[valid-type]
        description="The events it receives."
    )
    enabled: bool = strawberry.field(
        description="Whether it receives deliveries; false once disabled by hand or after "
        "its deliveries kept failing."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(description="Why it was disabled.")
    created_at: datetime = strawberry.field(description="When it was created.")
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="After `webhookEndpointRotateSecret`: until when the replaced secret also "
        "signs (a second `v1` in `Kelola-Signature`)."
    )

    @classmethod
    def from_model(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)),
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            url=row.url,
            description=row.description,
            event_types=[DomainWebhookEventType(kind) for kind in row.event_types],
            enabled=row.enabled,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
            previous_secret_valid_until=row.previous_secret_until,
        )


@strawberry.type(description="One POST of a delivery to its endpoint.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first attempt, then 2, 3…")
    started_at: datetime = strawberry.field(description="When it was made.")
    duration_ms: int = strawberry.field(description="How long the request took.")
    status_code: int | None = strawberry.field(
        description="The HTTP status the endpoint answered; null if none came back."
    )
    succeeded: bool = strawberry.field(description="Whether the endpoint answered 2xx.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    response_snippet: str | None = strawberry.field(
        description="The start of the endpoint's answer (at most 200 characters)."
    )

    @classmethod
    def from_model(cls, row: models.WebhookAttempt) -> WebhookAttempt:
        return cls(
            number=row.number,
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            status_code=row.status_code,
            succeeded=row.succeeded,
            error=row.error,
            response_snippet=row.response_snippet,
        )


@strawberry.type(description="One event owed to one endpoint, with every attempt made.")
class WebhookDelivery(Node):
    id: strawberry.ID = strawberry.field(
        description="The global id of this delivery (the `Kelola-Delivery` header carries "
        "its numeric part)."
    )
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint it is for.")
    event_id: str = strawberry.field(description="The `id` of the body: the same on every try.")
    event_type: WebhookEventType = strawberry.field(  # type: ignore[valid-type]
        description="What happened."
    )
    body: str = strawberry.field(description="The exact JSON body that is POSTed and signed.")
    status: WebhookDeliveryStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands."
    )
    attempt_count: int = strawberry.field(description="How many attempts were made.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due, while PENDING."
    )
    last_status_code: int | None = strawberry.field(description="The last HTTP status.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    delivered_at: datetime | None = strawberry.field(description="When it was delivered.")
    finished_at: datetime | None = strawberry.field(
        description="When it became DELIVERED or FAILED."
    )
    created_at: datetime = strawberry.field(description="When the event happened.")
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            endpoint_id=strawberry.ID(to_global_id("WebhookEndpoint", row.endpoint_id)),
            event_id=row.event_id,
            event_type=DomainWebhookEventType(row.event_type),
            body=row.payload,
            status=DomainDeliveryStatus(row.status),
            attempt_count=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            finished_at=row.finished_at,
            created_at=row.created_at,
            pk=row.id,
        )

    @strawberry.field(description="Every attempt, oldest first.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        loader = info.context.loaders.scoped(deliveries_service.attempts_by_delivery)
        return [WebhookAttempt.from_model(row) for row in await loader.load(self.pk)]
