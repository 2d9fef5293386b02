"""The analytics questions the API answers: totals of a period against the one before,
broken down by a dimension, as a time series, and the best and worst posts.

Results are attributed to the period a post was *published* in (in the workspace's
timezone): a post's likes count toward the week it went out, however late they came.
Audience numbers (followers, profile views) are per calendar day instead.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.analytics.aggregation import DAY, totals_by
from domain.analytics.audience_queries import (
    Audience,
    ChannelDays,
    audience_rows,
    scope_channels,
)
from domain.analytics.periods import Interval, Window, interval_start, interval_starts, today_in
from domain.analytics.scope import Dimension, Scope
from domain.analytics.totals import Totals
from domain.channels.models import Channel
from domain.content.models import Post
from domain.db import read_concurrently
from domain.errors import ErrorCode, NotFound, Problem, ValidationFailed
from domain.identity.models import Workspace
from domain.identity.roles import Permission
from domain.strategy.models import Campaign
from domain.tenancy import Actor, workspace_for

MAX_SCOPE_IDS = 100


@dataclass
class Comparison:
    window: Window
    current: Totals
    previous: Totals


@dataclass
class Overview(Comparison):
    breakdown: dict[Hashable, Comparison] = field(default_factory=dict)


async def readable_workspace(actor: Actor, workspace_id: int) -> Workspace:
    return await workspace_for(actor, workspace_id, Permission.ANALYTICS_READ)


async def check_scope(workspace_id: int, scope: Scope, field_name: str = "filter") -> None:
    """Every id in the scope must belong to the workspace; a foreign one looks missing."""
    checks = (
        (Channel, scope.channel_ids, "channelIds", "channel"),
        (Campaign, scope.campaign_ids, "campaignIds", "campaign"),
        (Post, scope.post_ids, "postIds", "post"),
    )
    for model, ids, name, what in checks:
        if len(ids) > MAX_SCOPE_IDS:
            raise NotFound(what, field=f"{field_name}.{name}")
        if ids:
            found = await model.filter(workspace_id=workspace_id, id__in=ids).count()
            if found != len(set(ids)):
                raise NotFound(what, field=f"{field_name}.{name}")


def check_first(first: int) -> None:
    if not 1 <= first <= 100:
        raise ValidationFailed([Problem("first", ErrorCode.INVALID, "first must be 1 to 100")])


def workspace_today(workspace: Workspace) -> date:
    return today_in(workspace.timezone)


async def overview(
    workspace: Workspace,
    window: Window,
    scope: Scope,
    by: Dimension | None = None,
    *,
    customers: bool = True,
) -> Overview:
    """Totals of the window and the period before; with `by`, also per group. Customer
    numbers (a costly read) are left out with `customers=False`."""
    previous = window.previous()
    reads = [
        totals_by(workspace.id, window.start, window.end, scope, customers=customers),
        totals_by(workspace.id, previous.start, previous.end, scope),
    ]
    if by is not None:
        reads += [
            totals_by(workspace.id, window.start, window.end, scope, by),
            totals_by(workspace.id, previous.start, previous.end, scope, by),
        ]
    current_totals, previous_totals, *grouped = await read_concurrently(*reads)
    result = Overview(
        window,
        current_totals.get(None, Totals()),
        previous_totals.get(None, Totals()),
    )
    if grouped:
        now, before = grouped
        for key in sorted(set(now) | set(before), key=str):
            result.breakdown[key] = Comparison(
                window, now.get(key, Totals()), before.get(key, Totals())
            )
    return result


@dataclass(frozen=True)
class SeriesPoint:
    start: date
    end: date
    totals: Totals


async def series(
    workspace: Workspace, window: Window, interval: Interval, scope: Scope
) -> list[SeriesPoint]:
    """One point per day, week or month of the window (empty periods included), each with
    the totals of the posts published in it and the audience over it."""
    reads = [totals_by(workspace.id, window.start, window.end, scope, DAY)]
    if not scope.narrower_than_channels:
        reads.append(_channel_days(workspace.id, window, scope))
    by_day, *audience = await read_concurrently(*reads)
    starts = interval_starts(window, interval)
    points = {start: Totals() for start in starts}
    for day, totals in by_day.items():
        _merge(points[interval_start(day, interval)], totals)
    ends = [*(start for start in starts[1:]), None]
    result = []
    for start, following in zip(starts, ends, strict=True):
        end = window.end if following is None else min(window.end, _day_before(following))
        result.append(SeriesPoint(max(start, window.start), end, points[start]))
    for channel in audience[0] if audience else []:
        for point in result:
            _add_audience(point.totals, channel.audience(point.start, point.end))
    return result


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _merge(into: Totals, totals: Totals) -> None:
    into.add_metrics(vars(totals))
    into.link_clicks += totals.link_clicks
    into.conversions += totals.conversions
    for currency, amount in totals.revenue.items():
        into.add_revenue(currency, amount)


async def _channel_days(workspace_id: int, window: Window, scope: Scope) -> list[ChannelDays]:
    channels = await scope_channels(workspace_id, scope)
    rows = await audience_rows(workspace_id, window.start, window.end, list(channels))
    by_channel: dict[int, list[tuple]] = {}
    for row in rows:  # ordered by channel, then day
        by_channel.setdefault(row[0], []).append(row)
    return [ChannelDays(channel_rows) for channel_rows in by_channel.values()]


def _add_audience(totals: Totals, audience: Audience) -> None:
    for name, value in (
        ("followers", audience.followers),
        ("follower_growth", audience.growth),
        ("profile_views", audience.profile_views),
    ):
        if value is not None:
            setattr(totals, name, (getattr(totals, name) or 0) + value)


class Order(StrEnum):
    TOP = "TOP"
    BOTTOM = "BOTTOM"


async def ranked_posts(
    workspace: Workspace, window: Window, scope: Scope, metric: str, order: Order, limit: int
) -> list[tuple[int, Totals]]:
    """Posts of the window by a metric; posts without that metric are left out."""
    per_post = await totals_by(workspace.id, window.start, window.end, scope, Dimension.POST)
    valued = [
        (post_id, totals, value)
        for post_id, totals in per_post.items()
        if post_id is not None and (value := metric_value(totals, metric)) is not None
    ]
    valued.sort(key=lambda item: (item[2], -item[0]), reverse=order == Order.TOP)
    return [(post_id, totals) for post_id, totals, _ in valued[:limit]]


def metric_value(totals: Totals, metric: str) -> float | None:
    if metric == "revenue":
        return float(sum(totals.revenue.values())) if totals.revenue else None
    value = getattr(totals, metric)
    return None if value is None else float(value)
