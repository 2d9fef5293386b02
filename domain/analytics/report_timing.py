"""When scheduled reports run and which period each covers, in the workspace's timezone.

A weekly schedule runs every Monday at 06:00 and reports on the ISO week just ended; a
monthly one runs on the 1st at 06:00 and reports on the calendar month just ended. Times
are wall-clock times of the workspace's timezone (DST-aware), stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.analytics.models import ReportFrequency
from domain.analytics.periods import zone

RUN_AT = time(6, 0)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def next_run_after(frequency: ReportFrequency, moment: datetime, timezone: str) -> datetime:
    """The first run strictly after `moment`: the next Monday 06:00 (WEEKLY) or the next
    1st of a month 06:00 (MONTHLY), local time, returned in UTC."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    if frequency == ReportFrequency.WEEKLY:
        day = local.date() - timedelta(days=local.weekday())
        step = lambda current: current + timedelta(days=7)  # noqa: E731
    elif frequency == ReportFrequency.MONTHLY:
        day = local.date().replace(day=1)
        step = _next_month
    else:
        raise ValueError(f"{frequency} reports are not scheduled")
    while True:
        candidate = datetime.combine(day, RUN_AT, tzinfo=tz)
        if candidate > local:
            return candidate.astimezone(UTC)
        day = step(day)


def last_full_period(
    frequency: ReportFrequency, moment: datetime, timezone: str
) -> tuple[date, date]:
    """The last ISO week (WEEKLY) or calendar month (MONTHLY) fully over at `moment`, in
    the workspace's timezone: first and last day, both included."""
    today = moment.astimezone(zone(timezone)).date()
    if frequency == ReportFrequency.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if frequency == ReportFrequency.MONTHLY:
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(f"{frequency} reports are not scheduled")
