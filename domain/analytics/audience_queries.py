"""Reading the channels' daily audience for a scope: followers at the end of a range, the
growth over it, and the profile views within it."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import connections
from tortoise.functions import Max, Min, Sum

from domain.analytics.models import ChannelMetricDay
from domain.analytics.scope import Scope
from domain.channels.models import Channel


@dataclass(frozen=True)
class Audience:
    followers: int | None
    growth: int | None
    profile_views: int | None


async def scope_channels(workspace_id: int, scope: Scope) -> dict[int, str]:
    """The scope's channels and their networks."""
    channels = Channel.filter(workspace_id=workspace_id)
    if scope.channel_ids:
        channels = channels.filter(id__in=scope.channel_ids)
    if scope.platforms:
        channels = channels.filter(platform__in=scope.platforms)
    return {
        channel_id: str(platform)
        for channel_id, platform in await channels.values_list("id", "platform")
    }


async def audience_by_channel(
    workspace_id: int, start: date, end: date, channel_ids: list[int]
) -> dict[int, Audience]:
    """Each channel's audience over start..end, in three small aggregate reads whatever the
    number of days: the first and last day with a follower count (from the day before
    `start`, so growth covers the whole range), the views summed, and the counts of those
    boundary days."""
    days = ChannelMetricDay.filter(workspace_id=workspace_id, channel_id__in=channel_ids or [0])
    bounds = (
        await days.filter(
            day__gte=start - timedelta(days=1), day__lte=end, followers__not_isnull=True
        )
        .annotate(first=Min("day"), last=Max("day"))
        .group_by("channel_id")
        .values("channel_id", "first", "last")
    )
    views = dict(
        await days.filter(day__gte=start, day__lte=end, profile_views__not_isnull=True)
        .annotate(total=Sum("profile_views"))
        .group_by("channel_id")
        .values_list("channel_id", "total")
    )
    wanted = {row["first"] for row in bounds} | {row["last"] for row in bounds}
    followers: dict[tuple[int, date], int] = {}
    if wanted:
        for channel_id, day, count in await days.filter(day__in=wanted).values_list(
            "channel_id", "day", "followers"
        ):
            followers[(channel_id, day)] = count
    found: dict[int, Audience] = defaultdict(lambda: Audience(None, None, None))
    for row in bounds:
        last = followers.get((row["channel_id"], row["last"]))
        first = followers.get((row["channel_id"], row["first"]))
        growth = last - first if row["first"] != row["last"] and None not in (first, last) else None
        total = views.get(row["channel_id"])
        found[row["channel_id"]] = Audience(last, growth, None if total is None else int(total))
    for channel_id, total in views.items():
        if channel_id not in found:
            found[channel_id] = Audience(None, None, int(total))
    return dict(found)


_ROWS = (
    "SELECT channel_id, day, followers, profile_views FROM channel_metric_days "
    "WHERE workspace_id = {0} AND day >= {1} AND day <= {2} ORDER BY channel_id, day"
)


async def audience_rows(
    workspace_id: int, start: date, end: date, channel_ids: list[int]
) -> list[tuple[int, date, int | None, int | None]]:
    """Daily rows (channel, day, followers, profile views) of the channels from the day
    before `start` to `end`, ordered by channel and day, for time series (plain SQL: a year
    of twenty channels is thousands of rows)."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    marks = ("$1", "$2", "$3") if postgres else "???"
    _, rows = await connection.execute_query(
        _ROWS.format(*marks), [workspace_id, start - timedelta(days=1), end]
    )
    wanted = set(channel_ids)
    return [
        (row[0], row[1] if postgres else date.fromisoformat(row[1]), row[2], row[3])
        for row in rows
        if row[0] in wanted
    ]


class ChannelDays:
    """One channel's daily rows, indexed so the audience of any range of days is a few
    look-ups (a daily series asks for hundreds of ranges)."""

    def __init__(self, rows: list[tuple[int, date, int | None, int | None]]):
        self.days = [row[1] for row in rows]
        self.followers = [row[2] for row in rows]
        count = len(rows)
        self.next_known = [count] * (count + 1)
        for i in range(count - 1, -1, -1):
            self.next_known[i] = i if self.followers[i] is not None else self.next_known[i + 1]
        self.last_known = [-1] * count
        for i in range(count):
            known = self.followers[i] is not None
            self.last_known[i] = i if known else (self.last_known[i - 1] if i else -1)
        self.views = [0] * (count + 1)
        self.viewed = [0] * (count + 1)
        for i, row in enumerate(rows):
            self.views[i + 1] = self.views[i] + (row[3] or 0)
            self.viewed[i + 1] = self.viewed[i] + (row[3] is not None)

    def audience(self, start: date, end: date) -> Audience:
        """Followers at the last known day of start-1..end, the change since the first known
        day of that range, and the views of start..end."""
        low = bisect_left(self.days, start - timedelta(days=1))
        high = bisect_right(self.days, end)
        first = self.next_known[low] if low < len(self.days) else len(self.days)
        last = self.last_known[high - 1] if high else -1
        followers = growth = None
        if first < high and last >= low:
            followers = self.followers[last]
            growth = followers - self.followers[first] if last > first else None
        since = bisect_left(self.days, start)
        views = None
        if high > since and self.viewed[high] - self.viewed[since]:
            views = self.views[high] - self.views[since]
        return Audience(followers, growth, views)
