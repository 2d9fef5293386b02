"""Reports: a summary of a period's results as three files (JSON, CSV, PNG chart), made by
a worker job and downloaded through signed, expiring URLs.

A report is asked for once (over any window up to two years) or on a schedule (every past
ISO week or calendar month, in the workspace's timezone; see `report_schedules`). Asking
writes a PENDING `Report` (or a `ReportSchedule`) and queues the build after commit; the
build (`report_build`) renders the files and marks the report READY.

The filter a report was asked with is stored as JSON (`filters`), with the kind of window
(`period`) for one-off reports, so the build rebuilds exactly the Scope and Window the
caller saw validated.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from domain.analytics.models import Report, ReportFrequency, ReportSchedule, ReportStatus
from domain.analytics.overview import MAX_SCOPE_IDS, check_scope, readable_workspace
from domain.analytics.periods import Period, Window, today_in, window_for
from domain.analytics.report_timing import next_run_after
from domain.analytics.scope import Scope
from domain.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    Problem,
    Problems,
    ValidationFailed,
)
from domain.identity.roles import Permission
from domain.jobs import enqueue_after_commit
from domain.pagination import Page, check_page_args
from domain.settings import get_settings
from domain.storage import Signature, check_signature, get_storage, signed_url_until
from domain.tenancy import Actor, readable_row, visible_to, workspace_for

BUILD_REPORT_JOB = "analytics.build_report"
REPORT_READY = "analytics.report_ready"
BUILD_REPORT_TRIES = 3
MAX_NAME_LENGTH = 120
MAX_TAG_LENGTH = 100
MAX_ACTIVE_SCHEDULES = 100

# Files live under `reports/<workspace id>/<report id>-<random>/` in the storage; their
# download URLs name the part after `reports/` (the route is `/reports/{key}`).
STORAGE_ROOT = "reports"
URL_PURPOSE = "reports"
JSON_FILE, CSV_FILE, PNG_FILE = "report.json", "report.csv", "chart.png"
CONTENT_TYPES = {
    JSON_FILE: "application/json",
    CSV_FILE: "text/csv; charset=utf-8",
    PNG_FILE: "image/png",
}
_KEY = re.compile(
    r"(?P<workspace>[0-9]{1,19})/(?P<report>[0-9]{1,19})-[A-Za-z0-9_-]{8,64}/(?P<file>[a-z.]{1,16})"
)


def build_job_id(report_id: int) -> str:
    return f"report:{report_id}"


# The stored filter


def scope_to_json(scope: Scope) -> dict:
    return {
        "channel_ids": list(dict.fromkeys(scope.channel_ids)),
        "platforms": list(dict.fromkeys(scope.platforms)),
        "tags": list(dict.fromkeys(scope.tags)),
        "campaign_ids": list(dict.fromkeys(scope.campaign_ids)),
        "post_ids": list(dict.fromkeys(scope.post_ids)),
    }


def scope_from_json(data: dict | None) -> Scope:
    data = data or {}
    return Scope(
        channel_ids=tuple(int(value) for value in data.get("channel_ids") or ()),
        platforms=tuple(str(value) for value in data.get("platforms") or ()),
        tags=tuple(str(value) for value in data.get("tags") or ()),
        campaign_ids=tuple(int(value) for value in data.get("campaign_ids") or ()),
        post_ids=tuple(int(value) for value in data.get("post_ids") or ()),
    )


_PERIOD_OF = {ReportFrequency.WEEKLY: Period.WEEK, ReportFrequency.MONTHLY: Period.MONTH}


def report_window(report: Report) -> Window:
    """The window a report covers, of the kind it was asked with (which decides the
    period before it: the previous calendar month of a MONTH window, else as many days)."""
    period = _PERIOD_OF.get(report.frequency, Period.CUSTOM)
    stored = (report.filters or {}).get("period")
    if report.frequency == ReportFrequency.ONCE and stored in Period.__members__:
        period = Period(stored)
    return Window(period, report.period_start, report.period_end)


# reportCreate


@dataclass(frozen=True)
class WindowRequest:
    """A window as the caller named it (see `periods.window_for`)."""

    period: Period = Period.WEEK
    on: date | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class ReportDraft:
    name: str
    frequency: ReportFrequency
    window: WindowRequest | None = None
    scope: Scope = field(default_factory=Scope)
    problems: tuple[Problem, ...] = ()  # what translating the input already found


@dataclass(frozen=True)
class Requested:
    """What `create_report` made: a one-off report, or a schedule."""

    report: Report | None = None
    schedule: ReportSchedule | None = None


def _tag_problems(scope: Scope, problems: Problems) -> None:
    if len(scope.tags) > MAX_SCOPE_IDS:
        problems.add("filter.tags", ErrorCode.INVALID, f"at most {MAX_SCOPE_IDS} tags")
    elif any(not tag or len(tag) > MAX_TAG_LENGTH or "\x00" in tag for tag in scope.tags):
        problems.add(
            "filter.tags", ErrorCode.INVALID, f"tags have 1 to {MAX_TAG_LENGTH} characters"
        )


async def create_report(
    actor: Actor, *, workspace_id: int, draft: ReportDraft, now: datetime | None = None
) -> Requested:
    """Ask for a report: a ONCE report is queued for building after commit; WEEKLY and
    MONTHLY make a schedule whose first run is the next Monday (or 1st of the month) 06:00
    in the workspace's timezone. Every problem with the input is reported at once."""
    workspace = await readable_workspace(actor, workspace_id)
    now = now or datetime.now(UTC)
    problems = Problems()
    problems.items.extend(draft.problems)
    problems.check_length("name", draft.name, maximum=MAX_NAME_LENGTH)
    window = None
    if draft.frequency == ReportFrequency.ONCE:
        request = draft.window or WindowRequest()
        today = today_in(workspace.timezone)
        try:
            window = window_for(
                request.period,
                today=today,
                on=request.on,
                start=request.start,
                end=request.end,
                field="window",
            )
        except ValidationFailed as error:
            problems.items.extend(error.problems)
        if window is not None and window.start > today:
            problems.add("window", ErrorCode.INVALID, "The window starts in the future.")
    elif draft.window is not None:
        problems.add(
            "window",
            ErrorCode.INVALID,
            "window is for ONCE reports; scheduled reports cover each past week or month.",
        )
    _tag_problems(draft.scope, problems)
    try:
        await check_scope(workspace.id, draft.scope)
    except NotFound as error:
        problems.items.extend(error.problems)
    if draft.frequency != ReportFrequency.ONCE:
        active = await ReportSchedule.filter(
            workspace_id=workspace.id, cancelled_at__isnull=True
        ).count()
        if active >= MAX_ACTIVE_SCHEDULES:
            problems.add(
                "frequency",
                ErrorCode.NOT_ALLOWED,
                f"A workspace has at most {MAX_ACTIVE_SCHEDULES} report schedules.",
            )
    problems.raise_if_any()

    filters = scope_to_json(draft.scope)
    if window is not None:
        report = await Report.create(
            workspace_id=workspace.id,
            name=draft.name.strip(),
            frequency=ReportFrequency.ONCE,
            period_start=window.start,
            period_end=window.end,
            filters={**filters, "period": window.period.value},
            created_by_id=actor.user_id,
        )
        enqueue_after_commit(BUILD_REPORT_JOB, report.id, job_id=build_job_id(report.id))
        return Requested(report=report)
    schedule = await ReportSchedule.create(
        workspace_id=workspace.id,
        name=draft.name.strip(),
        frequency=draft.frequency,
        filters=filters,
        next_run_at=next_run_after(draft.frequency, now, workspace.timezone),
        created_by_id=actor.user_id,
    )
    return Requested(schedule=schedule)


