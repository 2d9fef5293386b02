"""The reconciler: the database, not Redis, decides what is due.

Every few seconds it re-derives the work from the rows: due SCHEDULED targets get a publish
job, due UNCONFIRMED targets a verify job, and targets stuck in PUBLISHING (their worker was
killed mid-flight) become UNCONFIRMED, so the network is asked before anything is resent.
A Redis flush, a lost job or a dead worker delays posts; it never loses or doubles them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.content import history
from domain.content.models import PostTarget, TargetStatus
from domain.jobs import get_job_pool
from domain.publishing.claims import CLAIM_LEAD, PUBLISHER, utcnow
from domain.publishing.jobs import DISPATCH_JOB, VERIFY_JOB, dispatch_job_id, verify_job_id
from domain.settings import get_settings
from domain.uow import unit_of_work

BATCH = 5000
# Work this late was missed by its own job (a worker killed mid-run can leave arq holding the
# id as used): ask again under an id that changes every minute.
OVERDUE = timedelta(seconds=30)


def _retry_suffix(due: datetime, now: datetime) -> str:
    return f":r{int(now.timestamp() // 60)}" if now - due > OVERDUE else ""


@dataclass
class Reconciled:
    publish_jobs: int = 0  # dispatch jobs asked for (each publishes every due target)
    verify_jobs: int = 0
    unstuck: int = 0


async def release_stuck(now: datetime) -> int:
    """PUBLISHING for longer than any attempt may take: its worker is gone. The request may
    or may not have reached the network, so the target becomes UNCONFIRMED."""
    cutoff = now - timedelta(seconds=get_settings().publish_stuck_after_s)
    stuck = await PostTarget.filter(status=TargetStatus.PUBLISHING, claimed_at__lt=cutoff).limit(
        BATCH
    )
    released = 0
    for target in stuck:
        async with unit_of_work():
            updated = await PostTarget.filter(
                id=target.id, status=TargetStatus.PUBLISHING, attempt_token=target.attempt_token
            ).update(status=TargetStatus.UNCONFIRMED, next_attempt_at=now)
            if updated:
                target.status = TargetStatus.UNCONFIRMED
                await history.record(
                    target,
                    TargetStatus.PUBLISHING,
                    system=PUBLISHER,
                    reason="the worker stopped mid-publish; checking with the network",
                )
                released += 1
    return released


async def reconcile(now: datetime | None = None) -> Reconciled:
    now = now or utcnow()
    report = Reconciled(unstuck=await release_stuck(now))
    pool = await get_job_pool()
    due = (
        await PostTarget.filter(
            status__in=[TargetStatus.SCHEDULED, TargetStatus.UNCONFIRMED],
            next_attempt_at__lte=now + CLAIM_LEAD,
        )
        .order_by("next_attempt_at")
        .limit(BATCH)
        .values_list("id", "status", "next_attempt_at")
    )
    scheduled = [moment for _, status, moment in due if status == TargetStatus.SCHEDULED]
    if scheduled:  # one dispatch job claims every due target, whatever their number
        earliest = min(scheduled)
        job_id = dispatch_job_id(earliest) + _retry_suffix(earliest, now)
        if await pool.enqueue_job(DISPATCH_JOB, _job_id=job_id) is not None:
            report.publish_jobs += 1
    for target_id, status, next_attempt_at in due:
        if status != TargetStatus.UNCONFIRMED:
            continue
        job_id = verify_job_id(target_id, next_attempt_at) + _retry_suffix(next_attempt_at, now)
        if await pool.enqueue_job(VERIFY_JOB, target_id, _job_id=job_id) is not None:
            report.verify_jobs += 1
    return report
