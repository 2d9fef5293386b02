"""Identity queries and the `node(id)` resolvers of identity types."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.identity.types import After, ApiKey, First, Invitation, Member, User, Workspace
from api.ids import from_global_id
from api.node import node_resolver, node_type
from api.pagination import Connection
from domain.identity import members as members_service
from domain.identity import workspaces as workspaces_service
from domain.identity.api_keys import get_api_key
from domain.identity.members import get_invitation
from domain.identity.queries import users_by_ids


@node_resolver("User")
async def _user_node(info: Info, pk: int) -> User | None:
    if pk != info.context.actor.user_id:
        return None
    [user] = await users_by_ids([pk])
    return User.from_model(user) if user else None


node_type("Workspace", workspaces_service.get_workspace, Workspace.from_model)
node_type("Member", members_service.get_member, Member.from_model)
node_type("Invitation", get_invitation, Invitation.from_model)
node_type("ApiKey", get_api_key, ApiKey.from_model)


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in user; null for an API key or anonymous caller.")
    async def me(self, info: Info) -> User | None:
        actor = info.context.actor
        if actor.user_id is None:
            return None
        [user] = await users_by_ids([actor.user_id])
        return User.from_model(user) if user else None

    @strawberry.field(description="A workspace the caller belongs to; null if not found.")
    async def workspace(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The workspace's id.")],
    ) -> Workspace | None:
        info.context.actor.require_authenticated()
        decoded = from_global_id(id)
        if decoded is None or decoded[0] != "Workspace":
            return None
        workspace = await workspaces_service.get_workspace(info.context.actor, decoded[1])
        return Workspace.from_model(workspace) if workspace else None

    @strawberry.field(description="Workspaces the caller belongs to, oldest first.")
    async def workspaces(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Workspace]:
        page = await workspaces_service.list_workspaces(
            info.context.actor, first=first, after=after
        )
        return Connection.from_page(page, Workspace.from_model)
