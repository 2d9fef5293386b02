"""Shared set-up for the metrics API tests: a workspace made through GraphQL, then posts
published on the sandbox network and read by the metric polling (the domain factories)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.ids import from_global_id, to_global_id
from domain.analytics.collection import enroll_published, poll_channel
from domain.identity.models import Workspace
from domain.tenancy import Actor
from tests.domain.analytics.factories import World
from tests.helpers import GraphQLClient, Person

METRICS = """
posts targets impressions reach likes comments shares saves clicks videoViews
watchTimeSeconds engagements engagementRateByReach engagementRateByImpressions
engagementsPerPost clickThroughRate linkClicks conversions conversionRate
revenue { amount currency } revenuePerPost { amount currency }
followers followerGrowth profileViews customers repeatCustomers
customerLifetimeValue { amount currency }
"""
COMPARISON = f"""
window {{ period start end }} previousWindow {{ period start end }}
current {{ {METRICS} }} previous {{ {METRICS} }}
changes {{ metric current previous change }}
"""
OVERVIEW = f"""
query($ws: ID!, $window: AnalyticsWindowInput, $filter: AnalyticsFilterInput,
      $by: AnalyticsDimension) {{
  analyticsOverview(workspaceId: $ws, window: $window, filter: $filter, breakdownBy: $by) {{
    {COMPARISON}
    breakdown {{ dimension key network tag channel {{ id }} campaign {{ id name }}
                 post {{ id }} current {{ {METRICS} }} previous {{ posts likes }}
                 changes {{ metric change }} }}
  }}
}}"""
SERIES = f"""
query($ws: ID!, $metric: AnalyticsMetric, $interval: AnalyticsInterval,
      $window: AnalyticsWindowInput, $filter: AnalyticsFilterInput) {{
  metricSeries(workspaceId: $ws, metric: $metric, interval: $interval, window: $window,
               filter: $filter) {{
    metric interval window {{ start end }}
    points {{ start end value posts metrics {{ {METRICS} }} }}
  }}
}}"""
TOP = """
query($ws: ID!, $metric: AnalyticsMetric, $order: RankOrder, $first: Int,
      $window: AnalyticsWindowInput) {
  topPosts(workspaceId: $ws, metric: $metric, order: $order, first: $first, window: $window) {
    rank value post { id body } metrics { likes posts }
  }
}"""


@dataclass
class Shop:
    """A workspace with its owner, reachable through GraphQL and the domain factories."""

    owner: Person
    workspace_id: str
    world: World

    @property
    def pk(self) -> int:
        return from_global_id(self.workspace_id)[1]

    async def set_timezone(self, timezone: str) -> None:
        await Workspace.filter(id=self.pk).update(timezone=timezone)


async def make_shop(gql: GraphQLClient, name: str = "Kopi Kita") -> Shop:
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, name)
    actor = Actor(user_id=from_global_id(owner.user_id)[1])
    return Shop(owner, workspace_id, World(actor, from_global_id(workspace_id)[1]))


async def collect(*channels, now: datetime | None = None) -> None:
    """One polling round over the channels, as the worker's cron and jobs would run it."""
    await enroll_published(now)
    for channel in channels:
        await poll_channel(channel.id, now or datetime.now(UTC))


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def days_ago(days: float) -> timedelta:
    return timedelta(days=days)
