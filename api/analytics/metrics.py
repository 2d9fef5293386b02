"""analyticsOverview, metricSeries, topPosts, postMetrics, channelMetrics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.metric_types import (
    AnalyticsDimension,
    AnalyticsFilterInput,
    AnalyticsInterval,
    AnalyticsMetric,
    AnalyticsMetrics,
    AnalyticsWindow,
    AnalyticsWindowInput,
    MetricChange,
    RankOrder,
    comparison_fields,
    to_scope,
)
from api.channels.types import Channel, Platform
from api.content.types import Post, PostTarget
from api.ids import parse_id, to_global_id
from api.strategy.types import Campaign
from domain.analytics import overview as service
from domain.analytics import subjects
from domain.analytics.periods import Interval, today_in
from domain.analytics.scope import Dimension
from domain.content import queries as content_queries
from domain.strategy.campaigns import campaigns_by_ids

WORKSPACE = "The workspace."
WINDOW = "The period; this week in the workspace's timezone by default."
FILTER = "Which posts to count; all by default."


CUSTOMER_FIELDS = frozenset({"customers", "repeatCustomers", "customerLifetimeValue"})


def _selects(info: Info, names: frozenset[str]) -> bool:
    """Whether the query asks for any of these fields anywhere below this one (fragments
    included), so costly numbers nobody asked for are not read."""
    pending = list(info.selected_fields)
    while pending:
        field = pending.pop()
        if getattr(field, "name", None) in names:
            return True
        pending.extend(getattr(field, "selections", []) or [])
    return False


def _window(window: AnalyticsWindowInput | None):
    return window or AnalyticsWindowInput()


@strawberry.type(description="One group of a breakdown, against the period before.")
class AnalyticsBreakdownRow:
    dimension: AnalyticsDimension = strawberry.field(description="What the rows group by.")
    key: str = strawberry.field(
        description="The group: a channel, campaign or post global id, a network, or a tag; "
        "empty for posts without a campaign."
    )
    network: Platform | None = strawberry.field(description="The network (NETWORK rows).")
    tag: str | None = strawberry.field(description="The tag (TAG rows).")
    window: AnalyticsWindow = strawberry.field(description="The period.")
    previous_window: AnalyticsWindow = strawberry.field(description="The period before.")
    current: AnalyticsMetrics = strawberry.field(description="This period.")
    previous: AnalyticsMetrics = strawberry.field(description="The period before.")
    changes: list[MetricChange] = strawberry.field(description="Every metric's change.")
    pk: strawberry.Private[int | None]

    @strawberry.field(description="The channel (CHANNEL rows).")
    async def channel(self, info: Info) -> Channel | None:
        if self.dimension != Dimension.CHANNEL or self.pk is None:
            return None
        row = await info.context.loaders.scoped(content_queries.channels_by_ids).load(self.pk)
        return Channel.from_model(row) if row else None

    @strawberry.field(description="The campaign (CAMPAIGN rows; null for posts without one).")
    async def campaign(self, info: Info) -> Campaign | None:
        if self.dimension != Dimension.CAMPAIGN or self.pk is None:
            return None
        row = await info.context.loaders.scoped(campaigns_by_ids).load(self.pk)
        return Campaign.from_model(row) if row else None

    @strawberry.field(description="The post (POST rows).")
    async def post(self, info: Info) -> Post | None:
        if self.dimension != Dimension.POST or self.pk is None:
            return None
        row = await info.context.loaders.scoped(content_queries.posts_by_ids).load(self.pk)
        return Post.from_model(row) if row else None


_KEY_TYPES = {Dimension.CHANNEL: "Channel", Dimension.CAMPAIGN: "Campaign", Dimension.POST: "Post"}


def _breakdown_row(dimension: Dimension, key, item: service.Comparison) -> AnalyticsBreakdownRow:
    type_name = _KEY_TYPES.get(dimension)
    if type_name is not None:
        label = to_global_id(type_name, key) if key is not None else ""
        pk = key
    else:
        label, pk = str(key), None
    return AnalyticsBreakdownRow(
        dimension=dimension,
        key=label,
        network=key if dimension == Dimension.NETWORK else None,
        tag=key if dimension == Dimension.TAG else None,
        pk=pk,
        **comparison_fields(item),
    )


@strawberry.type(
    description="Totals of a period against the period before, optionally broken down. "
    "Post results count toward the period the post was published in."
)
class AnalyticsOverview:
    window: AnalyticsWindow = strawberry.field(description="The period.")
    previous_window: AnalyticsWindow = strawberry.field(description="The period before.")
    current: AnalyticsMetrics = strawberry.field(description="This period.")
    previous: AnalyticsMetrics = strawberry.field(description="The period before.")
    changes: list[MetricChange] = strawberry.field(description="Every metric's change.")
    breakdown: list[AnalyticsBreakdownRow] = strawberry.field(
        description="One row per group when `breakdownBy` was given, else empty."
    )


@strawberry.type(description="One point of a time series.")
class MetricPoint:
    start: date = strawberry.field(description="First day of the point.")
    end: date = strawberry.field(description="Last day of the point, included.")
    value: float | None = strawberry.field(description="The requested metric.")
    posts: int = strawberry.field(description="Posts published in it (posting frequency).")
    metrics: AnalyticsMetrics = strawberry.field(description="Every metric of the point.")


@strawberry.type(description="A metric over time, for charts.")
class MetricSeries:
    metric: AnalyticsMetric = strawberry.field(description="The metric in `value`.")
    interval: AnalyticsInterval = strawberry.field(description="The width of each point.")
    window: AnalyticsWindow = strawberry.field(description="The period covered.")
    points: list[MetricPoint] = strawberry.field(description="Oldest first; gaps included.")


@strawberry.type(description="A post ranked by a metric.")
class RankedPost:
    rank: int = strawberry.field(description="1 for the first.")
    value: float = strawberry.field(description="The post's value of the metric.")
    metrics: AnalyticsMetrics = strawberry.field(description="All of the post's metrics.")
    pk: strawberry.Private[int]

    @strawberry.field(description="The post.")
    async def post(self, info: Info) -> Post | None:
        row = await info.context.loaders.scoped(content_queries.posts_by_ids).load(self.pk)
        return Post.from_model(row) if row else None


@strawberry.type(description="One reading of a target's metrics.")
class MetricSnapshot:
    collected_at: datetime = strawberry.field(description="When it was read.")
    impressions: int | None = strawberry.field(description="Impressions so far.")
    reach: int | None = strawberry.field(description="Reach so far.")
    likes: int | None = strawberry.field(description="Likes so far.")
    comments: int | None = strawberry.field(description="Comments so far.")
    shares: int | None = strawberry.field(description="Shares so far.")
    saves: int | None = strawberry.field(description="Saves so far.")
    clicks: int | None = strawberry.field(description="Clicks so far.")
    video_views: int | None = strawberry.field(description="Video views so far.")
    watch_time_seconds: int | None = strawberry.field(description="Watch time so far.")

    @classmethod
    def from_model(cls, row) -> MetricSnapshot:
        return cls(
            collected_at=row.collected_at,
            impressions=row.impressions,
            reach=row.reach,
            likes=row.likes,
            comments=row.comments,
            shares=row.shares,
            saves=row.saves,
            clicks=row.clicks,
            video_views=row.video_views,
            watch_time_seconds=row.watch_time_s,
        )


@strawberry.type(description="A post's results on one channel.")
class TargetMetricsReport:
    target: PostTarget = strawberry.field(description="The post on that channel.")
    metrics: AnalyticsMetrics = strawberry.field(description="Its lifetime results.")
    last_collected_at: datetime | None = strawberry.field(
        description="When the network was last read; null before the first reading."
    )
    next_collection_at: datetime | None = strawberry.field(
        description="When it will be read next; null once it is past the polling age."
    )
    history: list[MetricSnapshot] = strawberry.field(description="Readings, oldest first.")


@strawberry.type(description="A post's lifetime results.")
class PostMetricsReport:
    post: Post = strawberry.field(description="The post.")
    metrics: AnalyticsMetrics = strawberry.field(description="All channels together.")
    targets: list[TargetMetricsReport] = strawberry.field(description="Per channel.")


@strawberry.type(description="A channel's audience on one day.")
class ChannelDay:
    day: date = strawberry.field(description="The day (UTC).")
    followers: int | None = strawberry.field(description="Followers that day.")
    profile_views: int | None = strawberry.field(description="Profile views that day.")


@strawberry.type(description="A channel's results in a period against the period before.")
class ChannelMetricsReport:
    channel: Channel = strawberry.field(description="The channel.")
    window: AnalyticsWindow = strawberry.field(description="The period.")
    previous_window: AnalyticsWindow = strawberry.field(description="The period before.")
    current: AnalyticsMetrics = strawberry.field(description="This period.")
    previous: AnalyticsMetrics = strawberry.field(description="The period before.")
    changes: list[MetricChange] = strawberry.field(description="Every metric's change.")
    days: list[ChannelDay] = strawberry.field(description="Audience day by day.")


@strawberry.type
class MetricsQuery:
    @strawberry.field(description="A workspace's results in a period against the one before.")
    async def analytics_overview(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        window: Annotated[
            AnalyticsWindowInput | None, strawberry.argument(description=WINDOW)
        ] = None,
        filter: Annotated[
            AnalyticsFilterInput | None, strawberry.argument(description=FILTER)
        ] = None,
        breakdown_by: Annotated[
            AnalyticsDimension | None,
            strawberry.argument(description="Also break the totals down by this."),
        ] = None,
    ) -> AnalyticsOverview:
        actor = info.context.actor
        workspace = await service.readable_workspace(
            actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        scope = to_scope(filter)
        await service.check_scope(workspace.id, scope)
        span = _window(window).to_window(today_in(workspace.timezone))
        result = await service.overview(
            workspace, span, scope, breakdown_by, customers=_selects(info, CUSTOMER_FIELDS)
        )
        return AnalyticsOverview(
            breakdown=[
                _breakdown_row(breakdown_by, key, item) for key, item in result.breakdown.items()
            ],
            **comparison_fields(result),
        )

    @strawberry.field(
        description="A metric over time (one point per day, week or month, empty ones "
        "included), each point with the posts published in it: posting frequency against "
        "engagement."
    )
    async def metric_series(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        metric: Annotated[
            AnalyticsMetric, strawberry.argument(description="The metric in each `value`.")
        ] = AnalyticsMetric.ENGAGEMENTS,
        interval: Annotated[
            AnalyticsInterval, strawberry.argument(description="The width of each point.")
        ] = Interval.DAY,
        window: Annotated[
            AnalyticsWindowInput | None, strawberry.argument(description=WINDOW)
        ] = None,
        filter: Annotated[
            AnalyticsFilterInput | None, strawberry.argument(description=FILTER)
        ] = None,
    ) -> MetricSeries:
        actor = info.context.actor
        workspace = await service.readable_workspace(
            actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        scope = to_scope(filter)
        await service.check_scope(workspace.id, scope)
        span = _window(window).to_window(today_in(workspace.timezone))
        points = await service.series(workspace, span, interval, scope)
        return MetricSeries(
            metric=metric,
            interval=interval,
            window=AnalyticsWindow.from_window(span),
            points=[
                MetricPoint(
                    start=point.start,
                    end=point.end,
                    value=service.metric_value(point.totals, metric.value),
                    posts=point.totals.posts,
                    metrics=AnalyticsMetrics.from_totals(point.totals),
                )
                for point in points
            ],
        )

    @strawberry.field(description="The best (or worst) posts of a period by a metric.")
    async def top_posts(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        metric: Annotated[
            AnalyticsMetric, strawberry.argument(description="What to rank by.")
        ] = AnalyticsMetric.ENGAGEMENTS,
        order: Annotated[
            RankOrder, strawberry.argument(description="TOP or BOTTOM.")
        ] = service.Order.TOP,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 100.")] = 10,
        window: Annotated[
            AnalyticsWindowInput | None, strawberry.argument(description=WINDOW)
        ] = None,
        filter: Annotated[
            AnalyticsFilterInput | None, strawberry.argument(description=FILTER)
        ] = None,
    ) -> list[RankedPost]:
        actor = info.context.actor
        workspace = await service.readable_workspace(
            actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        service.check_first(first)
        scope = to_scope(filter)
        await service.check_scope(workspace.id, scope)
        span = _window(window).to_window(today_in(workspace.timezone))
        ranked = await service.ranked_posts(workspace, span, scope, metric.value, order, first)
        return [
            RankedPost(
                rank=index + 1,
                value=service.metric_value(totals, metric.value) or 0.0,
                metrics=AnalyticsMetrics.from_totals(totals),
                pk=post_id,
            )
            for index, (post_id, totals) in enumerate(ranked)
        ]

    @strawberry.field(description="A post's lifetime results, per channel and over time.")
    async def post_metrics(
        self,
        info: Info,
        post_id: Annotated[strawberry.ID, strawberry.argument(description="The post.")],
        history: Annotated[
            int, strawberry.argument(description="Latest readings per channel, 1 to 500.")
        ] = 100,
    ) -> PostMetricsReport:
        report = await subjects.post_report(
            info.context.actor, parse_id(post_id, "Post", "postId"), history
        )
        return PostMetricsReport(
            post=Post.from_model(report.post),
            metrics=AnalyticsMetrics.from_totals(report.totals),
            targets=[
                TargetMetricsReport(
                    target=PostTarget.from_model(item.target),
                    metrics=AnalyticsMetrics.from_totals(item.totals),
                    last_collected_at=item.collected_at,
                    next_collection_at=item.next_poll_at,
                    history=[MetricSnapshot.from_model(row) for row in item.history],
                )
                for item in report.targets
            ],
        )

    @strawberry.field(description="A channel's results in a period, with its daily audience.")
    async def channel_metrics(
        self,
        info: Info,
        channel_id: Annotated[strawberry.ID, strawberry.argument(description="The channel.")],
        window: Annotated[
            AnalyticsWindowInput | None, strawberry.argument(description=WINDOW)
        ] = None,
    ) -> ChannelMetricsReport:
        report = await subjects.channel_report(
            info.context.actor,
            parse_id(channel_id, "Channel", "channelId"),
            lambda workspace: _window(window).to_window(today_in(workspace.timezone)),
        )
        return ChannelMetricsReport(
            channel=Channel.from_model(report.channel),
            days=[
                ChannelDay(day=row.day, followers=row.followers, profile_views=row.profile_views)
                for row in report.days
            ],
            **comparison_fields(report.overview),
        )
