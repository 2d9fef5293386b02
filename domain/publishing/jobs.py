"""Job names and ids for publishing.

Scheduling asks for one *dispatch* job per due instant (`dispatch:<ms>`), not one per
target: a thousand posts due at 09:00:00 share one job, which claims them in batches. Ids
are stable, so the scheduler and the reconciler can both ask and arq keeps one.
"""

from __future__ import annotations

from datetime import datetime

from domain.content.models import PostTarget
from domain.jobs import enqueue_after_commit
from domain.publishing.claims import CLAIM_LEAD

DISPATCH_JOB = "publishing.dispatch_due"
PUBLISH_JOB = "publishing.publish_target"
VERIFY_JOB = "publishing.verify_target"


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def dispatch_job_id(due: datetime | None) -> str:
    return f"dispatch:{_ms(due)}"


def publish_job_id(target_id: int, due: datetime | None) -> str:
    return f"publish:{target_id}:{_ms(due)}"


def verify_job_id(target_id: int, due: datetime | None) -> str:
    return f"verify:{target_id}:{_ms(due)}"


def publish_when_due(target: PostTarget) -> None:
    """After commit, make sure a dispatch job runs at the target's time."""
    due = target.next_attempt_at
    enqueue_after_commit(
        DISPATCH_JOB,
        job_id=dispatch_job_id(due),
        _defer_until=due - CLAIM_LEAD if due else None,
    )
