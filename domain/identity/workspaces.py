"""Creating and reading workspaces."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import ErrorCode, Problems
from domain.identity.models import Membership, Workspace
from domain.identity.roles import Role
from domain.pagination import Page, paginate
from domain.tenancy import Actor, visible_to

MAX_WORKSPACE_NAME = 120


def check_timezone(problems: Problems, timezone: str, field: str = "timezone") -> None:
    if len(timezone) > 64 or timezone not in available_timezones():
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


async def get_workspace(actor: Actor, workspace_id: int) -> Workspace | None:
    return await visible_to(actor, Workspace).get_or_none(id=workspace_id)


async def list_workspaces(actor: Actor, *, first: int | None, after: str | None) -> Page[Workspace]:
    return await paginate(visible_to(actor, Workspace), first=first, after=after)
