"""The per-request context: who is calling, their rate-limit state, and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from domain.identity.models import User, Workspace
from domain.identity.queries import users_by_ids, workspaces_by_ids
from domain.ratelimit import BucketState
from domain.tenancy import Actor


@dataclass
class Loaders:
    users: DataLoader[int, User | None]
    workspaces: DataLoader[int, Workspace | None]


def make_loaders(actor: Actor) -> Loaders:
    async def load_workspaces(ids: list[int]) -> list[Workspace | None]:
        return await workspaces_by_ids(actor, ids)

    return Loaders(
        users=DataLoader(load_fn=users_by_ids),
        workspaces=DataLoader(load_fn=load_workspaces),
    )


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    actor: Actor
    loaders: Loaders
    credentials_rejected: bool = False
    rate_limit: BucketState | None = None
    connection_params: dict[str, Any] | None = field(default=None)

    def use_actor(self, actor: Actor) -> None:
        self.actor = actor
        self.loaders = make_loaders(actor)
