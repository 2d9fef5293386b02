"""Job names and ids for publishing. Ids are stable per target and per attempt time, so
the reconciler and the scheduler can both ask for the same job and arq keeps one."""

from __future__ import annotations

from datetime import datetime

from domain.content.models import PostTarget
from domain.jobs import enqueue_after_commit
from domain.publishing.claims import CLAIM_LEAD

PUBLISH_JOB = "publishing.publish_target"
VERIFY_JOB = "publishing.verify_target"


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def publish_job_id(target_id: int, due: datetime | None) -> str:
    return f"publish:{target_id}:{_ms(due)}"


def verify_job_id(target_id: int, due: datetime | None) -> str:
    return f"verify:{target_id}:{_ms(due)}"


def publish_when_due(target: PostTarget) -> None:
    """After commit, queue the target's publish job to run at its time."""
    due = target.next_attempt_at
    enqueue_after_commit(
        PUBLISH_JOB,
        target.id,
        job_id=publish_job_id(target.id, due),
        _defer_until=due - CLAIM_LEAD if due else None,
    )
