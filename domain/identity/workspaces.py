"""Creating and reading workspaces."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tortoise.queryset import QuerySet

from domain.errors import ErrorCode, Problems
from domain.identity.models import Membership, Workspace
from domain.identity.roles import Permission, Role
from domain.pagination import Page, paginate
from domain.tenancy import Actor, visible_to

MAX_WORKSPACE_NAME = 120


@cache
def _zone_names() -> frozenset[str]:
    """Every IANA zone name, read from disk once (a walk of the tz database per call cost
    ~10 ms on every schedule)."""
    return frozenset(available_timezones())


def check_timezone(problems: Problems, timezone: str, field: str = "timezone") -> None:
    if len(timezone) > 64 or timezone not in _zone_names():
        problems.add(field, ErrorCode.INVALID, f"{timezone[:64]!r} is not an IANA timezone")
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(field, ErrorCode.INVALID, f"{timezone!r} is not an IANA timezone")


async def create_workspace(actor: Actor, *, name: str, timezone: str = "UTC") -> Workspace:
    """A new workspace with the creator as its owner."""
    user_id = actor.require_user()
    problems = Problems()
    problems.check_length("name", name, maximum=MAX_WORKSPACE_NAME)
    check_timezone(problems, timezone)
    problems.raise_if_any()
    workspace = await Workspace.create(name=name.strip(), timezone=timezone, created_by_id=user_id)
    await Membership.create(workspace=workspace, user_id=user_id, role=Role.OWNER)
    actor.forget_roles()
    return workspace


async def _readable(actor: Actor) -> QuerySet[Workspace]:
    """Workspaces the actor may read: every role reads its workspaces, a key only with a
    scope that grants it (a CONVERSIONS-only key writes conversions and reads nothing)."""
    workspaces = visible_to(actor, Workspace)
    if actor.api_key_workspace_id is not None and Permission.WORKSPACE_READ not in (
        await actor.permissions_in(actor.api_key_workspace_id)
    ):
        return workspaces.filter(id__in=[])
    return workspaces


async def get_workspace(actor: Actor, workspace_id: int) -> Workspace | None:
    return await (await _readable(actor)).get_or_none(id=workspace_id)


async def list_workspaces(
    actor: Actor, *, first: int | None, after: str | None, user_id: int | None = None
) -> Page[Workspace]:
    """The actor's workspaces; with another `user_id`, that user's workspaces among those
    whose members the actor may see (membership elsewhere is not the actor's business)."""
    workspaces = await _readable(actor)
    if user_id is not None and user_id != actor.user_id:
        shared = [
            workspace_id
            for workspace_id in await actor.roles()
            if Permission.MEMBERS_READ in await actor.permissions_in(workspace_id)
        ]
        workspaces = workspaces.filter(id__in=shared, memberships__user_id=user_id)
    return await paginate(workspaces, first=first, after=after)
