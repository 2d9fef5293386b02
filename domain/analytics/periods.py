"""Reporting periods in a workspace's timezone: days, ISO weeks, calendar months, or a
custom range of days, each with the period before it for comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ErrorCode, Problems

MAX_RANGE_DAYS = 731  # two years, a leap day included


class Period(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    CUSTOM = "CUSTOM"


class Interval(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_zone(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(zone(timezone))


def hour_of_week(local: datetime) -> int:
    """0 = Monday 00:00-00:59 ... 167 = Sunday 23:00-23:59."""
    return local.weekday() * 24 + local.hour


def today_in(timezone: str) -> date:
    return datetime.now(UTC).astimezone(zone(timezone)).date()


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Window:
    """Days `start`..`end`, both included, in the workspace's timezone."""

    period: Period
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        """The period just before: the previous day, week or calendar month, or as many
        days right before a custom range."""
        if self.period == Period.MONTH:
            start = _month_start(self.start - timedelta(days=1))
            return Window(self.period, start, self.start - timedelta(days=1))
        return Window(
            self.period,
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
        )


def window_for(
    period: Period,
    *,
    today: date,
    on: date | None = None,
    start: date | None = None,
    end: date | None = None,
    field: str = "window",
) -> Window:
    """The window a request names; ValidationFailed lists everything wrong with it."""
    problems = Problems()
    if period == Period.CUSTOM:
        if start is None:
            problems.add(f"{field}.start", ErrorCode.REQUIRED, "A custom period needs a start day.")
        if end is None:
            problems.add(f"{field}.end", ErrorCode.REQUIRED, "A custom period needs an end day.")
        if start and end and end < start:
            problems.add(f"{field}.end", ErrorCode.INVALID, "The end is before the start.")
        if start and end and (end - start).days + 1 > MAX_RANGE_DAYS:
            problems.add(
                f"{field}.end", ErrorCode.RANGE_TOO_LONG, "A range may span at most two years."
            )
        problems.raise_if_any()
        return Window(period, start, end)
    if start is not None or end is not None:
        problems.add(
            f"{field}.start", ErrorCode.INVALID, "start and end belong to a CUSTOM period."
        )
        problems.raise_if_any()
    day = on or today
    if period == Period.DAY:
        return Window(period, day, day)
    if period == Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Window(period, monday, monday + timedelta(days=6))
    first = _month_start(day)
    return Window(period, first, _next_month(first) - timedelta(days=1))


def interval_start(day: date, interval: Interval) -> date:
    if interval == Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval == Interval.MONTH:
        return _month_start(day)
    return day


def interval_starts(window: Window, interval: Interval) -> list[date]:
    """The start day of every interval that overlaps the window, in order."""
    starts, day = [], interval_start(window.start, interval)
    while day <= window.end:
        starts.append(day)
        if interval == Interval.DAY:
            day += timedelta(days=1)
        elif interval == Interval.WEEK:
            day += timedelta(days=7)
        else:
            day = _next_month(day)
    return starts
