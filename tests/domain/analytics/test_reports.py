"""Reports in the domain: schedule timing in the workspace's timezone, the report round,
building (idempotent, constant statements, failures) and rendering."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from api.ids import to_global_id
from domain.analytics import report_build
from domain.analytics.collection import enroll_published, poll_channel
from domain.analytics.models import Report, ReportFrequency, ReportSchedule, ReportStatus
from domain.analytics.overview import overview
from domain.analytics.periods import Period, Window
from domain.analytics.report_build import build_report, report_data
from domain.analytics.report_files import render_all
from domain.analytics.report_schedules import report_round
from domain.analytics.report_timing import last_full_period, next_run_after
from domain.analytics.reports import (
    STORAGE_ROOT,
    ReportDraft,
    WindowRequest,
    create_report,
    report_window,
)
from domain.analytics.scope import Scope
from domain.identity.models import Workspace
from domain.ids import to_global_id as global_id
from domain.jobs import get_job_pool
from domain.storage import get_storage
from domain.uow import unit_of_work
from tests.helpers import QueryCounter

WEEKLY, MONTHLY, ONCE = ReportFrequency.WEEKLY, ReportFrequency.MONTHLY, ReportFrequency.ONCE


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def queued_ids() -> list[str]:
    return sorted(job.job_id for job in await (await get_job_pool()).queued_jobs())


async def collect(*channels) -> None:
    await enroll_published()
    for channel in channels:
        await poll_channel(channel.id, datetime.now(UTC))


async def once(world, *, scope: Scope = Scope(), name: str = "Weekly kopi", days: int = 10):
    today = datetime.now(UTC).date()
    window = WindowRequest(Period.CUSTOM, start=today - timedelta(days=days - 1), end=today)
    async with unit_of_work():
        made = await create_report(
            world.actor,
            workspace_id=world.workspace_id,
            draft=ReportDraft(name=name, frequency=ONCE, window=window, scope=scope),
        )
    return made.report


async def schedule(world, frequency: ReportFrequency, now: datetime) -> ReportSchedule:
    async with unit_of_work():
        made = await create_report(
            world.actor,
            workspace_id=world.workspace_id,
            draft=ReportDraft(name="Kopi monthly", frequency=frequency),
            now=now,
        )
    return made.schedule


# Timing


def test_runs_are_monday_or_the_first_at_six_local_time_across_a_month_end():
    # 2026-01-31 20:00 UTC is already Sunday 1 February 03:00 in Jakarta (UTC+7).
    moment = utc(2026, 1, 31, 20, 0)
    assert next_run_after(MONTHLY, moment, "Asia/Jakarta") == utc(2026, 1, 31, 23, 0)
    assert next_run_after(MONTHLY, moment, "UTC") == utc(2026, 2, 1, 6, 0)
    assert next_run_after(WEEKLY, moment, "Asia/Jakarta") == utc(2026, 2, 1, 23, 0)
    assert next_run_after(WEEKLY, moment, "UTC") == utc(2026, 2, 2, 6, 0)
    # The month just ended differs by timezone at that moment.
    assert last_full_period(MONTHLY, moment, "Asia/Jakarta") == (
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert last_full_period(MONTHLY, moment, "UTC") == (date(2025, 12, 1), date(2025, 12, 31))
    assert last_full_period(WEEKLY, utc(2026, 2, 1, 23, 0), "Asia/Jakarta") == (
        date(2026, 1, 26),
        date(2026, 2, 1),
    )
    # Exactly at a run time, the next run is the one after.
    assert next_run_after(MONTHLY, utc(2026, 1, 31, 23, 0), "Asia/Jakarta") == utc(
        2026, 2, 28, 23, 0
    )


def test_run_times_follow_daylight_saving_time():
    # New York moves to EDT on Sunday 8 March 2026: 06:00 local is 11:00 UTC, then 10:00.
    assert next_run_after(WEEKLY, utc(2026, 3, 1, 12), "America/New_York") == utc(2026, 3, 2, 11)
    assert next_run_after(WEEKLY, utc(2026, 3, 5, 12), "America/New_York") == utc(2026, 3, 9, 10)
    assert next_run_after(MONTHLY, utc(2026, 10, 15), "Europe/Berlin") == utc(2026, 11, 1, 5)


async def test_a_schedule_starts_at_the_next_run_in_the_workspace_timezone(world):
    await Workspace.filter(id=world.workspace_id).update(timezone="Asia/Jakarta")
    monthly = await schedule(world, MONTHLY, utc(2026, 1, 31, 20, 0))
    weekly = await schedule(world, WEEKLY, utc(2026, 1, 31, 20, 0))
    assert (await ReportSchedule.get(id=monthly.id)).next_run_at == utc(2026, 1, 31, 23, 0)
    assert (await ReportSchedule.get(id=weekly.id)).next_run_at == utc(2026, 2, 1, 23, 0)
    assert await Report.all().count() == 0
    assert await queued_ids() == []


# The round


async def test_the_round_makes_one_report_per_period_even_when_run_twice(world):
    await Workspace.filter(id=world.workspace_id).update(timezone="Asia/Jakarta")
    monthly = await schedule(world, MONTHLY, utc(2026, 1, 31, 20, 0))
    now = utc(2026, 1, 31, 23, 12)  # the round after the run time: 1 Feb 06:12 in Jakarta

    first = await report_round(now)
    again = await report_round(now)
    assert (first.made, again.made) == (1, 0)
    [report] = await Report.all()
    assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert report.schedule_id == monthly.id and report.status == ReportStatus.PENDING
    assert report.frequency == MONTHLY and report.name == "Kopi monthly"
    assert report_window(report) == Window(Period.MONTH, date(2026, 1, 1), date(2026, 1, 31))
    moved = await ReportSchedule.get(id=monthly.id)
    assert moved.next_run_at == utc(2026, 2, 28, 23, 0)
    assert await queued_ids() == [f"report:{report.id}"]

    # A round that finds the schedule due again for the same period (say, restored from a
    # backup) still makes no second report.
    await ReportSchedule.filter(id=monthly.id).update(next_run_at=now)
    assert (await report_round(now + timedelta(minutes=5))).made == 1
    assert await Report.all().count() == 1
    assert await queued_ids() == [f"report:{report.id}"]


async def test_a_cancelled_schedule_makes_no_report(world):
    weekly = await schedule(world, WEEKLY, utc(2026, 1, 1))
    await ReportSchedule.filter(id=weekly.id).update(cancelled_at=utc(2026, 1, 2))
    assert (await report_round(utc(2026, 1, 10))).made == 0
    assert await Report.all().count() == 0


async def test_the_round_requeues_lost_builds_and_gives_up_after_a_day(world):
    lost = await once(world)
    stale = await once(world, name="Old")
    await (await get_job_pool()).delete(f"arq:job:report:{lost.id}")
    from domain.jobs import QUEUE_NAME
    from domain.redis import get_redis

    await get_redis().delete(QUEUE_NAME)  # Redis lost its queue
    now = datetime.now(UTC)
    await Report.filter(id=lost.id).update(created_at=now - timedelta(hours=2))
    await Report.filter(id=stale.id).update(created_at=now - timedelta(days=2))
    result = await report_round(now)
    assert (result.requeued, result.given_up) == (1, 1)
    assert await queued_ids() == [f"report:{lost.id}"]
    failed = await Report.get(id=stale.id)
    assert failed.status == ReportStatus.FAILED and "Ask for it again" in failed.failure_reason


# Building


async def test_a_build_makes_the_three_files_once(world):
    channel = await world.channel()
    for age, tags in ((1, ["promo"]), (26, []), (50, ["promo", "kopi"])):
        await world.published(channel, age=timedelta(hours=age), tags=tags, body=f"Kopi {age}")
    await collect(channel)
    report = await once(world)

    assert await build_report(report.id) == ReportStatus.READY
    built = await Report.get(id=report.id)
    assert built.status == ReportStatus.READY and built.ready_at is not None
    assert built.storage_prefix.startswith(f"{STORAGE_ROOT}/{world.workspace_id}/{report.id}-")
    storage = get_storage()
    summary = json.loads(await storage.read(f"{built.storage_prefix}/report.json"))
    rows = list(
        csv.DictReader(
            io.StringIO((await storage.read(f"{built.storage_prefix}/report.csv")).decode())
        )
    )
    chart = await storage.read(f"{built.storage_prefix}/chart.png")
    assert chart.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(rows) == 3 and summary["current"]["posts"] == 3
    assert [row["text_excerpt"] for row in rows] == ["Kopi 50", "Kopi 26", "Kopi 1"]
    assert rows[0]["tags"] == "promo; kopi" and rows[0]["networks"] == "SANDBOX"
    assert summary["workspace"]["name"] == "Analytics"
    assert [item["rank"] for item in summary["topPosts"]] == [1, 2, 3]
    assert summary["byNetwork"][0]["network"] == "SANDBOX"
    assert summary["byChannel"][0]["channelId"] == to_global_id("Channel", channel.id)

    # The job again (a retry, a duplicate): nothing changes.
    assert await build_report(report.id) == ReportStatus.READY
    again = await Report.get(id=report.id)
    assert (again.storage_prefix, again.ready_at) == (built.storage_prefix, built.ready_at)


async def test_the_json_totals_are_the_overview_of_the_same_window_and_filter(world):
    channel, other = await world.channel(), await world.channel()
    await world.published(channel, tags=["promo"])
    await world.published(channel)
    await world.published(other, tags=["promo"])
    await collect(channel, other)
    scope = Scope(tags=("promo",))
    report = await once(world, scope=scope)
    await build_report(report.id)
    built = await Report.get(id=report.id)
    summary = json.loads(await get_storage().read(f"{built.storage_prefix}/report.json"))
    workspace = await Workspace.get(id=world.workspace_id)
    expected = await overview(workspace, report_window(built), scope)
    assert summary["current"]["posts"] == expected.current.posts == 2
    assert summary["current"]["likes"] == expected.current.likes
    assert summary["current"]["engagements"] == expected.current.engagements
    assert summary["filter"]["tags"] == ["promo"]


async def test_building_costs_the_same_statements_for_few_or_many_posts(world):
    small, large = await world.channel(), await world.channel()
    for _ in range(2):
        await world.published(small)
    for _ in range(9):
        await world.published(large)
    await collect(small, large)
    few = await once(world, scope=Scope(channel_ids=(small.id,)))
    many = await once(world, scope=Scope(channel_ids=(large.id,)))
    with QueryCounter().count() as few_statements:
        await build_report(few.id)
    with QueryCounter().count() as many_statements:
        await build_report(many.id)
    assert len(few_statements) == len(many_statements)
    sizes = []
    for report in (few, many):
        prefix = (await Report.get(id=report.id)).storage_prefix
        sizes.append(len((await get_storage().read(f"{prefix}/report.csv")).splitlines()) - 1)
    assert sizes == [2, 9]


async def test_a_failure_is_retried_then_marks_the_report_failed(world, monkeypatch):
    report = await once(world)

    def broken(data):
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(report_build, "render_all", broken)
    with pytest.raises(RuntimeError):
        await build_report(report.id, attempt=1, max_attempts=3)
    assert (await Report.get(id=report.id)).status == ReportStatus.PENDING
    assert await build_report(report.id, attempt=3, max_attempts=3) == ReportStatus.FAILED
    failed = await Report.get(id=report.id)
    assert failed.status == ReportStatus.FAILED and failed.storage_prefix is None
    assert "SELECT" not in failed.failure_reason and "Traceback" not in failed.failure_reason
    # A FAILED report is final: a late job leaves it alone.
    monkeypatch.undo()
    assert await build_report(report.id) == ReportStatus.FAILED


async def test_a_missing_report_builds_nothing():
    assert await build_report(123456) is None


# Rendering


async def test_files_are_safe_for_spreadsheets_and_odd_names(world):
    channel = await world.channel()
    await world.published(channel, body='=HYPERLINK("http://x")\nsecond line', tags=["+1"])
    await collect(channel)
    report = await once(world, name="Sale $5 & 50% off 🎉")
    built = await Report.get(id=report.id)
    workspace = await Workspace.get(id=world.workspace_id)
    data = await report_data(built, workspace, report_window(built), Scope(), datetime.now(UTC))
    files = render_all(data)
    [row] = list(csv.DictReader(io.StringIO(files["report.csv"].decode())))
    assert row["text_excerpt"].startswith("'=HYPERLINK") and "\n" not in row["text_excerpt"]
    assert row["tags"] == "'+1"
    assert row["post_id"] == global_id("Post", data.posts[0].post_id)
    assert global_id("Post", 42) == to_global_id("Post", 42)
    assert files["chart.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert json.loads(files["report.json"])["report"]["name"] == "Sale $5 & 50% off 🎉"


async def test_a_two_year_window_renders(world):
    channel = await world.channel()
    await world.published(channel)
    await collect(channel)
    today = datetime.now(UTC).date()
    async with unit_of_work():
        made = await create_report(
            world.actor,
            workspace_id=world.workspace_id,
            draft=ReportDraft(
                name="Two years",
                frequency=ONCE,
                window=WindowRequest(Period.CUSTOM, start=today - timedelta(days=730), end=today),
            ),
        )
    assert await build_report(made.report.id) == ReportStatus.READY


# The worker's side


async def test_the_job_retries_then_fails_the_report_and_the_cron_is_registered(world, monkeypatch):
    from arq import Retry

    from workers import settings as worker_settings
    from workers.analytics import build_report_job, report_round_job

    report = await once(world)
    monkeypatch.setattr(report_build, "render_all", lambda data: 1 / 0)
    with pytest.raises(Retry):
        await build_report_job({"job_try": 1}, report.id)
    assert await build_report_job({"job_try": 3}, report.id) == "FAILED"
    assert await report_round_job({}) == 0
    names = {job.name for job in worker_settings.JOBS}
    assert "analytics.build_report" in names
    crons = {job.name: job for job in worker_settings.WorkerSettings.cron_jobs}
    assert crons["cron:analytics.report_round"].minute == 12