# reportScheduleCancel


async def cancel_schedule(
    actor: Actor, schedule_id: int, now: datetime | None = None
) -> ReportSchedule:
    """Stop a schedule (reports already made stay). Cancelling twice changes nothing."""
    schedule = await visible_to(actor, ReportSchedule).get_or_none(id=schedule_id)
    if schedule is None:
        raise NotFound("report schedule", field="scheduleId")
    await workspace_for(
        actor, schedule.workspace_id, Permission.ANALYTICS_READ, field_name="scheduleId"
    )
    if schedule.cancelled_at is None:
        schedule.cancelled_at = now or datetime.now(UTC)
        await schedule.save(update_fields=["cancelled_at"])
    return schedule


# reads


async def _newest_first(rows, *, first: int | None, after: str | None) -> Page:
    size, after_id = check_page_args(first, after)
    window = rows.order_by("-id")
    if after_id is not None:
        window = window.filter(id__lt=after_id)
    found = await window.limit(size + 1)
    return Page(found[:size], len(found) > size, after_id is not None, rows)


async def list_reports(
    actor: Actor,
    workspace_id: int,
    *,
    schedule_id: int | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Report]:
    """A workspace's reports, newest first."""
    workspace = await readable_workspace(actor, workspace_id)
    rows = visible_to(actor, Report).filter(workspace_id=workspace.id)
    if schedule_id is not None:
        rows = rows.filter(schedule_id=schedule_id)
    return await _newest_first(rows, first=first, after=after)


