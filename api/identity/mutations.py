"""Identity mutations: translate the input, call one domain function, translate the result."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.errors import user_errors
from api.identity.inputs import (
    ApiKeyCreateInput,
    ApiKeyRevokeInput,
    InvitationAcceptInput,
    LoginInput,
    LogoutInput,
    MemberInviteInput,
    MemberRemoveInput,
    MemberRoleUpdateInput,
    RegisterInput,
    TokenRefreshInput,
    WorkspaceCreateInput,
)
from api.identity.payloads import (
    ApiKeyCreatePayload,
    ApiKeyRevokePayload,
    AuthPayload,
    LogoutPayload,
    MemberInvitePayload,
    MemberPayload,
    MemberRemovePayload,
    WorkspaceCreatePayload,
)
from api.identity.types import ApiKey, Invitation, Member, User, Workspace
from api.ids import parse_id, to_global_id
from domain.errors import DomainError
from domain.identity import api_keys, members, sessions, workspaces
from domain.identity.sessions import RefreshTokenReused, Session
from domain.uow import unit_of_work

INPUT = "The fields of this mutation."


def _auth_payload(session: Session) -> AuthPayload:
    return AuthPayload(
        user=User.from_model(session.user),
        access_token=session.access_token,
        access_token_expires_in=session.access_token_expires_in,
        refresh_token=session.refresh_token,
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(
        self, input: Annotated[RegisterInput, strawberry.argument(description=INPUT)]
    ) -> AuthPayload:
        try:
            async with unit_of_work():
                session = await sessions.register(
                    email=input.email, password=input.password, name=input.name
                )
        except DomainError as error:
            return AuthPayload(errors=user_errors(error))
        return _auth_payload(session)

    @strawberry.mutation(description="Sign in with email and password.")
    async def login(
        self, input: Annotated[LoginInput, strawberry.argument(description=INPUT)]
    ) -> AuthPayload:
        try:
            async with unit_of_work():
                session = await sessions.login(email=input.email, password=input.password)
        except DomainError as error:
            return AuthPayload(errors=user_errors(error))
        return _auth_payload(session)

    @strawberry.mutation(
        description="Exchange a refresh token for a new access and refresh token (rotation)."
    )
    async def token_refresh(
        self, input: Annotated[TokenRefreshInput, strawberry.argument(description=INPUT)]
    ) -> AuthPayload:
        try:
            async with unit_of_work():
                session = await sessions.refresh(refresh_token=input.refresh_token)
        except RefreshTokenReused as reuse:
            async with unit_of_work():
                await sessions.revoke_family(reuse.family)
            return AuthPayload(errors=user_errors(reuse))
        except DomainError as error:
            return AuthPayload(errors=user_errors(error))
        return _auth_payload(session)

    @strawberry.mutation(description="End the session a refresh token belongs to.")
    async def logout(
        self, info: Info, input: Annotated[LogoutInput, strawberry.argument(description=INPUT)]
    ) -> LogoutPayload:
        try:
            async with unit_of_work():
                await sessions.logout(
                    refresh_token=input.refresh_token, user_id=info.context.actor.user_id
                )
        except DomainError as error:
            return LogoutPayload(errors=user_errors(error))
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Create a workspace owned by the caller.")
    async def workspace_create(
        self,
        info: Info,
        input: Annotated[WorkspaceCreateInput, strawberry.argument(description=INPUT)],
    ) -> WorkspaceCreatePayload:
        try:
            async with unit_of_work():
                workspace = await workspaces.create_workspace(
                    info.context.actor, name=input.name, timezone=input.timezone
                )
        except DomainError as error:
            return WorkspaceCreatePayload(errors=user_errors(error))
        return WorkspaceCreatePayload(workspace=Workspace.from_model(workspace))

    @strawberry.mutation(description="Invite a person by email; returns a one-time token.")
    async def member_invite(
        self,
        info: Info,
        input: Annotated[MemberInviteInput, strawberry.argument(description=INPUT)],
    ) -> MemberInvitePayload:
        try:
            async with unit_of_work():
                issued = await members.invite_member(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    email=input.email,
                    role=input.role,
                )
        except DomainError as error:
            return MemberInvitePayload(errors=user_errors(error))
        return MemberInvitePayload(
            invitation=Invitation.from_model(issued.invitation), token=issued.token
        )

    @strawberry.mutation(description="Join a workspace with an invitation token.")
    async def invitation_accept(
        self,
        info: Info,
        input: Annotated[InvitationAcceptInput, strawberry.argument(description=INPUT)],
    ) -> MemberPayload:
        try:
            async with unit_of_work():
                member = await members.accept_invitation(info.context.actor, token=input.token)
        except DomainError as error:
            return MemberPayload(errors=user_errors(error))
        return MemberPayload(member=Member.from_model(member))

    @strawberry.mutation(description="Change a member's role.")
    async def member_role_update(
        self,
        info: Info,
        input: Annotated[MemberRoleUpdateInput, strawberry.argument(description=INPUT)],
    ) -> MemberPayload:
        try:
            async with unit_of_work():
                member = await members.update_member_role(
                    info.context.actor,
                    member_id=parse_id(input.member_id, "Member", "memberId"),
                    role=input.role,
                )
        except DomainError as error:
            return MemberPayload(errors=user_errors(error))
        return MemberPayload(member=Member.from_model(member))

    @strawberry.mutation(description="Remove a member from a workspace, or leave it yourself.")
    async def member_remove(
        self,
        info: Info,
        input: Annotated[MemberRemoveInput, strawberry.argument(description=INPUT)],
    ) -> MemberRemovePayload:
        try:
            async with unit_of_work():
                member = await members.remove_member(
                    info.context.actor, member_id=parse_id(input.member_id, "Member", "memberId")
                )
        except DomainError as error:
            return MemberRemovePayload(errors=user_errors(error))
        return MemberRemovePayload(
            removed_member_id=strawberry.ID(to_global_id("Member", member.id))
        )

    @strawberry.mutation(description="Create an API key; its secret is returned only here.")
    async def api_key_create(
        self,
        info: Info,
        input: Annotated[ApiKeyCreateInput, strawberry.argument(description=INPUT)],
    ) -> ApiKeyCreatePayload:
        try:
            async with unit_of_work():
                issued = await api_keys.create_api_key(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    name=input.name,
                    scopes=list(input.scopes),
                    expires_at=input.expires_at,
                )
        except DomainError as error:
            return ApiKeyCreatePayload(errors=user_errors(error))
        return ApiKeyCreatePayload(api_key=ApiKey.from_model(issued.api_key), secret=issued.secret)

    @strawberry.mutation(description="Revoke an API key; it stops working at once.")
    async def api_key_revoke(
        self,
        info: Info,
        input: Annotated[ApiKeyRevokeInput, strawberry.argument(description=INPUT)],
    ) -> ApiKeyRevokePayload:
        try:
            async with unit_of_work():
                api_key = await api_keys.revoke_api_key(
                    info.context.actor, api_key_id=parse_id(input.api_key_id, "ApiKey", "apiKeyId")
                )
        except DomainError as error:
            return ApiKeyRevokePayload(errors=user_errors(error))
        return ApiKeyRevokePayload(api_key=ApiKey.from_model(api_key))
