"""Best time to post: an hour-of-week heatmap from the workspace's own results.

Each of the 168 cells (Monday 00:00 ... Sunday 23:00, in the workspace's timezone) holds the
engagement rate of the posts published in that hour over the look-back period, with the
number of posts behind it. A cell with too few posts falls back, in order, to the channel's
same hour on any day, to the same network's posts across the workspace's channels, and
finally to a general curve of when audiences engage (its rates scaled to the channel's own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from tortoise.functions import Count, Sum

from domain.analytics.models import TargetMetrics
from domain.channels.models import Channel

HOURS_IN_WEEK = 168
LOOKBACK_DAYS = 90
MIN_POSTS = 3
_SUMS = {
    name: Sum(name) for name in ("likes", "comments", "shares", "saves", "reach", "impressions")
}


class CellSource(StrEnum):
    CHANNEL = "CHANNEL"
    CHANNEL_HOUR = "CHANNEL_HOUR"
    WORKSPACE = "WORKSPACE"
    DEFAULT = "DEFAULT"


class RateBasis(StrEnum):
    REACH = "REACH"
    IMPRESSIONS = "IMPRESSIONS"
    POSTS = "POSTS"


@dataclass(frozen=True)
class Cell:
    hour_of_week: int
    posts: int
    rate: float | None
    score: float
    source: CellSource

    @property
    def weekday(self) -> int:
        return self.hour_of_week // 24

    @property
    def hour(self) -> int:
        return self.hour_of_week % 24


@dataclass(frozen=True)
class Heatmap:
    basis: RateBasis
    posts: int
    cells: list[Cell]


@dataclass
class _Counts:
    posts: int = 0
    engagements: int = 0
    reach: int = 0
    impressions: int = 0

    def add(self, row: dict) -> None:
        self.posts += int(row["posts"])
        self.engagements += sum(
            int(row[name] or 0) for name in ("likes", "comments", "shares", "saves")
        )
        self.reach += int(row["reach"] or 0)
        self.impressions += int(row["impressions"] or 0)

    def merge(self, other: _Counts) -> None:
        self.posts += other.posts
        self.engagements += other.engagements
        self.reach += other.reach
        self.impressions += other.impressions

    def rate(self, basis: RateBasis) -> float | None:
        if not self.posts:
            return None
        base = {
            RateBasis.REACH: self.reach,
            RateBasis.IMPRESSIONS: self.impressions,
            RateBasis.POSTS: self.posts,
        }[basis]
        return self.engagements / base if base else None


def default_curve(hour_of_week: int) -> float:
    """A general engagement curve (0..1): weekday mornings, lunch and evenings, weekends
    late morning; used only where the workspace has no data of its own."""
    weekday, hour = divmod(hour_of_week, 24)
    peaks = ((9.5, 1.0), (12.5, 0.9), (19.5, 0.95)) if weekday < 5 else ((11, 0.9), (20, 0.8))
    value = max(height * math.exp(-((hour - at) ** 2) / 4.5) for at, height in peaks)
    return round(max(value, 0.05), 4)


async def _hourly(rows) -> dict[int, _Counts]:
    cells: dict[int, _Counts] = {}
    for row in (
        await rows.annotate(posts=Count("id"), **_SUMS)
        .group_by("published_hour_of_week")
        .values("published_hour_of_week", "posts", *_SUMS)
    ):
        cells.setdefault(row["published_hour_of_week"], _Counts()).add(row)
    return cells


def _basis(cells: dict[int, _Counts]) -> RateBasis:
    if any(counts.reach for counts in cells.values()):
        return RateBasis.REACH
    if any(counts.impressions for counts in cells.values()):
        return RateBasis.IMPRESSIONS
    return RateBasis.POSTS


async def heatmap(channel: Channel, today: date, lookback_days: int = LOOKBACK_DAYS) -> Heatmap:
    since = today - timedelta(days=lookback_days)
    recent = TargetMetrics.filter(workspace_id=channel.workspace_id, published_day__gte=since)
    own = await _hourly(recent.filter(channel_id=channel.id))
    network = await _hourly(recent.filter(platform=channel.platform.value))
    basis = _basis(own or network)
    by_hour: dict[int, _Counts] = {}
    for hour_of_week, counts in own.items():
        by_hour.setdefault(hour_of_week % 24, _Counts()).merge(counts)
    rates: list[tuple[int, int, float | None, CellSource]] = []
    for hour_of_week in range(HOURS_IN_WEEK):
        counts = own.get(hour_of_week, _Counts())
        if counts.posts >= MIN_POSTS:
            rates.append((hour_of_week, counts.posts, counts.rate(basis), CellSource.CHANNEL))
            continue
        same_hour = by_hour.get(hour_of_week % 24, _Counts())
        wide = network.get(hour_of_week, _Counts())
        if same_hour.posts >= MIN_POSTS:
            rates.append(
                (hour_of_week, counts.posts, same_hour.rate(basis), CellSource.CHANNEL_HOUR)
            )
        elif wide.posts >= MIN_POSTS:
            rates.append((hour_of_week, counts.posts, wide.rate(basis), CellSource.WORKSPACE))
        else:
            rates.append((hour_of_week, counts.posts, None, CellSource.DEFAULT))
    return Heatmap(basis, sum(c.posts for c in own.values()), _scored(rates))


def _scored(rates: list[tuple[int, int, float | None, CellSource]]) -> list[Cell]:
    observed = sorted(rate for _, _, rate, _ in rates if rate is not None)
    typical = observed[len(observed) // 2] if observed else None
    filled = []
    for hour_of_week, posts, rate, source in rates:
        if source == CellSource.DEFAULT and typical is not None:
            rate = typical * default_curve(hour_of_week)
        filled.append((hour_of_week, posts, rate, source))
    top = max((rate for _, _, rate, _ in filled if rate is not None), default=None)
    cells = []
    for hour_of_week, posts, rate, source in filled:
        score = (rate or 0.0) / top if top else default_curve(hour_of_week)
        cells.append(Cell(hour_of_week, posts, rate, round(score, 4), source))
    return cells


@dataclass(frozen=True)
class SlotSuggestion:
    weekday: int
    hour: int
    score: float
    posts: int
    source: CellSource


def suggest_slots(cells: list[Cell], count: int, min_gap_hours: int = 3) -> list[SlotSuggestion]:
    """The `count` best hours of the week, spread out: at most ceil(count / 7) + 1 on one
    day and at least `min_gap_hours` apart on the same day. Ordered by weekday and hour."""
    per_day = math.ceil(count / 7) + 1
    chosen: list[Cell] = []
    for cell in sorted(cells, key=lambda c: (-c.score, c.hour_of_week)):
        same_day = [c for c in chosen if c.weekday == cell.weekday]
        if len(same_day) >= per_day:
            continue
        if any(abs(c.hour - cell.hour) < min_gap_hours for c in same_day):
            continue
        chosen.append(cell)
        if len(chosen) == count:
            break
    return [
        SlotSuggestion(c.weekday, c.hour, c.score, c.posts, c.source)
        for c in sorted(chosen, key=lambda c: c.hour_of_week)
    ]
