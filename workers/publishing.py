"""Publishing jobs: thin wrappers over the domain's publisher and reconciler."""

from __future__ import annotations

import asyncio
import logging

from domain.publishing.dispatcher import dispatch_due
from domain.publishing.publisher import publish_target, verify_target
from domain.publishing.reconciler import reconcile
from domain.redis import get_redis

logger = logging.getLogger(__name__)
RECONCILE_LOCK = "kelola:lock:reconciler"


async def dispatch_due_job(ctx: dict) -> int:
    return await dispatch_due()


async def publish_target_job(ctx: dict, target_id: int) -> str:
    outcome = await publish_target(target_id)
    return outcome.status.value if outcome.status else f"skipped: {outcome.detail}"


async def verify_target_job(ctx: dict, target_id: int) -> str:
    outcome = await verify_target(target_id)
    return outcome.status.value if outcome.status else f"skipped: {outcome.detail}"


async def reconcile_forever(every_s: float) -> None:
    """One reconciler at a time across all workers (a lock that expires with the tick)."""
    while True:
        try:
            if await get_redis().set(RECONCILE_LOCK, "1", nx=True, px=int(every_s * 1000)):
                report = await reconcile()
                if report.publish_jobs or report.verify_jobs or report.unstuck:
                    logger.info(
                        "reconciled: %d publish, %d verify, %d unstuck",
                        report.publish_jobs,
                        report.verify_jobs,
                        report.unstuck,
                    )
        except Exception:  # the next tick tries again; the database still holds the work
            logger.exception("reconcile failed")
        await asyncio.sleep(every_s)
