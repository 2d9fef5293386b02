"""GraphQL types of identity: users, workspaces, members, invitations, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.ids import to_global_id
from api.node import Node
from api.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection
from domain.identity import api_keys as api_keys_service
from domain.identity import members as members_service
from domain.identity import models
from domain.identity import workspaces as workspaces_service
from domain.identity.roles import ApiKeyScope as DomainApiKeyScope
from domain.identity.roles import Role as DomainRole
from domain.pagination import PageRequest

Role = strawberry.enum(
    DomainRole,
    name="Role",
    description=(
        "What a member may do: OWNER everything; ADMIN all but managing owners; EDITOR "
        "create content; ANALYST read and measure; APPROVER (a client) only review and approve."
    ),
)
ApiKeyScope = strawberry.enum(
    DomainApiKeyScope,
    name="ApiKeyScope",
    description="What a partner's API key may do: READ, WRITE, ALERTS, CONVERSIONS.",
)

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]


@strawberry.type(description="A person who signs in to Kelola.")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this user.")
    email: str = strawberry.field(description="Sign-in email, lower-cased.")
    name: str = strawberry.field(description="Display name.")
    created_at: datetime = strawberry.field(description="When the account was registered.")
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            email=user.email,
            name=user.name,
            created_at=user.created_at,
            pk=user.id,
        )

    @strawberry.field(description="Workspaces this user belongs to, oldest first.")
    async def workspaces(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Workspace]:
        page = await workspaces_service.list_workspaces(
            info.context.actor, first=first, after=after, user_id=self.pk
        )
        return Connection.from_page(page, Workspace.from_model)


@strawberry.type(description="A tenant: a business and everything it manages in Kelola.")
class Workspace(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this workspace.")
    name: str = strawberry.field(description="Display name.")
    timezone: str = strawberry.field(
        description="IANA timezone used for calendars and periods, e.g. Asia/Jakarta."
    )
    created_at: datetime = strawberry.field(description="When the workspace was created.")
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, workspace: models.Workspace) -> Workspace:
        return cls(
            id=strawberry.ID(to_global_id("Workspace", workspace.id)),
            name=workspace.name,
            timezone=workspace.timezone,
            created_at=workspace.created_at,
            pk=workspace.id,
        )

    @strawberry.field(description="The caller's role here; null for an API key.")
    async def viewer_role(self, info: Info) -> Role | None:
        return await info.context.actor.role_in(self.pk)

    @strawberry.field(description="Members of this workspace, oldest first.")
    async def members(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Member]:
        members = info.context.loaders.scoped(members_service.list_members_each)
        page = await members.load(PageRequest(self.pk, first, after))
        return Connection.from_page(page, Member.from_model)

    @strawberry.field(description="Pending invitations (owners and admins only).")
    async def invitations(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Invitation]:
        invitations = info.context.loaders.scoped(members_service.list_invitations_each)
        page = await invitations.load(PageRequest(self.pk, first, after))
        return Connection.from_page(page, Invitation.from_model)

    @strawberry.field(description="API keys of this workspace (owners and admins only).")
    async def api_keys(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[ApiKey]:
        keys = info.context.loaders.scoped(api_keys_service.list_api_keys_each)
        page = await keys.load(PageRequest(self.pk, first, after))
        return Connection.from_page(page, ApiKey.from_model)


@strawberry.type(description="A user's membership of a workspace, with a role.")
class Member(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this membership.")
    role: Role = strawberry.field(description="What this member may do.")
    created_at: datetime = strawberry.field(description="When the user joined.")
    user_pk: strawberry.Private[int]
    workspace_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, member: models.Membership) -> Member:
        return cls(
            id=strawberry.ID(to_global_id("Member", member.id)),
            role=member.role,
            created_at=member.created_at,
            user_pk=member.user_id,
            workspace_pk=member.workspace_id,
        )

    @strawberry.field(description="The member's user account.")
    async def user(self, info: Info) -> User:
        user = await info.context.loaders.users.load(self.user_pk)
        return User.from_model(user)

    @strawberry.field(description="The workspace this membership is of.")
    async def workspace(self, info: Info) -> Workspace:
        workspace = await info.context.loaders.workspaces.load(self.workspace_pk)
        return Workspace.from_model(workspace)


@strawberry.type(description="An invitation to join a workspace, accepted with its token.")
class Invitation(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this invitation.")
    email: str = strawberry.field(description="Who may accept it: the account with this email.")
    role: Role = strawberry.field(description="The role the invitee gets on accepting.")
    expires_at: datetime = strawberry.field(description="After this the token no longer works.")
    created_at: datetime = strawberry.field(description="When it was sent.")

    @classmethod
    def from_model(cls, invitation: models.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(to_global_id("Invitation", invitation.id)),
            email=invitation.email,
            role=invitation.role,
            expires_at=invitation.expires_at,
            created_at=invitation.created_at,
        )


@strawberry.type(description="A partner's key to one workspace. The secret is never shown again.")
class ApiKey(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this key.")
    name: str = strawberry.field(description="What the key is for, e.g. the partner's name.")
    prefix: str = strawberry.field(description="The public part of the key, to recognise it.")
    scopes: list[ApiKeyScope] = strawberry.field(description="What the key may do.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    expires_at: datetime | None = strawberry.field(description="When it stops working, if ever.")
    last_used_at: datetime | None = strawberry.field(
        description="Last authenticated use, to the minute."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_model(cls, api_key: models.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", api_key.id)),
            name=api_key.name,
            prefix=f"klk_{api_key.prefix}",
            scopes=[DomainApiKeyScope(scope) for scope in api_key.scopes],
            created_at=api_key.created_at,
            expires_at=api_key.expires_at,
            last_used_at=api_key.last_used_at,
            revoked_at=api_key.revoked_at,
        )
