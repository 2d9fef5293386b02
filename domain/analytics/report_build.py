"""Building a report: read its numbers (a fixed number of statements, whatever the number
of posts), render the files in a worker thread, store them, then mark the report READY and
tell subscribers, in one unit of work.

The job may run more than once: a report that is no longer PENDING is left alone, and of
two builds racing, the one that flips PENDING to READY wins (the other's files are removed).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import anyio.to_thread
from tortoise.expressions import Subquery

from domain.analytics.aggregation import totals_by
from domain.analytics.models import Report, ReportStatus
from domain.analytics.overview import overview, series
from domain.analytics.periods import Interval, Window
from domain.analytics.report_files import ChannelInfo, PostRow, ReportData, render_all
from domain.analytics.reports import (
    REPORT_READY,
    STORAGE_ROOT,
    report_window,
    scope_from_json,
    scope_to_json,
)
from domain.analytics.scope import Dimension, Scope, scoped_targets
from domain.analytics.totals import Totals
from domain.channels.models import Channel
from domain.content.models import Post
from domain.events import Event, emit
from domain.identity.models import Workspace
from domain.storage import get_storage
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)

FAILURE_REASON = (
    "The report could not be made. Ask for it again; if it fails again, contact support."
)


def ready_event(report: Report) -> Event:
    return Event(
        REPORT_READY,
        report.workspace_id,
        {
            "report_id": report.id,
            "name": report.name,
            "status": report.status.value,
            "ready_at": report.ready_at.isoformat() if report.ready_at else None,
        },
    )


async def build_report(
    report_id: int, *, attempt: int = 1, max_attempts: int = 1, now: datetime | None = None
) -> ReportStatus | None:
    """Make a PENDING report's files and mark it READY. An error is raised again while
    attempts remain (the worker retries); on the last attempt the report becomes FAILED
    with a short reason (the details go to the log, never to the API)."""
    try:
        return await _build(report_id, now or datetime.now(UTC))
    except Exception:
        if attempt < max_attempts:
            raise
        logger.exception("report %s failed after %d attempt(s)", report_id, attempt)
        await fail_report(report_id, FAILURE_REASON)
        return ReportStatus.FAILED


async def fail_report(report_id: int, reason: str) -> bool:
    """Mark a PENDING report FAILED and tell subscribers; False if it was not PENDING."""
    async with unit_of_work():
        failed = await Report.filter(id=report_id, status=ReportStatus.PENDING).update(
            status=ReportStatus.FAILED, failure_reason=reason[:500]
        )
        if failed:
            report = await Report.get(id=report_id)
            await emit(ready_event(report))
    return bool(failed)


async def _build(report_id: int, now: datetime) -> ReportStatus | None:
    report = await Report.get_or_none(id=report_id)
    if report is None or report.status != ReportStatus.PENDING:
        return report.status if report else None
    workspace = await Workspace.get(id=report.workspace_id)
    scope = scope_from_json(report.filters)
    data = await report_data(report, workspace, report_window(report), scope, now)
    files = await anyio.to_thread.run_sync(render_all, data)

    storage = get_storage()
    prefix = f"{STORAGE_ROOT}/{workspace.id}/{report.id}-{secrets.token_urlsafe(12)}"
    for name, content in files.items():
        await storage.write(f"{prefix}/{name}", content)
    async with unit_of_work():
        made = await Report.filter(id=report.id, status=ReportStatus.PENDING).update(
            status=ReportStatus.READY, ready_at=now, storage_prefix=prefix
        )
        if made:
            report.status, report.ready_at, report.storage_prefix = ReportStatus.READY, now, prefix
            await emit(ready_event(report))
    if not made:  # another build finished first: its files are the report's
        for name in files:
            await storage.delete(f"{prefix}/{name}")
        return (await Report.get(id=report.id)).status
    return ReportStatus.READY


async def report_data(
    report: Report, workspace: Workspace, window: Window, scope: Scope, now: datetime
) -> ReportData:
    """Everything the files show, read in a fixed number of statements."""
    by_channel = await overview(workspace, window, scope, Dimension.CHANNEL)
    by_network = await overview(workspace, window, scope, Dimension.NETWORK)
    per_post = await totals_by(workspace.id, window.start, window.end, scope, Dimension.POST)
    points = await series(workspace, window, Interval.DAY, scope)
    in_window = scoped_targets(workspace.id, window.start, window.end, scope)
    targets = await in_window.order_by("published_day", "id").values(
        "post_id", "channel_id", "platform", "published_day"
    )
    posts = {
        row["id"]: row
        for row in await Post.filter(
            workspace_id=workspace.id, id__in=Subquery(in_window.values("post_id"))
        ).values("id", "body", "tags", "campaign__name")
    }
    channels = {
        row["id"]: ChannelInfo(row["id"], row["name"], row["handle"], str(row["platform"]))
        for row in await Channel.filter(workspace_id=workspace.id).values(
            "id", "name", "handle", "platform"
        )
    }
    return ReportData(
        report_id=report.id,
        name=report.name,
        frequency=report.frequency.value,
        workspace_id=workspace.id,
        workspace_name=workspace.name,
        timezone=workspace.timezone,
        window=window,
        filters=scope_to_json(scope),
        overview=by_channel,
        networks=by_network.breakdown,
        channels=channels,
        posts=_post_rows(targets, posts, per_post),
        series=points,
        generated_at=now,
    )


def _post_rows(targets: list[dict], posts: dict[int, dict], per_post: dict) -> list[PostRow]:
    """One row per post published in the window, by publishing day (its first target's)."""
    placed: dict[int, dict] = {}
    for target in targets:
        row = placed.setdefault(
            target["post_id"], {"day": target["published_day"], "channels": {}, "networks": {}}
        )
        row["day"] = min(row["day"], target["published_day"])
        row["channels"][target["channel_id"]] = None
        row["networks"][str(target["platform"])] = None
    rows = []
    for post_id, row in placed.items():
        post = posts.get(post_id) or {}
        tags = post.get("tags") or []
        rows.append(
            PostRow(
                post_id=post_id,
                published_day=row["day"],
                channel_ids=tuple(row["channels"]),
                networks=tuple(sorted(row["networks"])),
                text=post.get("body") or "",
                tags=tuple(tag for tag in tags if isinstance(tag, str)),
                campaign=post.get("campaign__name"),
                totals=per_post.get(post_id) or Totals(),
            )
        )
    rows.sort(key=lambda item: (item.published_day, item.post_id))
    return rows
