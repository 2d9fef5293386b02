"""GraphQL types of listening: queries, feeds and mentions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.ids import to_global_id
from api.node import Node
from domain.listening import models

MentionSentiment = strawberry.enum(
    models.Sentiment, name="MentionSentiment", description="A mention's sentiment label."
)
FeedStatus = strawberry.enum(
    models.FeedStatus, name="ListeningFeedStatus", description="OK, or FAILING (see lastError)."
)


@strawberry.type(description="A competitor whose mentions are counted for share of voice.")
class Competitor:
    name: str = strawberry.field(description="The competitor.")
    terms: list[str] = strawberry.field(description="Terms that name it.")


@strawberry.type(description="What a workspace listens for on the networks and in its feeds.")
class ListeningQuery(Node):
    id: strawberry.ID = strawberry.field(description="The global id.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    name: str = strawberry.field(description="Unique within the workspace.")
    brand_terms: list[str] = strawberry.field(description="Words or phrases naming the brand.")
    competitors: list[Competitor] = strawberry.field(description="Competitors to compare with.")
    hashtags: list[str] = strawberry.field(description="Hashtags, with their #.")
    include: str | None = strawberry.field(
        description='A boolean expression that also matches, e.g. `kopi AND ("gula aren" OR susu)`.'
    )
    exclude: str | None = strawberry.field(
        description="A boolean expression; texts matching it are never mentions."
    )
    languages: list[str] = strawberry.field(description="Only these languages; empty: all.")
    networks: list[str] = strawberry.field(description="Only these sources; empty: all.")
    active: bool = strawberry.field(description="Whether it is being collected.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, row: models.ListeningQuery) -> ListeningQuery:
        return cls(
            id=strawberry.ID(to_global_id("ListeningQuery", row.id)),
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            name=row.name,
            brand_terms=list(row.brand_terms),
            competitors=[Competitor(name=c["name"], terms=c["terms"]) for c in row.competitors],
            hashtags=list(row.hashtags),
            include=row.include_expression,
            exclude=row.exclude_expression,
            languages=list(row.languages),
            networks=list(row.networks),
            active=row.active,
            created_at=row.created_at,
        )


@strawberry.type(description="An RSS or Atom feed read for mentions.")
class ListeningFeed(Node):
    id: strawberry.ID = strawberry.field(description="The global id.")
    url: str = strawberry.field(description="The feed's address.")
    title: str | None = strawberry.field(description="The feed's own title, once read.")
    status: FeedStatus = strawberry.field(description="Whether the last read worked.")
    last_error: str | None = strawberry.field(description="Why the last read failed.")
    next_read_at: datetime | None = strawberry.field(description="When it is read next.")

    @classmethod
    def from_model(cls, row: models.ListeningFeed) -> ListeningFeed:
        return cls(
            id=strawberry.ID(to_global_id("ListeningFeed", row.id)),
            url=row.url,
            title=row.title,
            status=row.status,
            last_error=row.last_error,
            next_read_at=row.next_read_at,
        )


@strawberry.type(description="A post, comment or article that matched a listening query.")
class Mention(Node):
    id: strawberry.ID = strawberry.field(description="The global id.")
    query_id: strawberry.ID = strawberry.field(description="The listening query it matched.")
    network: str = strawberry.field(description="Where it was found (a network, or RSS).")
    external_id: str = strawberry.field(description="Its id at the source.")
    url: str | None = strawberry.field(description="Where to read it, when known.")
    author_handle: str | None = strawberry.field(description="Who wrote it.")
    author_reach: int | None = strawberry.field(description="The author's followers, if known.")
    text: str = strawberry.field(description="What it says.")
    language: str = strawberry.field(description="Detected language: en, id, or und.")
    sentiment: MentionSentiment = strawberry.field(description="Its sentiment label.")
    sentiment_score: float = strawberry.field(description="From -1 (negative) to 1.")
    matched_terms: list[str] = strawberry.field(description="The query terms it contains.")
    competitor: str | None = strawberry.field(
        description="The competitor it names, for competitor mentions."
    )
    published_at: datetime = strawberry.field(description="When it was published.")
    collected_at: datetime = strawberry.field(description="When Kelola found it.")

    @classmethod
    def from_model(cls, row: models.Mention) -> Mention:
        return cls(
            id=strawberry.ID(to_global_id("Mention", row.id)),
            query_id=strawberry.ID(to_global_id("ListeningQuery", row.query_id)),
            network=row.network,
            external_id=row.external_id,
            url=row.url,
            author_handle=row.author_handle,
            author_reach=row.author_reach,
            text=row.text,
            language=row.language,
            sentiment=row.sentiment,
            sentiment_score=row.sentiment_score,
            matched_terms=list(row.matched_terms),
            competitor=row.competitor,
            published_at=row.published_at,
            collected_at=row.collected_at,
        )
