"""Reading mentions: newest first, filtered, one workspace at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from domain.identity.roles import Permission
from domain.listening.collection import MENTION_RECEIVED
from domain.listening.models import ListeningFeed, Mention, Sentiment
from domain.listening.service import visible_query
from domain.pagination import Page, paginate_newest
from domain.streams import workspace_events
from domain.tenancy import Actor, readable_row, workspace_for


@dataclass(frozen=True)
class MentionFilter:
    query_id: int | None = None
    sentiment: Sentiment | None = None
    language: str | None = None
    network: str | None = None
    competitors: bool | None = None  # True: only competitors'; False: only the brand's


async def get_mention(actor: Actor, mention_id: int) -> Mention | None:
    return await readable_row(actor, Mention, mention_id, Permission.ALERTS_READ)


async def list_mentions(
    actor: Actor,
    workspace_id: int,
    where: MentionFilter,
    *,
    first: int | None,
    after: str | None,
) -> Page[Mention]:
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    rows = Mention.filter(workspace_id=workspace.id)
    if where.query_id is not None:
        query = await visible_query(actor, where.query_id, Permission.ALERTS_READ)
        rows = rows.filter(query_id=query.id)
    if where.sentiment is not None:
        rows = rows.filter(sentiment=where.sentiment)
    if where.language is not None:
        rows = rows.filter(language=where.language)
    if where.network is not None:
        rows = rows.filter(network=where.network)
    if where.competitors is not None:
        rows = rows.filter(competitor__isnull=not where.competitors)
    return await paginate_newest(rows, first=first, after=after)


async def mentions_received(actor: Actor, workspace_id: int) -> AsyncIterator[Mention]:
    """A workspace's new mentions as they are stored, for as long as the actor may read them."""
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    async for event in workspace_events(
        actor, workspace.id, Permission.ALERTS_READ, {MENTION_RECEIVED}
    ):
        row = await Mention.get_or_none(id=event.data["mention_id"], workspace_id=workspace.id)
        if row is not None:
            yield row


async def list_feeds(actor: Actor, workspace_id: int) -> list[ListeningFeed]:
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    return await ListeningFeed.filter(workspace_id=workspace.id).order_by("id")
