"""The schema: every area's queries, mutations and subscriptions merged into one graph."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from api.alerts.operations import AlertMutation, AlertQuery, AlertSubscription
from api.analytics.conversions import ConversionMutation, ConversionQuery
from api.analytics.link_types import Conversion, TrackedLink
from api.analytics.links import LinkMutation, LinkQuery
from api.analytics.metrics import MetricsQuery
from api.analytics.options import AnalyticsSettingsMutation, AnalyticsSettingsQuery
from api.analytics.report_types import Report, ReportSchedule
from api.analytics.reports import ReportMutation, ReportQuery, ReportSubscription
from api.analytics.subscriptions import AnalyticsSubscription
from api.analytics.timing import TimingQuery
from api.channels.mutations import ChannelMutation
from api.channels.queries import ChannelQuery
from api.channels.subscriptions import ChannelSubscription
from api.channels.types import Channel
from api.content.media_queries import MediaQuery
from api.content.mutations.imports import ImportMutation
from api.content.mutations.media import MediaMutation
from api.content.mutations.posts import PostMutation
from api.content.mutations.review import ReviewMutation
from api.content.mutations.scheduling import SchedulingMutation
from api.content.queries import ContentQuery
from api.content.subscriptions import ContentSubscription
from api.content.types import Post, PostTarget
from api.execution import ExecutionContext
from api.extensions import ErrorTranslation, RequestGuard
from api.identity.mutations import IdentityMutation
from api.identity.queries import IdentityQuery
from api.identity.subscriptions import IdentitySubscription
from api.identity.types import ApiKey, Invitation, Member, User, Workspace
from api.listening.operations import (
    ListeningMutation,
    ListeningQueryFields,
    ListeningSubscription,
)
from api.listening.trends import TrendsQuery
from api.listening.types import ListeningFeed, ListeningQuery, Mention
from api.node import Node, resolve_node
from api.strategy.operations import StrategyMutation, StrategyQuery
from api.strategy.types import Campaign
from api.webhooks.mutations import WebhookMutation
from api.webhooks.queries import WebhookQuery
from api.webhooks.types import WebhookDelivery, WebhookEndpoint
from domain.settings import get_settings


@strawberry.type(description="Everything that can be read.")
class Query(
    IdentityQuery,
    ChannelQuery,
    ContentQuery,
    StrategyQuery,
    MediaQuery,
    LinkQuery,
    ConversionQuery,
    AnalyticsSettingsQuery,
    MetricsQuery,
    TimingQuery,
    ReportQuery,
    WebhookQuery,
    ListeningQueryFields,
    TrendsQuery,
    AlertQuery,
):
    @strawberry.field(description="Any object by its global id; null if it is not visible.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        info.context.actor.require_authenticated()
        return await resolve_node(info, id)


@strawberry.type(description="Everything that can be changed.")
class Mutation(
    IdentityMutation,
    ChannelMutation,
    PostMutation,
    ReviewMutation,
    SchedulingMutation,
    MediaMutation,
    ImportMutation,
    StrategyMutation,
    LinkMutation,
    ConversionMutation,
    AnalyticsSettingsMutation,
    ReportMutation,
    WebhookMutation,
    ListeningMutation,
    AlertMutation,
):
    pass


@strawberry.type(description="Live events over graphql-transport-ws.")
class Subscription(
    IdentitySubscription,
    ChannelSubscription,
    ContentSubscription,
    AnalyticsSubscription,
    ReportSubscription,
    ListeningSubscription,
    AlertSubscription,
):
    pass


def _extensions() -> list:
    settings = get_settings()
    return [
        RequestGuard,
        ErrorTranslation,
        ParserCache(maxsize=1000),
        ValidationCache(maxsize=1000),
        QueryDepthLimiter(max_depth=settings.max_query_depth),
        MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        MaxAliasesLimiter(max_alias_count=settings.max_query_aliases),
    ]


schema = strawberry.Schema(
    execution_context_class=ExecutionContext,
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[
        User,
        Workspace,
        Member,
        Invitation,
        ApiKey,
        Channel,
        Post,
        PostTarget,
        Campaign,
        TrackedLink,
        Conversion,
        Report,
        ReportSchedule,
        WebhookEndpoint,
        WebhookDelivery,
        ListeningQuery,
        ListeningFeed,
        Mention,
    ],
    extensions=_extensions(),
    config=StrawberryConfig(auto_camel_case=True),
)
