"""Webhook mutations: endpoints (the secret is returned only on creation and rotation)
and redelivery."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.errors import UserError
from api.ids import parse_id, to_global_id
from api.mutations import mutation_payload
from api.webhooks.types import WebhookDelivery, WebhookEndpoint, WebhookEventType
from domain.webhooks import deliveries, endpoints

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."
URL = (
    "An absolute http(s) URL, at most 2,048 characters, without a user name or password. "
    "In production: https only, and not a private, loopback or other internal address."
)


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    url: str = strawberry.field(description=URL)
    event_types: list[WebhookEventType] = strawberry.field(  # type: ignore[valid-type]
        description="The events to receive; at least one."
    )
    description: str = strawberry.field(default="", description="What it is for.")


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class WebhookEndpointUpdateInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description=URL)
    event_types: list[WebhookEventType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The events to receive; at least one."
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")
    enabled: bool | None = strawberry.field(
        default=None,
        description="false stops deliveries; true re-enables a disabled endpoint and clears "
        "its failure state.",
    )


@strawberry.input(description="Which webhook endpoint.")
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="Which delivery to send again.")
class WebhookRedeliverInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery.")


@strawberry.type(description="Result of `webhookEndpointCreate` and `webhookEndpointRotateSecret`.")
class WebhookEndpointSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, shown only this once: verify `Kelola-Signature` "
        '(`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) with it.',
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `webhookEndpointUpdate`.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `webhookEndpointDelete`.")
class WebhookEndpointDeletePayload:
    deleted_endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the deleted endpoint."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `webhookRedeliver`.")
class WebhookRedeliverPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        default=None, description="The delivery, PENDING with an attempt due now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


def _issued(issued) -> dict:
    return {"endpoint": WebhookEndpoint.from_model(issued.endpoint), "secret": issued.secret}


def _endpoint(row) -> dict:
    return {"endpoint": WebhookEndpoint.from_model(row)}


def _endpoint_id(value: strawberry.ID) -> int:
    return parse_id(value, "WebhookEndpoint", "endpointId")


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Create a webhook endpoint; its signing secret is returned only here."
    )
    async def webhook_endpoint_create(
        self,
        info: Info,
        input: Annotated[WebhookEndpointCreateInput, strawberry.argument(description=INPUT)],
    ) -> WebhookEndpointSecretPayload:
        return await mutation_payload(
            lambda: endpoints.create_endpoint(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                url=input.url,
                event_types=list(input.event_types),
                description=input.description,
            ),
            WebhookEndpointSecretPayload,
            _issued,
        )

    @strawberry.mutation(
        description="Change a webhook endpoint's URL, events, description, or enable it again."
    )
    async def webhook_endpoint_update(
        self,
        info: Info,
        input: Annotated[WebhookEndpointUpdateInput, strawberry.argument(description=INPUT)],
    ) -> WebhookEndpointPayload:
        return await mutation_payload(
            lambda: endpoints.update_endpoint(
                info.context.actor,
                endpoint_id=_endpoint_id(input.endpoint_id),
                url=input.url,
                event_types=None if input.event_types is None else list(input.event_types),
                description=input.description,
                enabled=input.enabled,
            ),
            WebhookEndpointPayload,
            _endpoint,
        )

    @strawberry.mutation(
        description="Replace an endpoint's signing secret; the new one is returned only here. "
        "For 24 hours deliveries carry a signature with each secret (two `v1=` in "
        "`Kelola-Signature`), so receivers can switch without rejecting one."
    )
    async def webhook_endpoint_rotate_secret(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description=INPUT)],
    ) -> WebhookEndpointSecretPayload:
        return await mutation_payload(
            lambda: endpoints.rotate_secret(
                info.context.actor, endpoint_id=_endpoint_id(input.endpoint_id)
            ),
            WebhookEndpointSecretPayload,
            _issued,
        )

    @strawberry.mutation(description="Delete a webhook endpoint with its deliveries.")
    async def webhook_endpoint_delete(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description=INPUT)],
    ) -> WebhookEndpointDeletePayload:
        return await mutation_payload(
            lambda: endpoints.delete_endpoint(
                info.context.actor, endpoint_id=_endpoint_id(input.endpoint_id)
            ),
            WebhookEndpointDeletePayload,
            lambda deleted: {
                "deleted_endpoint_id": strawberry.ID(to_global_id("WebhookEndpoint", deleted))
            },
        )

    @strawberry.mutation(
        description="Send a delivery again now (also a DELIVERED or FAILED one), with a fresh "
        "3-day retry window. Refused (NOT_ALLOWED) while its endpoint is disabled."
    )
    async def webhook_redeliver(
        self,
        info: Info,
        input: Annotated[WebhookRedeliverInput, strawberry.argument(description=INPUT)],
    ) -> WebhookRedeliverPayload:
        return await mutation_payload(
            lambda: deliveries.redeliver(
                info.context.actor,
                delivery_id=parse_id(input.delivery_id, "WebhookDelivery", "deliveryId"),
            ),
            WebhookRedeliverPayload,
            lambda row: {"delivery": WebhookDelivery.from_model(row)},
        )
