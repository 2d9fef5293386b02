"""Jobs and events leave only after commit; the real worker runs the identity purge."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from arq.jobs import Job, JobStatus

from domain.events import Event, publish_after_commit, workspace_channel
from domain.identity.models import Invitation, RefreshToken, User, Workspace
from domain.jobs import QUEUE_NAME, enqueue_after_commit, get_job_pool
from domain.redis import get_redis
from domain.uow import unit_of_work
from workers import settings as worker_settings

PURGE = "identity.purge_expired_credentials"


class Boom(Exception):
    pass


async def queued() -> list[tuple[str, str, tuple]]:
    pool = await get_job_pool()
    return [(job.job_id, job.function, job.args) for job in await pool.queued_jobs()]


async def test_a_job_is_queued_only_after_commit():
    async with unit_of_work():
        enqueue_after_commit("some.job", 1, "two", job_id="job:commit", flag=True)
        assert await queued() == []
        assert await get_redis().zcard(QUEUE_NAME) == 0
    assert await queued() == [("job:commit", "some.job", (1, "two"))]
    [job] = await (await get_job_pool()).queued_jobs()
    assert job.kwargs == {"flag": True}


async def test_a_rollback_drops_the_job():
    with pytest.raises(Boom):
        async with unit_of_work():
            enqueue_after_commit("some.job", job_id="job:rollback")
            raise Boom
    assert await queued() == []


async def test_a_rolled_back_nested_unit_drops_its_job_only():
    async with unit_of_work():
        enqueue_after_commit("some.job", job_id="job:kept")
        with pytest.raises(Boom):
            async with unit_of_work():
                enqueue_after_commit("some.job", job_id="job:undone")
                raise Boom
    assert [job_id for job_id, _, _ in await queued()] == ["job:kept"]


async def test_the_same_job_id_is_queued_once():
    async with unit_of_work():
        enqueue_after_commit("some.job", job_id="job:once")
        enqueue_after_commit("some.job", job_id="job:once")
    async with unit_of_work():
        enqueue_after_commit("some.job", job_id="job:once")
    assert await queued() == [("job:once", "some.job", ())]


async def next_message(pubsub, within: float) -> dict | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if message is not None:
            return message
    return None


@pytest.fixture
async def listener():
    pubsub = get_redis().pubsub()
    await pubsub.subscribe(workspace_channel(42))
    yield pubsub
    await pubsub.unsubscribe()
    await pubsub.aclose()


async def test_an_event_is_published_only_after_commit(listener):
    event = Event("thing.happened", 42, {"id": 7})
    async with unit_of_work():
        publish_after_commit(event)
        assert await next_message(listener, 0.2) is None
    message = await next_message(listener, 2)
    assert message is not None and message["channel"] == workspace_channel(42)
    assert Event.decode(message["data"]) == event


async def test_a_rolled_back_event_is_never_published(listener):
    with pytest.raises(Boom):
        async with unit_of_work():
            publish_after_commit(Event("thing.happened", 42, {"id": 7}))
            raise Boom
    assert await next_message(listener, 0.3) is None


# The real worker, in-process, on the test's database.


@pytest.fixture
def quiet_worker(monkeypatch):
    # build_worker configures process-wide logging, which would drop pytest's handlers.
    monkeypatch.setattr(worker_settings, "configure_logging", lambda **_: None)
    # A burst counts every job it runs: a cron due during it (several run every minute)
    # would be counted with the job under test.
    monkeypatch.setattr(worker_settings.WorkerSettings, "cron_jobs", [])


async def run_worker_burst() -> int:
    worker = worker_settings.build_worker(handle_signals=False, burst=True, manage_database=False)
    try:
        return await worker.run_check()
    finally:
        await worker.close()


async def purge(job_id: str) -> dict[str, int]:
    async with unit_of_work():
        enqueue_after_commit(PURGE, job_id=job_id)
    assert await run_worker_burst() == 1
    job = Job(job_id, await get_job_pool())
    assert await job.status() == JobStatus.complete
    return await job.result(timeout=1)


async def test_purge_deletes_credentials_expired_over_a_week_ago(quiet_worker):
    now = datetime.now(UTC)
    user = await User.create(email="purge@example.com", name="p", password_hash="x")
    workspace = await Workspace.create(name="W")
    ages = {
        "long-expired": now - timedelta(days=8),
        "just-expired": now - timedelta(days=6),
        "valid": now + timedelta(days=3),
    }
    for name, expires_at in ages.items():
        await RefreshToken.create(
            user=user, family=uuid.uuid4(), token_hash=f"rt-{name}", expires_at=expires_at
        )
        await Invitation.create(
            workspace=workspace,
            email=f"{name}@example.com",
            role="EDITOR",
            token_hash=f"inv-{name}",
            expires_at=expires_at,
        )
    # An accepted invitation is history, not a credential: kept however old.
    await Invitation.create(
        workspace=workspace,
        email="accepted@example.com",
        role="EDITOR",
        token_hash="inv-accepted",
        expires_at=now - timedelta(days=30),
        accepted_at=now - timedelta(days=31),
    )

    assert await purge("purge:1") == {"refresh_tokens": 1, "invitations": 1}
    assert set(await RefreshToken.all().values_list("token_hash", flat=True)) == {
        "rt-just-expired",
        "rt-valid",
    }
    assert set(await Invitation.all().values_list("token_hash", flat=True)) == {
        "inv-just-expired",
        "inv-valid",
        "inv-accepted",
    }

    assert await purge("purge:2") == {"refresh_tokens": 0, "invitations": 0}
    assert await RefreshToken.all().count() == 2
    assert await Invitation.all().count() == 3


async def test_the_worker_leaves_the_test_database_open(quiet_worker):
    assert await run_worker_burst() == 0
    # Still usable after the worker's start-up and shut-down.
    await User.create(email="after@example.com", name="a", password_hash="x")
    assert await User.filter(email="after@example.com").exists()
    assert await asyncio.wait_for(get_redis().ping(), 2)
