"""Results of identity mutations: the object, or the errors that stopped it."""

from __future__ import annotations

import strawberry

from api.errors import UserError
from api.identity.types import ApiKey, Invitation, Member, User, Workspace

ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.type(description="A signed-in session, or why signing in failed.")
class AuthPayload:
    user: User | None = strawberry.field(default=None, description="The signed-in user.")
    access_token: str | None = strawberry.field(
        default=None, description="A short-lived JWT for `Authorization: Bearer …`."
    )
    access_token_expires_in: int | None = strawberry.field(
        default=None, description="Seconds until the access token expires."
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="Single-use token for `tokenRefresh`; reusing an old one ends the session.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `logout`.")
class LogoutPayload:
    ok: bool = strawberry.field(default=False, description="Whether the session was ended.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `workspaceCreate`.")
class WorkspaceCreatePayload:
    workspace: Workspace | None = strawberry.field(default=None, description="The new workspace.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `memberInvite`.")
class MemberInvitePayload:
    invitation: Invitation | None = strawberry.field(default=None, description="The invitation.")
    token: str | None = strawberry.field(
        default=None, description="Send this to the invitee; it is shown only once."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `invitationAccept` and `memberRoleUpdate`.")
class MemberPayload:
    member: Member | None = strawberry.field(default=None, description="The membership.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `apiKeyCreate`.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The new key.")
    secret: str | None = strawberry.field(
        default=None, description="The full key to give the partner; shown only this once."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `apiKeyRevoke`.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The revoked key.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `memberRemove`.")
class MemberRemovePayload:
    removed_member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the membership that no longer exists."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
