"""GraphQL types of the metrics API: windows, filters, metric sets and comparisons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from api.channels.types import Platform
from api.ids import parse_id
from domain.analytics import periods, scope, totals
from domain.analytics.overview import Comparison, Order
from domain.analytics.periods import Window

AnalyticsPeriod = strawberry.enum(
    periods.Period,
    name="AnalyticsPeriod",
    description="A reporting period in the workspace's timezone: a day, an ISO week "
    "(Monday to Sunday), a calendar month, or a custom range of days.",
)
AnalyticsInterval = strawberry.enum(
    periods.Interval, name="AnalyticsInterval", description="The width of a time-series point."
)
AnalyticsDimension = strawberry.enum(
    scope.Dimension, name="AnalyticsDimension", description="What to break totals down by."
)
RankOrder = strawberry.enum(
    Order, name="RankOrder", description="TOP: highest first. BOTTOM: lowest first."
)


@strawberry.enum(description="A number the metrics API reports.")
class AnalyticsMetric(Enum):
    POSTS = "posts"
    IMPRESSIONS = "impressions"
    REACH = "reach"
    LIKES = "likes"
    COMMENTS = "comments"
    SHARES = "shares"
    SAVES = "saves"
    CLICKS = "clicks"
    VIDEO_VIEWS = "video_views"
    WATCH_TIME_SECONDS = "watch_time_s"
    ENGAGEMENTS = "engagements"
    ENGAGEMENT_RATE_BY_REACH = "engagement_rate_by_reach"
    ENGAGEMENT_RATE_BY_IMPRESSIONS = "engagement_rate_by_impressions"
    CLICK_THROUGH_RATE = "click_through_rate"
    LINK_CLICKS = "link_clicks"
    CONVERSIONS = "conversions"
    CONVERSION_RATE = "conversion_rate"
    REVENUE = "revenue"
    FOLLOWERS = "followers"
    FOLLOWER_GROWTH = "follower_growth"
    PROFILE_VIEWS = "profile_views"


@strawberry.input(
    description="Which period to report on. DAY, WEEK and MONTH take `date` (any day inside "
    "the period, today in the workspace's timezone by default); CUSTOM takes `start` and "
    "`end` (both included, at most two years)."
)
class AnalyticsWindowInput:
    period: AnalyticsPeriod = strawberry.field(
        default=periods.Period.WEEK, description="The kind of period."
    )
    date: date | None = strawberry.field(
        default=None, description="A day inside the period (DAY, WEEK, MONTH)."
    )
    start: date | None = strawberry.field(default=None, description="First day (CUSTOM).")
    end: date | None = strawberry.field(default=None, description="Last day, included (CUSTOM).")

    def to_window(self, today: date) -> Window:
        return periods.window_for(
            self.period, today=today, on=self.date, start=self.start, end=self.end
        )


@strawberry.input(description="Narrow the posts counted; every list given must match.")
class AnalyticsFilterInput:
    channel_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these channels."
    )
    networks: list[Platform] | None = strawberry.field(
        default=None, description="Only these networks."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description="Only posts with any of these tags."
    )
    campaign_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only posts of these campaigns."
    )
    post_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these posts."
    )

    def to_scope(self) -> scope.Scope:
        return scope.Scope(
            channel_ids=tuple(parse_ids(self.channel_ids or [], "Channel", "filter.channelIds")),
            platforms=tuple(network.value for network in self.networks or []),
            tags=tuple(self.tags or ()),
            campaign_ids=tuple(
                parse_ids(self.campaign_ids or [], "Campaign", "filter.campaignIds")
            ),
            post_ids=tuple(parse_ids(self.post_ids or [], "Post", "filter.postIds")),
        )


def parse_ids(ids: list[strawberry.ID], expected_type: str, field: str) -> list[int]:
    return [parse_id(one, expected_type, field) for one in ids]


def to_scope(filter: AnalyticsFilterInput | None) -> scope.Scope:
    return filter.to_scope() if filter else scope.Scope()


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")


def money(amounts: dict[str, Decimal]) -> list[Money]:
    return [Money(amount=amount, currency=currency) for currency, amount in sorted(amounts.items())]


NULL_NOTE = " Null when no network in scope reports it."


@strawberry.type(
    description="What a set of posts earned. Counts are each post's latest reading (never a "
    "sum of readings); a metric no network in scope reports is null, never 0. Rates are "
    "fractions (0.05 = 5 %) and null when their base is missing or zero."
)
class AnalyticsMetrics:
    posts: int = strawberry.field(description="Posts published in the period.")
    targets: int = strawberry.field(description="Post-channel pairs published in the period.")
    impressions: int | None = strawberry.field(description="Times shown." + NULL_NOTE)
    reach: int | None = strawberry.field(description="Accounts reached." + NULL_NOTE)
    likes: int | None = strawberry.field(description="Likes and reactions." + NULL_NOTE)
    comments: int | None = strawberry.field(description="Comments and replies." + NULL_NOTE)
    shares: int | None = strawberry.field(description="Shares, reposts, quotes." + NULL_NOTE)
    saves: int | None = strawberry.field(description="Saves and bookmarks." + NULL_NOTE)
    clicks: int | None = strawberry.field(
        description="Link clicks the networks counted." + NULL_NOTE
    )
    video_views: int | None = strawberry.field(description="Video views." + NULL_NOTE)
    watch_time_seconds: int | None = strawberry.field(
        description="Total video watch time in seconds." + NULL_NOTE
    )
    engagements: int | None = strawberry.field(description="Likes + comments + shares + saves.")
    engagement_rate_by_reach: float | None = strawberry.field(description="Engagements / reach.")
    engagement_rate_by_impressions: float | None = strawberry.field(
        description="Engagements / impressions."
    )
    engagements_per_post: float | None = strawberry.field(
        description="Engagements / posts: what posting more or less earns."
    )
    click_through_rate: float | None = strawberry.field(description="Clicks / impressions.")
    link_clicks: int = strawberry.field(
        description="Clicks on Kelola's tracked links of these posts (one per visitor and hour)."
    )
    conversions: int = strawberry.field(description="Conversions credited to these posts.")
    conversion_rate: float | None = strawberry.field(description="Conversions / link clicks.")
    revenue: list[Money] = strawberry.field(description="Conversion value, per currency.")
    revenue_per_post: list[Money] = strawberry.field(description="Revenue / posts, per currency.")
    followers: int | None = strawberry.field(
        description="Followers of the channels in scope at the end of the period (null when "
        "the filter picks posts rather than channels, or nothing was collected)."
    )
    follower_growth: int | None = strawberry.field(
        description="Followers gained (negative: lost) over the period."
    )
    profile_views: int | None = strawberry.field(description="Profile views during the period.")
    customers: int | None = strawberry.field(
        description="Distinct customers who converted through these posts (overview totals "
        "only; null in breakdowns and series)."
    )
    repeat_customers: int | None = strawberry.field(
        description="Of those, customers with more than one conversion."
    )
    customer_lifetime_value: list[Money] = strawberry.field(
        description="Average value of all conversions per customer, over each customer's "
        "whole history, per currency."
    )

    @classmethod
    def from_totals(cls, row: totals.Totals) -> AnalyticsMetrics:
        return cls(
            posts=row.posts,
            targets=row.targets,
            impressions=row.impressions,
            reach=row.reach,
            likes=row.likes,
            comments=row.comments,
            shares=row.shares,
            saves=row.saves,
            clicks=row.clicks,
            video_views=row.video_views,
            watch_time_seconds=row.watch_time_s,
            engagements=row.engagements,
            engagement_rate_by_reach=row.engagement_rate_by_reach,
            engagement_rate_by_impressions=row.engagement_rate_by_impressions,
            engagements_per_post=row.engagements_per_post,
            click_through_rate=row.click_through_rate,
            link_clicks=row.link_clicks,
            conversions=row.conversions,
            conversion_rate=row.conversion_rate,
            revenue=money(row.revenue),
            revenue_per_post=money(row.revenue_per_post),
            followers=row.followers,
            follower_growth=row.follower_growth,
            profile_views=row.profile_views,
            customers=row.customers,
            repeat_customers=row.repeat_customers,
            customer_lifetime_value=money(row.lifetime_value),
        )


@strawberry.type(description="One metric in this period against the period before.")
class MetricChange:
    metric: AnalyticsMetric = strawberry.field(description="Which metric.")
    current: float | None = strawberry.field(description="Its value in this period.")
    previous: float | None = strawberry.field(description="Its value in the period before.")
    change: float | None = strawberry.field(
        description="(current - previous) / previous; null when there is nothing to compare."
    )


def changes(current: totals.Totals, previous: totals.Totals) -> list[MetricChange]:
    result = []
    for name in totals.COMPARABLE:
        now, before = totals.value_of(current, name), totals.value_of(previous, name)
        result.append(
            MetricChange(
                metric=AnalyticsMetric(name),
                current=now,
                previous=before,
                change=totals.change(now, before),
            )
        )
    return result


@strawberry.type(description="A range of days in the workspace's timezone.")
class AnalyticsWindow:
    period: AnalyticsPeriod = strawberry.field(description="The kind of period.")
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day, included.")

    @classmethod
    def from_window(cls, window: Window) -> AnalyticsWindow:
        return cls(period=window.period, start=window.start, end=window.end)


def comparison_fields(item: Comparison) -> dict:
    return {
        "window": AnalyticsWindow.from_window(item.window),
        "previous_window": AnalyticsWindow.from_window(item.window.previous()),
        "current": AnalyticsMetrics.from_totals(item.current),
        "previous": AnalyticsMetrics.from_totals(item.previous),
        "changes": changes(item.current, item.previous),
    }
