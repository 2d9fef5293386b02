"""Inputs of identity mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.identity.types import ApiKeyScope, Role


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; must be unused.")
    password: str = strawberry.field(description="At least 10 characters.")
    name: str = strawberry.field(description="Display name.")


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str = strawberry.field(description="Sign-in email.")
    password: str = strawberry.field(description="Password.")


@strawberry.input(description="A refresh token to exchange for a new session.")
class TokenRefreshInput:
    refresh_token: str = strawberry.field(description="The latest refresh token of the session.")


@strawberry.input(description="The session to end.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="Any refresh token of the session.")


@strawberry.input(description="A new workspace; the caller becomes its owner.")
class WorkspaceCreateInput:
    name: str = strawberry.field(description="Display name, 1 to 120 characters.")
    timezone: str = strawberry.field(default="UTC", description="IANA timezone, e.g. Asia/Jakarta.")


@strawberry.input(description="Invite someone by email to a workspace.")
class MemberInviteInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace to invite to.")
    email: str = strawberry.field(description="Only the account with this email can accept.")
    role: Role = strawberry.field(description="The role to give on acceptance.")


@strawberry.input(description="Accept an invitation as the signed-in user.")
class InvitationAcceptInput:
    token: str = strawberry.field(description="The token returned by `memberInvite`.")


@strawberry.input(description="Change a member's role.")
class MemberRoleUpdateInput:
    member_id: strawberry.ID = strawberry.field(description="The member to change.")
    role: Role = strawberry.field(description="The new role.")


@strawberry.input(description="Remove a member (or leave, by passing your own membership).")
class MemberRemoveInput:
    member_id: strawberry.ID = strawberry.field(description="The member to remove.")


@strawberry.input(description="A new API key for a partner.")
class ApiKeyCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace the key acts in.")
    name: str = strawberry.field(description="What the key is for.")
    scopes: list[ApiKeyScope] = strawberry.field(description="What the key may do; at least one.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working; never if null."
    )


@strawberry.input(description="The API key to revoke.")
class ApiKeyRevokeInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key to revoke.")
