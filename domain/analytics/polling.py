"""The polling rounds the worker's crons run: post metrics every minute, audience hourly.

A round only asks for jobs; the jobs do the reading. Job ids are stable per channel and
time bucket (or day), so overlapping rounds and the reconciling crons never double a read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.analytics.audience import channels_without_day
from domain.analytics.cadence import current_cadence
from domain.analytics.collection import due_channels, enroll_published
from domain.jobs import enqueue_after_commit
from domain.uow import unit_of_work

POLL_CHANNEL_JOB = "analytics.poll_channel"
READ_AUDIENCE_JOB = "analytics.read_audience"


def poll_job_id(channel_id: int, bucket: datetime) -> str:
    return f"metrics:{channel_id}:{int(bucket.timestamp())}"


async def metrics_round(now: datetime | None = None) -> int:
    """Enroll newly published targets and ask for one poll job per channel with posts due."""
    now = now or datetime.now(UTC)
    await enroll_published(now)
    channels = await due_channels(now)
    bucket = current_cadence().bucket_of(now)
    async with unit_of_work():
        for channel_id in channels:
            job_id = poll_job_id(channel_id, bucket)
            enqueue_after_commit(POLL_CHANNEL_JOB, channel_id, job_id=job_id)
    return len(channels)


async def audience_round(now: datetime | None = None) -> int:
    """Ask for today's audience reading of every usable channel that lacks one."""
    now = now or datetime.now(UTC)
    channels = await channels_without_day(now.date())
    hour = now.strftime("%Y%m%d%H")
    async with unit_of_work():
        for channel_id in channels:
            job_id = f"audience:{channel_id}:{hour}"
            enqueue_after_commit(READ_AUDIENCE_JOB, channel_id, job_id=job_id)
    return len(channels)
