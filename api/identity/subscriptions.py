"""Live identity events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.identity.types import Role
from api.ids import parse_id, to_global_id
from api.streams import until_revoked
from domain.identity.members import MEMBER_CHANGED, MemberAction
from domain.identity.roles import Permission
from domain.streams import workspace_events
from domain.tenancy import workspace_for

MemberActionEnum = strawberry.enum(
    MemberAction, name="MemberAction", description="What happened to a membership."
)


@strawberry.type(description="A membership changed in a workspace.")
class MemberChangedEvent:
    action: MemberActionEnum = strawberry.field(description="What happened.")
    member_id: strawberry.ID = strawberry.field(description="The membership's id.")
    user_id: strawberry.ID = strawberry.field(description="The member's user id.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace's id.")
    role: Role = strawberry.field(description="The role after the change (before, on removal).")
    occurred_at: datetime = strawberry.field(description="When it happened.")


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Members joining, changing role or leaving a workspace, from any API process."
    )
    async def member_changed(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[MemberChangedEvent, None]:
        actor = info.context.actor
        workspace = await workspace_for(
            actor, parse_id(workspace_id, "Workspace", "workspaceId"), Permission.MEMBERS_READ
        )
        async for event in until_revoked(
            info, workspace_events(actor, workspace.id, Permission.MEMBERS_READ, {MEMBER_CHANGED})
        ):
            yield MemberChangedEvent(
                action=MemberAction(event.data["action"]),
                member_id=strawberry.ID(to_global_id("Member", event.data["member_id"])),
                user_id=strawberry.ID(to_global_id("User", event.data["user_id"])),
                workspace_id=strawberry.ID(to_global_id("Workspace", event.workspace_id)),
                role=event.data["role"],
                occurred_at=event.occurred_at,
            )
