"""Webhook queries: endpoints and deliveries of a workspace."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.identity.types import After, First
from api.ids import parse_id
from api.node import node_type
from api.pagination import Connection
from api.webhooks.types import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from domain.webhooks import deliveries, endpoints
from domain.webhooks.models import DeliveryStatus

node_type("WebhookEndpoint", endpoints.get_endpoint, WebhookEndpoint.from_model)
node_type("WebhookDelivery", deliveries.get_delivery, WebhookDelivery.from_model)


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Webhook endpoints of a workspace, oldest first.")
    async def webhook_endpoints(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookEndpoint]:
        page = await endpoints.list_endpoints(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, WebhookEndpoint.from_model)

    @strawberry.field(description="Webhook deliveries of a workspace, newest first.")
    async def webhook_deliveries(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        endpoint_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this endpoint's.")
        ] = None,
        status: Annotated[
            WebhookDeliveryStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only deliveries in this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookDelivery]:
        page = await deliveries.list_deliveries(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            endpoint_id=parse_id(endpoint_id, "WebhookEndpoint", "endpointId")
            if endpoint_id is not None
            else None,
            status=DeliveryStatus(status) if status is not None else None,
            first=first,
            after=after,
        )
        return Connection.from_page(page, WebhookDelivery.from_model)
