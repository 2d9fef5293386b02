"""The one shape of a mutation: run the domain action in one unit of work, and answer a
payload with the result or with the typed errors of a refused input (nothing written)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from api.errors import user_errors
from domain.errors import DomainError
from domain.uow import unit_of_work

P = TypeVar("P")
R = TypeVar("R")


async def mutation_payload(
    action: Callable[[], Awaitable[R]], payload: Callable[..., P], fields: Callable[[R], dict]
) -> P:
    """`payload(**fields(result))` after commit, or `payload(errors=...)` after rollback."""
    try:
        async with unit_of_work():
            result = await action()
    except DomainError as error:
        return payload(errors=user_errors(error))
    return payload(**fields(result))
