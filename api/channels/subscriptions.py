"""Live channel events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.types import ChannelHealth
from api.ids import parse_id, to_global_id
from api.streams import until_revoked
from domain.channels.service import CHANNEL_HEALTH_CHANGED
from domain.identity.roles import Permission
from domain.streams import workspace_events
from domain.tenancy import workspace_for


@strawberry.type(description="A channel's health changed.")
class ChannelHealthEvent:
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
    health: ChannelHealth = strawberry.field(description="Its new health.")
    reason: str | None = strawberry.field(description="Why, when it is not CONNECTED.")
    occurred_at: datetime = strawberry.field(description="When it changed.")


@strawberry.type
class ChannelSubscription:
    @strawberry.subscription(description="Health changes of every channel in a workspace.")
    async def channel_health_changed(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[ChannelHealthEvent, None]:
        workspace = await workspace_for(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            Permission.WORKSPACE_READ,
        )
        async for event in until_revoked(
            info,
            workspace_events(
                info.context.actor,
                workspace.id,
                Permission.WORKSPACE_READ,
                {CHANNEL_HEALTH_CHANGED},
            ),
        ):
            yield ChannelHealthEvent(
                channel_id=strawberry.ID(to_global_id("Channel", event.data["channel_id"])),
                health=event.data["health"],
                reason=event.data["reason"],
                occurred_at=event.occurred_at,
            )
