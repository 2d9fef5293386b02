"""Who is acting, and the one helper every workspace-owned query goes through."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tortoise.expressions import Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from domain.identity.models import Membership, Workspace
from domain.identity.roles import (
    ROLE_PERMISSIONS,
    ApiKeyScope,
    Permission,
    Role,
    scope_permissions,
)
from domain.pagination import Page, PageRequest, paginate_each

M = TypeVar("M", bound=Model)


@dataclass
class Actor:
    """The caller of one request: a signed-in user, a partner's API key, or nobody."""

    user_id: int | None = None
    api_key_id: int | None = None
    api_key_workspace_id: int | None = None
    api_key_scopes: frozenset[ApiKeyScope] = frozenset()
    _roles: dict[int, Role] | None = field(default=None, repr=False)
    _roles_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.api_key_id is not None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    def require_authenticated(self) -> None:
        if not self.is_authenticated:
            raise Unauthenticated()

    def require_user(self) -> int:
        """The user id; API keys act for a workspace, never as a person."""
        if self.user_id is None:
            if self.api_key_id is not None:
                raise Forbidden("This operation needs a signed-in user, not an API key")
            raise Unauthenticated()
        return self.user_id

    async def roles(self) -> dict[int, Role]:
        """Workspace id → role, loaded once per request (resolvers running concurrently
        wait for the one load instead of each starting their own)."""
        async with self._roles_lock:
            if self._roles is None:
                if self.user_id is None:
                    self._roles = {}
                else:
                    rows = await Membership.filter(user_id=self.user_id).values_list(
                        "workspace_id", "role"
                    )
                    self._roles = {workspace_id: Role(role) for workspace_id, role in rows}
            return self._roles

    async def role_in(self, workspace_id: int) -> Role | None:
        return (await self.roles()).get(workspace_id)

    async def permissions_in(self, workspace_id: int) -> frozenset[Permission]:
        if self.api_key_id is not None:
            if workspace_id != self.api_key_workspace_id:
                return frozenset()
            return scope_permissions(self.api_key_scopes)
        role = await self.role_in(workspace_id)
        return ROLE_PERMISSIONS[role] if role else frozenset()

    async def require(self, workspace_id: int, permission: Permission) -> None:
        """Raise Forbidden unless the actor may do `permission` in a workspace it belongs to."""
        if permission not in await self.permissions_in(workspace_id):
            raise Forbidden()

    def forget_roles(self) -> None:
        self._roles = None


def visible_to(actor: Actor, model: type[M]) -> QuerySet[M]:
    """Rows of `model` in the workspaces the actor belongs to; foreign rows look missing."""
    actor.require_authenticated()
    column = "id" if model is Workspace else "workspace_id"
    if actor.api_key_workspace_id is not None:
        return model.filter(**{column: actor.api_key_workspace_id})
    member_of = Subquery(Membership.filter(user_id=actor.user_id).values("workspace_id"))
    return model.filter(**{f"{column}__in": member_of})


async def readable_row(
    actor: Actor, model: type[M], row_id: int, permission: Permission
) -> M | None:
    """The row if it is in one of the actor's workspaces and the actor may do `permission`
    there; None otherwise (missing, foreign and forbidden look the same, as for `node`)."""
    row = await visible_to(actor, model).get_or_none(id=row_id)
    if row is None or permission not in await actor.permissions_in(row.workspace_id):
        return None
    return row


async def visible_by_ids(actor: Actor, model: type[M], ids: Sequence[int]) -> list[M | None]:
    """Rows by id in input order, None for missing or foreign ones (a DataLoader's batch)."""
    found = {row.id: row for row in await visible_to(actor, model).filter(id__in=list(set(ids)))}
    return [found.get(row_id) for row_id in ids]


async def workspace_for(
    actor: Actor, workspace_id: int, permission: Permission, *, field_name: str = "workspaceId"
) -> Workspace:
    """The workspace if the actor can see it (else NotFound) and may do `permission` in it."""
    workspace = await visible_to(actor, Workspace).get_or_none(id=workspace_id)
    if workspace is None:
        raise NotFound("workspace", field=field_name)
    await actor.require(workspace.id, permission)
    return workspace


async def pages_each(
    actor: Actor, rows: QuerySet[M], permission: Permission, requests: list[PageRequest]
) -> list[Page[M] | Forbidden | ValidationFailed]:
    """A page of `rows` for each (workspace, page) request, batched for a DataLoader: one
    statement per distinct page arguments. A workspace where the actor lacks `permission`
    fails alone, with Forbidden."""
    allowed = [r for r in requests if permission in await actor.permissions_in(r.parent_id)]
    pages = dict(zip(allowed, await paginate_each(rows, "workspace_id", allowed), strict=True))
    return [pages[request] if request in pages else Forbidden() for request in requests]
