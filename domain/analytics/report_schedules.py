"""The hourly report round: make the report of every schedule that is due, and look after
reports whose build went missing.

A schedule's report is for the period just ended (the last ISO week or calendar month in
the workspace's timezone). The unique (schedule, period start) pair makes a round that runs
twice, or two rounds racing, make one report; moving `next_run_at` forward is conditional
on the schedule still being due, so only one round queues the build.

The database is the source of truth: a PENDING report whose build job was lost (Redis
flushed, a worker killed) is queued again, and one still PENDING after a day is FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from domain.analytics.models import Report, ReportFrequency, ReportSchedule, ReportStatus
from domain.analytics.report_build import fail_report
from domain.analytics.report_timing import last_full_period, next_run_after
from domain.analytics.reports import BUILD_REPORT_JOB, build_job_id
from domain.jobs import enqueue_after_commit
from domain.uow import unit_of_work

ROUND_BATCH = 500
REQUEUE_AFTER = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(days=1)
GAVE_UP_REASON = "The report could not be made in time. Ask for it again."


@dataclass(frozen=True)
class RoundReport:
    made: int = 0  # reports made for due schedules
    requeued: int = 0  # PENDING reports whose build was asked for again
    given_up: int = 0  # PENDING reports marked FAILED


async def report_round(now: datetime | None = None) -> RoundReport:
    now = now or datetime.now(UTC)
    made = 0
    due = (
        await ReportSchedule.filter(next_run_at__lte=now, cancelled_at__isnull=True)
        .order_by("next_run_at", "id")
        .limit(ROUND_BATCH)
        .values(
            "id",
            "workspace_id",
            "workspace__timezone",
            "name",
            "frequency",
            "filters",
            "created_by_id",
        )
    )
    for schedule in due:
        if await _run_schedule(schedule, now):
            made += 1
    requeued, given_up = await _look_after_pending(now)
    return RoundReport(made, requeued, given_up)


async def _run_schedule(schedule: dict, now: datetime) -> bool:
    frequency = ReportFrequency(schedule["frequency"])
    timezone = schedule["workspace__timezone"]
    start, end = last_full_period(frequency, now, timezone)
    async with unit_of_work():
        moved = await ReportSchedule.filter(
            id=schedule["id"], next_run_at__lte=now, cancelled_at__isnull=True
        ).update(next_run_at=next_run_after(frequency, now, timezone))
        if not moved:  # another round got there first, or it was cancelled meanwhile
            return False
        report = await _period_report(schedule, frequency, start, end)
        enqueue_after_commit(BUILD_REPORT_JOB, report.id, job_id=build_job_id(report.id))
    return True


async def _period_report(schedule: dict, frequency: ReportFrequency, start, end) -> Report:
    try:
        async with unit_of_work():  # a savepoint: a duplicate must not abort the round
            return await Report.create(
                workspace_id=schedule["workspace_id"],
                schedule_id=schedule["id"],
                name=schedule["name"],
                frequency=frequency,
                period_start=start,
                period_end=end,
                filters=schedule["filters"] or {},
                created_by_id=schedule["created_by_id"],
            )
    except IntegrityError:
        return await Report.get(schedule_id=schedule["id"], period_start=start)


async def _look_after_pending(now: datetime) -> tuple[int, int]:
    lost = await (
        Report.filter(
            status=ReportStatus.PENDING,
            created_at__lte=now - REQUEUE_AFTER,
            created_at__gt=now - GIVE_UP_AFTER,
        )
        .order_by("id")
        .limit(ROUND_BATCH)
        .values_list("id", flat=True)
    )
    if lost:
        async with unit_of_work():
            for report_id in lost:  # queued again only if no job of that id is queued
                enqueue_after_commit(BUILD_REPORT_JOB, report_id, job_id=build_job_id(report_id))
    stale = await (
        Report.filter(status=ReportStatus.PENDING, created_at__lte=now - GIVE_UP_AFTER)
        .order_by("id")
        .limit(ROUND_BATCH)
        .values_list("id", flat=True)
    )
    given_up = 0
    for report_id in stale:
        given_up += await fail_report(report_id, GAVE_UP_REASON)
    return len(lost), given_up
