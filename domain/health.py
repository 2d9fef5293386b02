"""Readiness: the database answers, Redis answers, a worker beat recently."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid

from domain.db import ping_database
from domain.redis import get_redis

HEARTBEATS_KEY = "kelola:workers:heartbeats"
HEARTBEAT_FRESH_S = 30.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


async def beat(worker_id: str) -> None:
    now = time.time()
    redis = get_redis()
    await redis.zadd(HEARTBEATS_KEY, {worker_id: now})
    await redis.zremrangebyscore(HEARTBEATS_KEY, "-inf", now - 10 * HEARTBEAT_FRESH_S)


async def beat_forever(worker_id: str, every_s: float) -> None:
    while True:
        with contextlib.suppress(Exception):
            await beat(worker_id)
        await asyncio.sleep(every_s)


async def stop_beating(worker_id: str) -> None:
    with contextlib.suppress(Exception):
        await get_redis().zrem(HEARTBEATS_KEY, worker_id)


async def readiness() -> dict[str, bool]:
    checks = {"database": False, "redis": False, "worker": False}
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ping_database(), 2)
        checks["database"] = True
    with contextlib.suppress(Exception):
        redis = get_redis()
        await asyncio.wait_for(redis.ping(), 2)
        checks["redis"] = True
        fresh = await redis.zcount(HEARTBEATS_KEY, time.time() - HEARTBEAT_FRESH_S, "+inf")
        checks["worker"] = fresh > 0
    return checks
