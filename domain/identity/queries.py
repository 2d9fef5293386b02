"""Batch lookups behind the API's DataLoaders."""

from __future__ import annotations

from collections.abc import Sequence

from domain.identity.models import User, Workspace
from domain.tenancy import Actor, visible_by_ids


async def users_by_ids(ids: Sequence[int]) -> list[User | None]:
    """Users referenced by rows the actor already sees (members, authors), in input order."""
    found = {user.id: user for user in await User.filter(id__in=list(set(ids)))}
    return [found.get(user_id) for user_id in ids]


async def workspaces_by_ids(actor: Actor, ids: Sequence[int]) -> list[Workspace | None]:
    return await visible_by_ids(actor, Workspace, ids)
