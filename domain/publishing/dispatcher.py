"""Publishing a burst: every due target claimed in batches, sent concurrently.

One conditional UPDATE claims a batch (a row another worker already took no longer
matches), one SELECT reads the batch back with posts and channels, one INSERT records the
claims. Each target then goes through the same `_send` as a single publish, with its own
fenced finish. A full batch asks for another dispatch job first, so other workers join in.
"""

from __future__ import annotations

import asyncio

from tortoise.expressions import F, Subquery

from domain.content import history
from domain.content.models import PostTarget, StatusChange, TargetStatus
from domain.jobs import get_job_pool
from domain.publishing.claims import CLAIM_LEAD, PUBLISHER, new_attempt_token, utcnow
from domain.publishing.jobs import DISPATCH_JOB
from domain.publishing.publisher import Outcome, _send
from domain.uow import unit_of_work

BATCH = 200


async def claim_due_batch(limit: int = BATCH) -> list[PostTarget]:
    now = utcnow()
    token = new_attempt_token()
    due = (
        PostTarget.filter(status=TargetStatus.SCHEDULED, next_attempt_at__lte=now + CLAIM_LEAD)
        .order_by("next_attempt_at")
        .limit(limit)
        .values("id")
    )
    async with unit_of_work():
        claimed = await PostTarget.filter(
            id__in=Subquery(due), status=TargetStatus.SCHEDULED
        ).update(
            status=TargetStatus.PUBLISHING,
            attempt_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return []
        targets = await PostTarget.filter(attempt_token=token).select_related("post", "channel")
        await StatusChange.bulk_create(
            [
                StatusChange(
                    workspace_id=target.workspace_id,
                    target_id=target.id,
                    from_status=TargetStatus.SCHEDULED,
                    to_status=TargetStatus.PUBLISHING,
                    changed_by_system=PUBLISHER,
                    reason="claimed",
                )
                for target in targets
            ]
        )
        await history.announce_many(targets, TargetStatus.SCHEDULED, reason="claimed")
    return targets


async def _publish_claimed(target: PostTarget) -> Outcome:
    wait = (target.scheduled_at - utcnow()).total_seconds() if target.scheduled_at else 0
    if wait > 0:
        await asyncio.sleep(wait)
    return await _send(target)


async def dispatch_due(max_in_flight: int = 5 * BATCH) -> int:
    """Publish everything due now; returns how many targets this run claimed.

    The next batch is claimed while the previous one is still being sent, up to
    `max_in_flight` targets at once, so one slow network does not hold up the rest."""
    total = 0
    in_flight: set[asyncio.Task] = set()
    try:
        while True:
            if len(in_flight) >= max_in_flight:
                _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            batch = await claim_due_batch()
            if not batch:
                break
            if len(batch) == BATCH:  # more may be waiting: let another worker take a share
                pool = await get_job_pool()
                await pool.enqueue_job(DISPATCH_JOB, _job_id=f"dispatch:more:{batch[-1].id}")
            in_flight |= {asyncio.create_task(_publish_claimed(target)) for target in batch}
            total += len(batch)
    finally:
        if in_flight:
            await asyncio.gather(*in_flight)
    return total
