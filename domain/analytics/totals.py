"""What a set of published posts earned: the metric totals and the values derived from them.

Totals are sums of each target's latest reading. A metric no target reported stays None
(a network that lacks it), never 0; rates are None when their base is missing or zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

from domain.analytics.readings import METRIC_FIELDS


def _sum(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _ratio(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


@dataclass
class Totals:
    targets: int = 0
    posts: int = 0
    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    video_views: int | None = None
    watch_time_s: int | None = None
    link_clicks: int = 0
    conversions: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)
    followers: int | None = None
    follower_growth: int | None = None
    profile_views: int | None = None
    customers: int | None = None
    repeat_customers: int | None = None
    lifetime_value: dict[str, Decimal] = field(default_factory=dict)

    def add_metrics(self, row: dict) -> None:
        """Add a row of sums (targets, posts and METRIC_FIELDS) from a query."""
        self.targets += int(row.get("targets") or 0)
        self.posts += int(row.get("posts") or 0)
        for name in METRIC_FIELDS:
            value = row.get(name)  # PostgreSQL sums bigints as numeric
            setattr(self, name, _sum(getattr(self, name), None if value is None else int(value)))

    def add_revenue(self, currency: str, amount: Decimal) -> None:
        self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + amount

    @property
    def engagements(self) -> int | None:
        return _sum(self.likes, self.comments, self.shares, self.saves)

    @property
    def engagement_rate_by_reach(self) -> float | None:
        return _ratio(self.engagements, self.reach)

    @property
    def engagement_rate_by_impressions(self) -> float | None:
        return _ratio(self.engagements, self.impressions)

    @property
    def click_through_rate(self) -> float | None:
        return _ratio(self.clicks, self.impressions)

    @property
    def conversion_rate(self) -> float | None:
        return _ratio(self.conversions, self.link_clicks)

    @property
    def engagements_per_post(self) -> float | None:
        return _ratio(self.engagements, self.posts)

    @property
    def revenue_per_post(self) -> dict[str, Decimal]:
        if not self.posts:
            return {}
        return {
            currency: (amount / self.posts).quantize(Decimal("0.0001"))
            for currency, amount in self.revenue.items()
        }


# Every number a comparison between two periods covers, by name.
COMPARABLE = (
    "posts",
    *METRIC_FIELDS,
    "engagements",
    "engagement_rate_by_reach",
    "engagement_rate_by_impressions",
    "click_through_rate",
    "link_clicks",
    "conversions",
    "conversion_rate",
    "followers",
    "follower_growth",
    "profile_views",
)


def value_of(totals: Totals, name: str) -> float | None:
    value = getattr(totals, name)
    return None if value is None else float(value)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change; None when there is nothing to compare against."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def total_names() -> tuple[str, ...]:
    return tuple(item.name for item in fields(Totals))
