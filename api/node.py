"""The Relay `Node` interface and the registry behind `node(id)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from api.ids import from_global_id
from domain.tenancy import Actor

NodeResolver = Callable[[Info, int], Awaitable[Any]]
_resolvers: dict[str, NodeResolver] = {}


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID = strawberry.field(description="The global id of this object.")


def node_resolver(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    """Register how to fetch `type_name` for `node(id)`; it must apply workspace scoping."""

    def register(resolver: NodeResolver) -> NodeResolver:
        _resolvers[type_name] = resolver
        return resolver

    return register


def node_type(
    type_name: str,
    fetch: Callable[[Actor, int], Awaitable[Any]],
    convert: Callable[[Any], Any],
) -> None:
    """Register `node(id)` for a type whose domain getter already scopes by workspace and
    permission (returning None for missing, foreign or forbidden rows)."""

    async def resolve(info: Info, pk: int) -> Any:
        row = await fetch(info.context.actor, pk)
        return convert(row) if row is not None else None

    _resolvers[type_name] = resolve


async def resolve_node(info: Info, global_id: str) -> Node | None:
    decoded = from_global_id(global_id) if len(global_id) <= 128 else None
    if decoded is None or decoded[0] not in _resolvers:
        return None
    type_name, pk = decoded
    return await _resolvers[type_name](info, pk)
