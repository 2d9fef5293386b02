"""The target state machine on the publisher's side, fenced by an attempt token.

A target is claimed by a conditional update (status and token), so two workers, a retried
job and the reconciler can all race for it and exactly one wins. Every later write checks
the token: a worker that lost its claim (it was too slow and the reconciler took over)
cannot overwrite what happened since.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from domain.content import history
from domain.content.models import PostTarget, TargetStatus
from domain.uow import unit_of_work

PUBLISHER = "publisher"
CLAIM_LEAD = timedelta(milliseconds=500)


def new_attempt_token() -> str:
    return uuid.uuid4().hex


async def claim(target_id: int, from_status: TargetStatus, now: datetime) -> PostTarget | None:
    """Take the target if it is due and in `from_status`; None if someone else has it."""
    token = new_attempt_token()
    async with unit_of_work():
        claimed = await PostTarget.filter(
            id=target_id, status=from_status, next_attempt_at__lte=now + CLAIM_LEAD
        ).update(
            status=TargetStatus.PUBLISHING,
            attempt_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        # The post and the channel come along: the publisher needs both, in one query.
        target = await PostTarget.get(id=target_id).select_related("post", "channel")
        await history.record(target, from_status, system=PUBLISHER, reason="claimed")
    return target


async def finish(
    target: PostTarget,
    to_status: TargetStatus,
    *,
    reason: str | None,
    attempt: Callable[[], Awaitable[object]] | None = None,
    **changes: object,
) -> bool:
    """Leave PUBLISHING for `to_status` if our claim still holds; False if it was lost.
    `attempt` (writing the attempt log) runs in the same transaction either way."""
    async with unit_of_work():
        if attempt is not None:
            await attempt()
        updated = await PostTarget.filter(
            id=target.id, status=TargetStatus.PUBLISHING, attempt_token=target.attempt_token
        ).update(status=to_status, **changes)
        if not updated:
            return False
        for name, value in changes.items():
            setattr(target, name, value)
        target.status = to_status
        await history.record(target, TargetStatus.PUBLISHING, system=PUBLISHER, reason=reason)
    return True


def backoff(attempts: int, base_s: float = 5.0, cap_s: float = 900.0) -> timedelta:
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def utcnow() -> datetime:
    return datetime.now(UTC)
