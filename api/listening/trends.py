"""mentionTrends: a listening query's volume, sentiment and share of voice over time."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.metric_types import AnalyticsInterval, AnalyticsWindow, AnalyticsWindowInput
from api.ids import parse_id
from api.listening.types import ListeningQuery
from domain.analytics.periods import Interval, today_in
from domain.listening.trends import mention_trends


@strawberry.type(description="Mentions of the brand in one day, week or month.")
class MentionTrendPoint:
    start: date = strawberry.field(description="First day of the point.")
    mentions: int = strawberry.field(description="Brand mentions.")
    positive: int = strawberry.field(description="Of which positive.")
    neutral: int = strawberry.field(description="Of which neutral.")
    negative: int = strawberry.field(description="Of which negative.")
    net_sentiment: float | None = strawberry.field(
        description="(positive - negative) / mentions; null without mentions."
    )


@strawberry.type(description="One voice in the conversation: the brand or a competitor.")
class VoiceShare:
    competitor: str | None = strawberry.field(description="The competitor; null: the brand.")
    mentions: int = strawberry.field(description="Mentions in the period.")
    share: float = strawberry.field(description="Fraction of all the query's mentions.")


@strawberry.type(description="A term, hashtag or author and how often it came up.")
class Ranked:
    value: str = strawberry.field(description="The term, hashtag or author handle.")
    count: int = strawberry.field(description="Mentions (of the latest 5,000 in the period).")
    reach: int | None = strawberry.field(description="The author's followers (authors only).")


@strawberry.type(description="A listening query's trends over a period.")
class MentionTrends:
    query: ListeningQuery = strawberry.field(description="The listening query.")
    window: AnalyticsWindow = strawberry.field(description="The period.")
    points: list[MentionTrendPoint] = strawberry.field(description="Oldest first, gaps included.")
    share_of_voice: list[VoiceShare] = strawberry.field(description="The brand and competitors.")
    top_terms: list[Ranked] = strawberry.field(description="Query terms found most often.")
    top_hashtags: list[Ranked] = strawberry.field(description="Hashtags used most often.")
    top_authors: list[Ranked] = strawberry.field(description="Authors who mention most.")


@strawberry.type
class TrendsQuery:
    @strawberry.field(description="Volume, sentiment and share of voice of a listening query.")
    async def mention_trends(
        self,
        info: Info,
        query_id: Annotated[strawberry.ID, strawberry.argument(description="The query.")],
        window: Annotated[
            AnalyticsWindowInput | None,
            strawberry.argument(description="The period; this week by default."),
        ] = None,
        interval: Annotated[
            AnalyticsInterval, strawberry.argument(description="The width of each point.")
        ] = Interval.DAY,
    ) -> MentionTrends:
        span = window or AnalyticsWindowInput()
        trends = await mention_trends(
            info.context.actor,
            parse_id(query_id, "ListeningQuery", "queryId"),
            lambda workspace: span.to_window(today_in(workspace.timezone)),
            interval,
        )
        return MentionTrends(
            query=ListeningQuery.from_model(trends.query),
            window=AnalyticsWindow.from_window(trends.window),
            points=[
                MentionTrendPoint(
                    start=point.start,
                    mentions=point.mentions,
                    positive=point.positive,
                    neutral=point.neutral,
                    negative=point.negative,
                    net_sentiment=point.net_sentiment,
                )
                for point in trends.points
            ],
            share_of_voice=[
                VoiceShare(competitor=name, mentions=count, share=share)
                for name, count, share in trends.share_of_voice
            ],
            top_terms=[Ranked(value=v, count=c, reach=None) for v, c in trends.top_terms],
            top_hashtags=[Ranked(value=v, count=c, reach=None) for v, c in trends.top_hashtags],
            top_authors=[Ranked(value=v, count=c, reach=r) for v, c, r in trends.top_authors],
        )
