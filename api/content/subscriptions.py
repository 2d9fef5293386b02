"""Live content events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.types import TargetStatus
from api.ids import parse_id, to_global_id
from api.streams import until_revoked
from domain.content.history import TARGET_STATUS_CHANGED
from domain.identity.roles import Permission
from domain.streams import workspace_events
from domain.tenancy import workspace_for


@strawberry.type(description="A target's status changed.")
class PostStatusEvent:
    target_id: strawberry.ID = strawberry.field(description="The target.")
    post_id: strawberry.ID = strawberry.field(description="Its post.")
    channel_id: strawberry.ID = strawberry.field(description="Its channel.")
    status: TargetStatus = strawberry.field(description="The new status.")
    from_status: TargetStatus | None = strawberry.field(description="The status before.")
    reason: str | None = strawberry.field(description="Why.")
    occurred_at: datetime = strawberry.field(description="When.")


@strawberry.type
class ContentSubscription:
    @strawberry.subscription(
        description="Every status change of every target in a workspace, from any process."
    )
    async def post_status_changed(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[PostStatusEvent, None]:
        actor = info.context.actor
        workspace = await workspace_for(
            actor, parse_id(workspace_id, "Workspace", "workspaceId"), Permission.CONTENT_READ
        )
        async for event in until_revoked(
            info,
            workspace_events(actor, workspace.id, Permission.CONTENT_READ, {TARGET_STATUS_CHANGED}),
        ):
            data = event.data
            yield PostStatusEvent(
                target_id=strawberry.ID(to_global_id("PostTarget", data["target_id"])),
                post_id=strawberry.ID(to_global_id("Post", data["post_id"])),
                channel_id=strawberry.ID(to_global_id("Channel", data["channel_id"])),
                status=data["status"],
                from_status=data["from_status"],
                reason=data["reason"],
                occurred_at=event.occurred_at,
            )
