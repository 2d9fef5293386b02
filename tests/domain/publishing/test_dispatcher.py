import asyncio

from domain.content.models import PostTarget, StatusChange, TargetStatus
from domain.jobs import get_job_pool
from domain.platforms.sandbox.models import SandboxPost
from domain.publishing.dispatcher import BATCH, claim_due_batch, dispatch_due


async def test_a_burst_is_published_once_in_batches(world):
    channels = [await world.channel() for _ in range(5)]
    targets = [await world.due_target(channels[i % 5], f"burst {i}") for i in range(BATCH + 30)]
    assert await dispatch_due() == len(targets)
    assert await PostTarget.filter(status=TargetStatus.PUBLISHED).count() == len(targets)
    assert await SandboxPost.all().count() == len(targets)
    # A full batch asked for help from other workers.
    queued = [job.job_id for job in await (await get_job_pool()).queued_jobs()]
    assert any(job_id.startswith("dispatch:more:") for job_id in queued)
    # Every claim is in the history.
    assert await StatusChange.filter(to_status=TargetStatus.PUBLISHING).count() == len(targets)


async def test_competing_dispatchers_never_double_publish(world):
    channel = await world.channel()
    for i in range(60):
        await world.due_target(channel, f"race {i}")
    counts = await asyncio.gather(dispatch_due(), dispatch_due(), dispatch_due())
    assert sum(counts) == 60
    assert await SandboxPost.all().count() == 60


async def test_nothing_due_claims_nothing(world):
    assert await claim_due_batch() == []
