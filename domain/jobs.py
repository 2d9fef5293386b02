"""Background jobs: enqueued on arq only after the transaction that asked for them commits."""

from __future__ import annotations

from typing import Any

from arq import ArqRedis, create_pool

from domain.redis import arq_redis_settings
from domain.uow import after_commit

QUEUE_NAME = "kelola:queue"
_pool: ArqRedis | None = None


async def get_job_pool() -> ArqRedis:
    global _pool
    if _pool is None:
        _pool = await create_pool(arq_redis_settings(), default_queue_name=QUEUE_NAME)
    return _pool


async def close_job_pool() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
        _pool = None


def enqueue_after_commit(job_name: str, *args: Any, job_id: str, **kwargs: Any) -> None:
    """Queue `job_name` once the current unit of work commits.

    `job_id` must be stable for the piece of work (for example `"purge:2026-11-26"`):
    arq refuses a second job with the same id while the first is queued or its result kept.
    """

    async def send() -> None:
        pool = await get_job_pool()
        await pool.enqueue_job(job_name, *args, _job_id=job_id, **kwargs)

    after_commit(send)
