"""Analytics jobs: thin wrappers over the domain's polling and reports."""

from __future__ import annotations

from arq import Retry

from domain.analytics.audience import read_audience
from domain.analytics.collection import poll_channel
from domain.analytics.polling import audience_round, metrics_round
from domain.analytics.report_build import build_report
from domain.analytics.report_schedules import report_round
from domain.analytics.reports import BUILD_REPORT_TRIES


async def metrics_round_job(ctx: dict) -> int:
    return await metrics_round()


async def audience_round_job(ctx: dict) -> int:
    return await audience_round()


async def poll_channel_job(ctx: dict, channel_id: int) -> int:
    return (await poll_channel(channel_id)).read


async def read_audience_job(ctx: dict, channel_id: int) -> bool:
    return await read_audience(channel_id) is not None


async def report_round_job(ctx: dict) -> int:
    return (await report_round()).made


async def build_report_job(ctx: dict, report_id: int) -> str:
    """Build a report; a failure is retried (later each time) until the last try, which
    marks the report FAILED instead of raising."""
    attempt = ctx.get("job_try") or 1
    try:
        status = await build_report(report_id, attempt=attempt, max_attempts=BUILD_REPORT_TRIES)
    except Exception as error:
        raise Retry(defer=30 * attempt) from error
    return status.value if status else "missing"
