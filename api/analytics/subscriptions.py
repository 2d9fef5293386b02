"""Live analytics events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.ids import parse_id, to_global_id
from api.streams import until_revoked
from domain.analytics.collection import METRICS_UPDATED
from domain.identity.roles import Permission
from domain.streams import workspace_events
from domain.tenancy import workspace_for


@strawberry.type(description="New metric readings were stored for posts of one channel.")
class MetricsUpdatedEvent:
    channel_id: strawberry.ID = strawberry.field(description="The channel read.")
    post_ids: list[strawberry.ID] = strawberry.field(
        description="Posts with new readings (at most 100 per event)."
    )
    targets: int = strawberry.field(description="How many post-channel readings were stored.")
    collected_at: datetime = strawberry.field(description="When they were read.")


@strawberry.type
class AnalyticsSubscription:
    @strawberry.subscription(
        description="New metric readings in a workspace, as the polling stores them."
    )
    async def metrics_updated(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[MetricsUpdatedEvent, None]:
        actor = info.context.actor
        workspace = await workspace_for(
            actor, parse_id(workspace_id, "Workspace", "workspaceId"), Permission.ANALYTICS_READ
        )
        async for event in until_revoked(
            info,
            workspace_events(actor, workspace.id, Permission.ANALYTICS_READ, {METRICS_UPDATED}),
        ):
            data = event.data
            yield MetricsUpdatedEvent(
                channel_id=strawberry.ID(to_global_id("Channel", data["channel_id"])),
                post_ids=[strawberry.ID(to_global_id("Post", pk)) for pk in data["post_ids"]],
                targets=data["targets"],
                collected_at=datetime.fromisoformat(data["collected_at"]),
            )
