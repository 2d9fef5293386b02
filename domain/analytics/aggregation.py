"""Totals of the posts in a scope, grouped by a dimension or by publishing day.

A fixed number of statements whatever the number of posts: one for the metric sums, one
each for link clicks and conversions per target, one to place those targets in their
groups, and the audience and customer reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.analytics.audience_queries import audience_by_channel, scope_channels
from domain.analytics.models import (
    Conversion,
    TargetMetrics,
    TargetTag,
)
from domain.analytics.readings import METRIC_FIELDS
from domain.analytics.scope import GROUP_FIELDS, Dimension, Scope, scoped_targets
from domain.analytics.totals import Totals
from domain.db import read_concurrently

DAY = "published_day"  # grouping by publishing day (for time series)
Group = Dimension | str | None
_SUMS = {name: Sum(name) for name in METRIC_FIELDS}
_TAG_SUMS = {name: Sum(f"target_metrics__{name}") for name in METRIC_FIELDS}


async def totals_by(
    workspace_id: int,
    start: date | None,
    end: date | None,
    scope: Scope,
    group: Group = None,
    *,
    customers: bool = False,
) -> dict[Hashable, Totals]:
    """Totals per group key (None when ungrouped) for posts published on start..end (no
    bound when None: a post's lifetime). Audience numbers need both bounds; customer
    numbers are read only when asked for (ungrouped)."""
    targets = scoped_targets(workspace_id, start, end, scope)
    result: dict[Hashable, Totals] = defaultdict(Totals)
    reads = [
        _add_metrics(workspace_id, targets, group, result),
        _add_links_and_conversions(workspace_id, targets, group, result),
    ]
    audience_applies = start is not None and end is not None and not scope.narrower_than_channels
    if group in (None, Dimension.CHANNEL, Dimension.NETWORK) and audience_applies:
        reads.append(_add_audience(workspace_id, start, end, scope, group, result))
    if group is None and customers:
        reads.append(_add_customers(workspace_id, targets, result[None]))
    await read_concurrently(*reads)
    return dict(result)


async def _add_metrics(
    workspace_id: int, targets: QuerySet[TargetMetrics], group: Group, result: dict
) -> None:
    for key, row in await _metric_rows(workspace_id, targets, group):
        result[key].add_metrics(row)


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
    """Tracked-link clicks and conversions of the targets, summed per group in SQL (joined
    from the rollup rows, so a post's groups come from the same place as its metrics)."""
    if group == Dimension.TAG:
        base = TargetTag.filter(
            workspace_id=workspace_id, target_metrics_id__in=Subquery(targets.values("id"))
        )
        via, key = "target_metrics__target__", "tag"
    else:
        base, via = targets, "target__"
        key = None if group is None else (DAY if group == DAY else GROUP_FIELDS[group])
    keys = () if key is None else (key,)
    clicks = (
        await base.filter(**{f"{via}tracked_links__id__not_isnull": True})
        .annotate(total=Sum(f"{via}tracked_links__clicks"))
        .group_by(*keys)
        .values(*keys, "total")
    )
    for row in clicks:
        result[row[key] if key else None].link_clicks += int(row["total"] or 0)
    currency = f"{via}conversions__currency"
    sales = (
        await base.filter(**{f"{via}conversions__id__not_isnull": True})
        .annotate(count=Count(f"{via}conversions__id"), amount=Sum(f"{via}conversions__value"))
        .group_by(*keys, currency)
        .values(*keys, currency, "count", "amount")
    )
    for row in sales:
        totals = result[row[key] if key else None]
        totals.conversions += int(row["count"])
        totals.add_revenue(row[currency], Decimal(row["amount"] or 0))


async def _add_audience(
    workspace_id: int, start: date, end: date, scope: Scope, group: Group, result: dict
) -> None:
    platforms = await scope_channels(workspace_id, scope)
    for channel_id, audience in (
        await audience_by_channel(workspace_id, start, end, list(platforms))
    ).items():
        totals = result[_audience_key(group, channel_id, platforms)]
        totals.followers = _plus(totals.followers, audience.followers)
        totals.follower_growth = _plus(totals.follower_growth, audience.growth)
        totals.profile_views = _plus(totals.profile_views, audience.profile_views)


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
