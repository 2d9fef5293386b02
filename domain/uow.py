"""One transaction per mutation; events and jobs are sent only after it commits."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar

from tortoise.transactions import in_transaction

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
_pending: ContextVar[list[AfterCommit] | None] = ContextVar("kelola_after_commit", default=None)


def after_commit(action: AfterCommit) -> None:
    """Run `action` once the surrounding unit of work commits; dropped on rollback.

    Outside a unit of work there is nothing to wait for, so it is refused: callers
    that publish or enqueue must own (or be inside) a transaction.
    """
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("after_commit() called outside unit_of_work()")
    pending.append(action)


@contextlib.asynccontextmanager
async def unit_of_work() -> AsyncIterator[None]:
    outer = _pending.get()
    pending: list[AfterCommit] = []
    token = _pending.set(pending)
    try:
        async with in_transaction():  # a savepoint when nested
            yield
    finally:
        _pending.reset(token)
    if outer is not None:
        # Nested: the outermost unit owns the commit. A savepoint that rolled back
        # raised above, so its actions are dropped with it.
        outer.extend(pending)
        return
    for action in pending:
        try:
            await action()
        except Exception:
            # The data is committed; a lost event or job is re-derived by reconcilers.
            logger.exception("after-commit action failed")
