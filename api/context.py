"""The per-request context: who is calling, their rate-limit state, and DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from domain.identity.models import User, Workspace
from domain.identity.queries import users_by_ids, workspaces_by_ids
from domain.ratelimit import BucketState
from domain.tenancy import Actor

ScopedBatch = Callable[[Actor, list[Any]], Awaitable[list[Any]]]


@dataclass
class Loaders:
    """Per-request DataLoaders. `scoped(batch)` makes one for any domain batch function
    taking (actor, keys), so each area brings its own without editing this class."""

    actor: Actor
    users: DataLoader[int, User | None]
    workspaces: DataLoader[int, Workspace | None]
    _scoped: dict[Hashable, DataLoader] = field(default_factory=dict)

    def scoped(self, batch: ScopedBatch) -> DataLoader:
        loader = self._scoped.get(batch)
        if loader is None:
            loader = self._scoped[batch] = DataLoader(load_fn=partial(batch, self.actor))
        return loader


def make_loaders(actor: Actor) -> Loaders:
    return Loaders(
        actor=actor,
        users=DataLoader(load_fn=users_by_ids),
        workspaces=DataLoader(load_fn=partial(workspaces_by_ids, actor)),
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
