"""Totals of the posts in a scope, grouped by a dimension or by publishing day.

A fixed number of statements whatever the number of posts: one for the metric sums, one
each for link clicks and conversions per target, one to place those targets in their
groups, and the audience and customer reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date, timedelta
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.analytics.models import (
    ChannelMetricDay,
    Conversion,
    TargetMetrics,
    TargetTag,
    TrackedLink,
)
from domain.analytics.readings import METRIC_FIELDS
from domain.analytics.scope import GROUP_FIELDS, Dimension, Scope, scoped_targets
from domain.analytics.totals import Totals
from domain.channels.models import Channel

DAY = "published_day"  # grouping by publishing day (for time series)
Group = Dimension | str | None
_SUMS = {name: Sum(name) for name in METRIC_FIELDS}
_TAG_SUMS = {name: Sum(f"target_metrics__{name}") for name in METRIC_FIELDS}


async def totals_by(
    workspace_id: int, start: date | None, end: date | None, scope: Scope, group: Group = None
) -> dict[Hashable, Totals]:
    """Totals per group key (None when ungrouped) for posts published on start..end (no
    bound when None: a post's lifetime). Audience numbers need both bounds."""
    targets = scoped_targets(workspace_id, start, end, scope)
    result: dict[Hashable, Totals] = defaultdict(Totals)
    for key, row in await _metric_rows(workspace_id, targets, group):
        result[key].add_metrics(row)
    await _add_links_and_conversions(workspace_id, targets, group, result)
    audience_applies = start is not None and end is not None and not scope.narrower_than_channels
    if group in (None, Dimension.CHANNEL, Dimension.NETWORK) and audience_applies:
        await _add_audience(workspace_id, start, end, scope, group, result)
    if group is None:
        await _add_customers(workspace_id, targets, result[None])
    return dict(result)


async def _metric_rows(
    workspace_id: int, targets: QuerySet[TargetMetrics], group: Group
) -> list[tuple[Hashable, dict]]:
    counts = {"targets": Count("id"), "posts": Count("post_id", distinct=True)}
    if group == Dimension.TAG:
        rows = (
            await TargetTag.filter(
                workspace_id=workspace_id, target_metrics_id__in=Subquery(targets.values("id"))
            )
            .annotate(
                targets=Count("target_metrics_id"),
                posts=Count("target_metrics__post_id", distinct=True),
                **_TAG_SUMS,
            )
            .group_by("tag")
            .values("tag", "targets", "posts", *METRIC_FIELDS)
        )
        return [(row["tag"], row) for row in rows]
    if group is None:
        rows = await targets.annotate(**counts, **_SUMS).values("targets", "posts", *METRIC_FIELDS)
        return [(None, row) for row in rows if row["targets"]]
    column = DAY if group == DAY else GROUP_FIELDS[group]
    rows = (
        await targets.annotate(**counts, **_SUMS)
        .group_by(column)
        .values(column, "targets", "posts", *METRIC_FIELDS)
    )
    return [(row[column], row) for row in rows]


async def _add_links_and_conversions(
    workspace_id: int, targets: QuerySet[TargetMetrics], group: Group, result: dict
) -> None:
    in_scope = Subquery(targets.values("target_id"))
    clicks = (
        await TrackedLink.filter(workspace_id=workspace_id, target_id__in=in_scope)
        .annotate(total=Sum("clicks"))
        .group_by("target_id")
        .values("target_id", "total")
    )
    sales = (
        await Conversion.filter(workspace_id=workspace_id, target_id__in=in_scope)
        .annotate(count=Count("id"), amount=Sum("value"))
        .group_by("target_id", "currency")
        .values("target_id", "currency", "count", "amount")
    )
    touched = {row["target_id"] for row in clicks} | {row["target_id"] for row in sales}
    keys = await _group_keys(workspace_id, touched, group)
    for row in clicks:
        for key in keys.get(row["target_id"], ()):
            result[key].link_clicks += int(row["total"] or 0)
    for row in sales:
        for key in keys.get(row["target_id"], ()):
            result[key].conversions += row["count"]
            result[key].add_revenue(row["currency"], Decimal(row["amount"] or 0))


async def _group_keys(workspace_id: int, target_ids: set[int], group: Group) -> dict[int, list]:
    """The group key(s) of each target (a target has several tags, or none)."""
    if not target_ids:
        return {}
    if group is None:
        return {target_id: [None] for target_id in target_ids}
    if group == Dimension.TAG:
        rows = await TargetTag.filter(
            workspace_id=workspace_id, target_metrics__target_id__in=target_ids
        ).values("target_metrics__target_id", "tag")
        keys: dict[int, list] = defaultdict(list)
        for row in rows:
            keys[row["target_metrics__target_id"]].append(row["tag"])
        return keys
    column = DAY if group == DAY else GROUP_FIELDS[group]
    rows = await TargetMetrics.filter(workspace_id=workspace_id, target_id__in=target_ids).values(
        "target_id", column
    )
    return {row["target_id"]: [row[column]] for row in rows}


async def audience_rows(
    workspace_id: int, start: date, end: date, scope: Scope
) -> tuple[list[dict], dict[int, str]]:
    """Daily audience rows of the scope's channels from the day before `start` to `end`,
    and each channel's network."""
    channels = Channel.filter(workspace_id=workspace_id)
    if scope.channel_ids:
        channels = channels.filter(id__in=scope.channel_ids)
    if scope.platforms:
        channels = channels.filter(platform__in=scope.platforms)
    platforms = dict(await channels.values_list("id", "platform"))
    rows = await (
        ChannelMetricDay.filter(
            workspace_id=workspace_id,
            channel_id__in=list(platforms) or [0],
            day__gte=start - timedelta(days=1),
            day__lte=end,
        )
        .order_by("channel_id", "day")
        .values("channel_id", "day", "followers", "profile_views")
    )
    return rows, {channel_id: str(platform) for channel_id, platform in platforms.items()}


def audience_of(rows: list[dict], start: date) -> tuple[int | None, int | None, int | None]:
    """Followers at the end, growth over the range and profile views within it, for one
    channel's rows (ordered by day, starting at most one day before `start`)."""
    followers = [(row["day"], row["followers"]) for row in rows if row["followers"] is not None]
    last = followers[-1][1] if followers else None
    growth = last - followers[0][1] if len(followers) > 1 else None
    views = [row["profile_views"] for row in rows if row["day"] >= start]
    counted = [value for value in views if value is not None]
    return last, growth, (sum(counted) if counted else None)


async def _add_audience(
    workspace_id: int, start: date, end: date, scope: Scope, group: Group, result: dict
) -> None:
    rows, platforms = await audience_rows(workspace_id, start, end, scope)
    by_channel: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_channel[row["channel_id"]].append(row)
    for channel_id, channel_rows in by_channel.items():
        key = _audience_key(group, channel_id, platforms)
        followers, growth, views = audience_of(channel_rows, start)
        totals = result[key]
        totals.followers = _plus(totals.followers, followers)
        totals.follower_growth = _plus(totals.follower_growth, growth)
        totals.profile_views = _plus(totals.profile_views, views)


def _audience_key(group: Group, channel_id: int, platforms: dict[int, str]) -> Hashable:
    if group == Dimension.CHANNEL:
        return channel_id
    if group == Dimension.NETWORK:
        return platforms.get(channel_id)
    return None


def _plus(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return value if total is None else total + value


async def _add_customers(
    workspace_id: int, targets: QuerySet[TargetMetrics], totals: Totals
) -> None:
    """Customers who bought through these posts, how many bought again, and what each
    brought in over all their purchases (lifetime value, per currency)."""
    buyers = Conversion.filter(
        workspace_id=workspace_id,
        target_id__in=Subquery(targets.values("target_id")),
        customer_hash__not_isnull=True,
    ).values("customer_hash")
    rows = (
        await Conversion.filter(workspace_id=workspace_id, customer_hash__in=Subquery(buyers))
        .annotate(count=Count("id"), amount=Sum("value"))
        .group_by("customer_hash", "currency")
        .values("customer_hash", "currency", "count", "amount")
    )
    purchases: dict[str, int] = defaultdict(int)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    spenders: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        purchases[row["customer_hash"]] += row["count"]
        spent[row["currency"]] += Decimal(row["amount"] or 0)
        spenders[row["currency"]].add(row["customer_hash"])
    totals.customers = len(purchases)
    totals.repeat_customers = sum(1 for count in purchases.values() if count > 1)
    totals.lifetime_value = {
        currency: (amount / len(spenders[currency])).quantize(Decimal("0.0001"))
        for currency, amount in spent.items()
    }
