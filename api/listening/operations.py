"""listeningQueryCreate, listeningQueryUpdate, listeningFeedAdd, listeningFeedRemove,
listeningQueries, listeningFeeds, mentions, mentionReceived."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id
from api.listening.types import ListeningFeed, ListeningQuery, Mention, MentionSentiment
from api.mutations import mutation_payload
from api.node import node_type
from api.pagination import Connection
from api.streams import until_revoked
from domain.listening import feeds, mentions, service

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.input(description="A competitor: a name and the terms that name it.")
class CompetitorInput:
    name: str = strawberry.field(description="1 to 120 characters.")
    terms: list[str] = strawberry.field(description="1 to 50 terms.")


@strawberry.input(
    description="What to listen for. At least one of brandTerms, hashtags or include. "
    'Boolean expressions: words, "phrases", #hashtags, @handles, AND (or nothing), OR, '
    "NOT (or a leading -), parentheses."
)
class ListeningQueryFieldsInput:
    name: str = strawberry.field(description="Unique within the workspace.")
    brand_terms: list[str] = strawberry.field(default_factory=list, description="Brand terms.")
    competitors: list[CompetitorInput] = strawberry.field(
        default_factory=list, description="Competitors for share of voice (up to 10)."
    )
    hashtags: list[str] = strawberry.field(default_factory=list, description="Hashtags.")
    include: str | None = strawberry.field(default=None, description="Also match this.")
    exclude: str | None = strawberry.field(default=None, description="Never match this.")
    languages: list[str] = strawberry.field(
        default_factory=list, description="Only these languages (en, id); empty: all."
    )
    networks: list[str] = strawberry.field(
        default_factory=list,
        description="Only these sources (X, MASTODON, BLUESKY, SANDBOX, RSS); empty: all.",
    )
    active: bool = strawberry.field(default=True, description="Collect it.")

    def to_draft(self) -> service.QueryDraft:
        return service.QueryDraft(
            name=self.name,
            brand_terms=tuple(self.brand_terms),
            competitors=tuple(service.Competitor(c.name, tuple(c.terms)) for c in self.competitors),
            hashtags=tuple(self.hashtags),
            include=self.include,
            exclude=self.exclude,
            languages=tuple(self.languages),
            networks=tuple(self.networks),
            active=self.active,
        )


@strawberry.input(description="A new listening query.")
class ListeningQueryCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    query: ListeningQueryFieldsInput = strawberry.field(description="Its fields.")


@strawberry.input(description="New fields for a listening query.")
class ListeningQueryUpdateInput:
    query_id: strawberry.ID = strawberry.field(description="The listening query.")
    query: ListeningQueryFieldsInput = strawberry.field(description="Its new fields.")


@strawberry.type(description="Result of `listeningQueryCreate` and `listeningQueryUpdate`.")
class ListeningQueryPayload:
    query: ListeningQuery | None = strawberry.field(default=None, description="The query.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="A feed to read.")
class ListeningFeedAddInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    url: str = strawberry.field(description="The RSS or Atom feed's absolute http(s) URL.")


@strawberry.input(description="A feed to stop reading.")
class ListeningFeedRemoveInput:
    feed_id: strawberry.ID = strawberry.field(description="The feed.")


@strawberry.type(description="Result of `listeningFeedAdd` and `listeningFeedRemove`.")
class ListeningFeedPayload:
    feed: ListeningFeed | None = strawberry.field(default=None, description="The feed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


node_type("ListeningQuery", service.get_query, ListeningQuery.from_model)
node_type("Mention", mentions.get_mention, Mention.from_model)


async def _query_mutation(action) -> ListeningQueryPayload:
    return await mutation_payload(
        action, ListeningQueryPayload, lambda row: {"query": ListeningQuery.from_model(row)}
    )


async def _feed_mutation(action) -> ListeningFeedPayload:
    return await mutation_payload(
        action, ListeningFeedPayload, lambda row: {"feed": ListeningFeed.from_model(row)}
    )


@strawberry.type
class ListeningMutation:
    @strawberry.mutation(description="Start listening for a brand, its competitors and topics.")
    async def listening_query_create(
        self,
        info: Info,
        input: Annotated[ListeningQueryCreateInput, strawberry.argument(description=INPUT)],
    ) -> ListeningQueryPayload:
        return await _query_mutation(
            lambda: service.create_query(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                draft=input.query.to_draft(),
            )
        )

    @strawberry.mutation(description="Change what a listening query listens for.")
    async def listening_query_update(
        self,
        info: Info,
        input: Annotated[ListeningQueryUpdateInput, strawberry.argument(description=INPUT)],
    ) -> ListeningQueryPayload:
        return await _query_mutation(
            lambda: service.update_query(
                info.context.actor,
                query_id=parse_id(input.query_id, "ListeningQuery", "queryId"),
                draft=input.query.to_draft(),
            )
        )

    @strawberry.mutation(description="Read an RSS or Atom feed for mentions.")
    async def listening_feed_add(
        self,
        info: Info,
        input: Annotated[ListeningFeedAddInput, strawberry.argument(description=INPUT)],
    ) -> ListeningFeedPayload:
        return await _feed_mutation(
            lambda: feeds.add_feed(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                url=input.url,
            )
        )

    @strawberry.mutation(description="Stop reading a feed.")
    async def listening_feed_remove(
        self,
        info: Info,
        input: Annotated[ListeningFeedRemoveInput, strawberry.argument(description=INPUT)],
    ) -> ListeningFeedPayload:
        return await _feed_mutation(
            lambda: feeds.remove_feed(
                info.context.actor, feed_id=parse_id(input.feed_id, "ListeningFeed", "feedId")
            )
        )


WORKSPACE = "The workspace."


@strawberry.type
class ListeningQueryFields:
    @strawberry.field(description="A workspace's listening queries, oldest first.")
    async def listening_queries(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        first: First = None,
        after: After = None,
    ) -> Connection[ListeningQuery]:
        page = await service.list_queries(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, ListeningQuery.from_model)

    @strawberry.field(description="The feeds a workspace reads.")
    async def listening_feeds(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
    ) -> list[ListeningFeed]:
        rows = await mentions.list_feeds(
            info.context.actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        return [ListeningFeed.from_model(row) for row in rows]

    @strawberry.field(description="Mentions found by a workspace's listening, newest first.")
    async def mentions(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        query_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this query's.")
        ] = None,
        sentiment: Annotated[
            MentionSentiment | None, strawberry.argument(description="Only this sentiment.")
        ] = None,
        language: Annotated[
            str | None, strawberry.argument(description="Only this language (en, id, und).")
        ] = None,
        network: Annotated[
            str | None, strawberry.argument(description="Only this source (a network, or RSS).")
        ] = None,
        competitors: Annotated[
            bool | None,
            strawberry.argument(
                description="true: competitors' mentions only; false: the brand's."
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Mention]:
        where = mentions.MentionFilter(
            query_id=parse_id(query_id, "ListeningQuery", "queryId") if query_id else None,
            sentiment=sentiment,
            language=language,
            network=network,
            competitors=competitors,
        )
        page = await mentions.list_mentions(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            where,
            first=first,
            after=after,
        )
        return Connection.from_page(page, Mention.from_model)


@strawberry.type
class ListeningSubscription:
    @strawberry.subscription(description="Each new mention in a workspace, as it is stored.")
    async def mention_received(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[Mention, None]:
        rows = mentions.mentions_received(
            info.context.actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        async for row in until_revoked(info, rows):
            yield Mention.from_model(row)
