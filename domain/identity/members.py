"""Members of a workspace: invitations, roles and removal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.errors import (
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
    Problem,
    Problems,
    ValidationFailed,
)
from domain.events import Event, publish_after_commit
from domain.identity.models import Invitation, Membership, User
from domain.identity.roles import Permission, Role
from domain.identity.sessions import check_email, normalize_email
from domain.pagination import Page, PageRequest
from domain.secrets import new_token, token_hash
from domain.settings import get_settings
from domain.tenancy import Actor, pages_each, visible_to, workspace_for

MEMBER_CHANGED = "member.changed"


class MemberAction(StrEnum):
    JOINED = "JOINED"
    ROLE_CHANGED = "ROLE_CHANGED"
    REMOVED = "REMOVED"


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its token, which is shown once and stored only as a hash."""

    invitation: Invitation
    token: str


def _member_changed(member: Membership, action: MemberAction) -> None:
    publish_after_commit(
        Event(
            MEMBER_CHANGED,
            member.workspace_id,
            {
                "member_id": member.id,
                "user_id": member.user_id,
                "role": member.role.value,
                "action": action.value,
            },
        )
    )


async def _require_role_change_allowed(actor: Actor, workspace_id: int, *roles: Role) -> None:
    await actor.require(workspace_id, Permission.MEMBERS_MANAGE)
    if Role.OWNER in roles:
        await actor.require(workspace_id, Permission.OWNERS_MANAGE)


async def invite_member(
    actor: Actor, *, workspace_id: int, email: str, role: Role
) -> IssuedInvitation:
    actor.require_user()
    workspace = await workspace_for(actor, workspace_id, Permission.MEMBERS_MANAGE)
    await _require_role_change_allowed(actor, workspace.id, role)
    email = normalize_email(email)
    problems = Problems()
    check_email(problems, email)
    problems.raise_if_any()
    if await Membership.exists(workspace_id=workspace.id, user__email=email):
        raise DomainError(
            [Problem("email", ErrorCode.ALREADY_EXISTS, "This person is already a member")]
        )
    now = datetime.now(UTC)
    await Invitation.filter(
        workspace_id=workspace.id, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = new_token()
    invitation = await Invitation.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_id=actor.user_id,
        expires_at=now + timedelta(seconds=get_settings().invitation_ttl_s),
    )
    return IssuedInvitation(invitation, token)


def _invitation_unusable(message: str, code: ErrorCode = ErrorCode.TOKEN_INVALID) -> DomainError:
    return DomainError([Problem("token", code, message)])


async def accept_invitation(actor: Actor, *, token: str) -> Membership:
    user_id = actor.require_user()
    now = datetime.now(UTC)
    invitation = await Invitation.get_or_none(token_hash=token_hash(token))
    if invitation is None or invitation.revoked_at or invitation.accepted_at:
        raise _invitation_unusable("This invitation is invalid or was already used")
    if invitation.expires_at <= now:
        raise _invitation_unusable("This invitation has expired", ErrorCode.TOKEN_EXPIRED)
    user = await User.get(id=user_id)
    if user.email != invitation.email:
        raise _invitation_unusable(
            "This invitation was sent to another email address", ErrorCode.NOT_ALLOWED
        )
    claimed = await Invitation.filter(id=invitation.id, accepted_at__isnull=True).update(
        accepted_at=now
    )
    if not claimed:
        raise _invitation_unusable("This invitation is invalid or was already used")
    if await Membership.exists(workspace_id=invitation.workspace_id, user_id=user_id):
        raise DomainError([Problem("token", ErrorCode.ALREADY_EXISTS, "You are already a member")])
    member = await Membership.create(
        workspace_id=invitation.workspace_id, user_id=user_id, role=invitation.role
    )
    actor.forget_roles()
    _member_changed(member, MemberAction.JOINED)
    return member


async def _visible_member(actor: Actor, member_id: int) -> Membership:
    member = await visible_to(actor, Membership).get_or_none(id=member_id)
    if member is None:
        raise NotFound("member", field="memberId")
    return member


async def _ensure_another_owner(member: Membership) -> None:
    # Rows, not values_list(): Tortoise drops FOR UPDATE from values queries, and without
    # the lock two owners demoting or removing each other at once could both succeed.
    owners = (
        await Membership.filter(workspace_id=member.workspace_id, role=Role.OWNER)
        .select_for_update()
        .only("id")
    )
    if {owner.id for owner in owners} <= {member.id}:
        raise DomainError(
            [Problem("memberId", ErrorCode.LAST_OWNER, "A workspace must keep at least one owner")]
        )


async def update_member_role(actor: Actor, *, member_id: int, role: Role) -> Membership:
    actor.require_user()
    member = await _visible_member(actor, member_id)
    await _require_role_change_allowed(actor, member.workspace_id, member.role, role)
    if member.role == role:
        return member
    if member.role == Role.OWNER:
        await _ensure_another_owner(member)
    member.role = role
    await member.save(update_fields=["role"])
    actor.forget_roles()
    _member_changed(member, MemberAction.ROLE_CHANGED)
    return member


async def remove_member(actor: Actor, *, member_id: int) -> Membership:
    """Remove a member; anyone may leave, managing others needs the members permission."""
    user_id = actor.require_user()
    member = await _visible_member(actor, member_id)
    if member.user_id != user_id:
        await _require_role_change_allowed(actor, member.workspace_id, member.role)
    if member.role == Role.OWNER:
        await _ensure_another_owner(member)
    await member.delete()
    actor.forget_roles()
    _member_changed(member, MemberAction.REMOVED)
    return member


async def list_members_each(
    actor: Actor, requests: list[PageRequest]
) -> list[Page[Membership] | Forbidden | ValidationFailed]:
    """Members of each requested workspace (a DataLoader's batch)."""
    return await pages_each(actor, visible_to(actor, Membership), Permission.MEMBERS_READ, requests)


async def list_invitations_each(
    actor: Actor, requests: list[PageRequest]
) -> list[Page[Invitation] | Forbidden | ValidationFailed]:
    """Pending invitations of each requested workspace (a DataLoader's batch)."""
    pending = visible_to(actor, Invitation).filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )
    return await pages_each(actor, pending, Permission.MEMBERS_MANAGE, requests)


async def get_member(actor: Actor, member_id: int) -> Membership | None:
    member = await visible_to(actor, Membership).get_or_none(id=member_id)
    if member and Permission.MEMBERS_READ in await actor.permissions_in(member.workspace_id):
        return member
    return None


async def purge_expired_invitations(older_than: datetime) -> int:
    return await Invitation.filter(expires_at__lt=older_than, accepted_at__isnull=True).delete()


async def get_invitation(actor: Actor, invitation_id: int) -> Invitation | None:
    invitation = await visible_to(actor, Invitation).get_or_none(id=invitation_id)
    if invitation and Permission.MEMBERS_MANAGE in await actor.permissions_in(
        invitation.workspace_id
    ):
        return invitation
    return None