async def list_schedules(
    actor: Actor, workspace_id: int, *, first: int | None = None, after: str | None = None
) -> Page[ReportSchedule]:
    """A workspace's report schedules (cancelled ones included), newest first."""
    workspace = await readable_workspace(actor, workspace_id)
    rows = visible_to(actor, ReportSchedule).filter(workspace_id=workspace.id)
    return await _newest_first(rows, first=first, after=after)


async def get_report(actor: Actor, report_id: int) -> Report | None:
    return await readable_row(actor, Report, report_id, Permission.ANALYTICS_READ)


async def get_schedule(actor: Actor, schedule_id: int) -> ReportSchedule | None:
    return await readable_row(actor, ReportSchedule, schedule_id, Permission.ANALYTICS_READ)


# Downloads


@dataclass(frozen=True)
class ReportFileUrls:
    json_url: str
    csv_url: str
    png_url: str
    expires_at: datetime


def file_urls(report: Report, now: float | None = None) -> ReportFileUrls | None:
    """Signed download URLs of a READY report's files, valid `report_url_ttl_s`."""
    if report.status != ReportStatus.READY or not report.storage_prefix:
        return None
    expires = int(now if now is not None else time.time()) + get_settings().report_url_ttl_s
    folder = report.storage_prefix.removeprefix(f"{STORAGE_ROOT}/")

    def url(name: str) -> str:
        return signed_url_until(URL_PURPOSE, f"{folder}/{name}", expires)

    return ReportFileUrls(
        json_url=url(JSON_FILE),
        csv_url=url(CSV_FILE),
        png_url=url(PNG_FILE),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


@dataclass(frozen=True)
class ServedFile:
    content_type: str
    file_name: str
    chunks: AsyncIterator[bytes]


def _download_name(report: Report, file_name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", report.name.lower()).strip("-")[:60].strip("-")
    extension = file_name.rsplit(".", 1)[1]
    suffix = "-chart" if file_name == PNG_FILE else ""
    return f"{words or 'report'}-{report.period_start}-{report.period_end}{suffix}.{extension}"


async def served_file(*, key: str, expires: str, signature: str) -> ServedFile:
    """The report file a signed URL names. The signature is checked first (a forged URL is
    refused whatever it names); a genuine URL of a report that is gone is NOT_FOUND."""
    verdict = check_signature(URL_PURPOSE, key, expires, signature)
    if verdict == Signature.EXPIRED:
        raise DomainError([Problem("expires", ErrorCode.TOKEN_EXPIRED, "this URL has expired")])
    if verdict != Signature.VALID:
        raise DomainError([Problem("signature", ErrorCode.TOKEN_INVALID, "this URL is not valid")])
    match = _KEY.fullmatch(key)
    if match is None or match["file"] not in CONTENT_TYPES:
        raise NotFound("report file", field="key")
    folder = key.rsplit("/", 1)[0]
    report = await Report.get_or_none(
        id=int(match["report"]),
        workspace_id=int(match["workspace"]),
        status=ReportStatus.READY,
        storage_prefix=f"{STORAGE_ROOT}/{folder}",
    )
    if report is None:
        raise NotFound("report file", field="key")
    chunks = get_storage().read_stream(f"{STORAGE_ROOT}/{key}")
    try:
        head = await anext(chunks)
    except StopAsyncIteration:
        head = b""
    except (OSError, ValueError):
        raise NotFound("report file", field="key") from None
    return ServedFile(
        CONTENT_TYPES[match["file"]], _download_name(report, match["file"]), _then(head, chunks)
    )


async def _then(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk
