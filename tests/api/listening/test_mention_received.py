"""mentionReceived: each mention stored in the workspace reaches its subscribers; other
workspaces' mentions and readers without alerts:read get nothing."""

import asyncio
from datetime import UTC, datetime

from api.context import Context, make_loaders
from api.ids import from_global_id
from api.schema import schema
from domain.listening.collection import search
from domain.listening.models import ListeningQuery, Mention
from domain.tenancy import Actor
from tests.api.analytics.support import make_shop
from tests.helpers import top_level_codes

RECEIVED = "subscription($ws: ID!) { mentionReceived(workspaceId: $ws) { id text } }"


def _context(person) -> Context:
    actor = Actor(user_id=from_global_id(person.user_id)[1])
    return Context(None, None, actor, make_loaders(actor))


async def test_stored_mentions_reach_the_subscriber(gql):
    shop = await make_shop(gql)
    other = await make_shop(gql, "Other")
    query = await ListeningQuery.create(
        workspace_id=shop.pk, name="Brand", brand_terms=["kopikita"]
    )
    foreign = await ListeningQuery.create(
        workspace_id=other.pk, name="Brand", brand_terms=["kopikita"]
    )
    events = await schema.subscribe(
        RECEIVED, variable_values={"ws": shop.workspace_id}, context_value=_context(shop.owner)
    )
    try:
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.3)  # listening
        await search(foreign.id, (await other.world.channel()).id, datetime.now(UTC))
        stored = await search(query.id, (await shop.world.channel()).id, datetime.now(UTC))
        result = await asyncio.wait_for(first, 5)
    finally:
        await events.aclose()
    assert stored > 0 and result.errors is None
    mention = result.data["mentionReceived"]
    assert "kopikita" in mention["text"].lower()
    kind, pk = from_global_id(mention["id"])
    assert kind == "Mention" and (await Mention.get(id=pk)).workspace_id == shop.pk


async def test_mention_received_needs_alerts_read(gql):
    shop = await make_shop(gql)
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    events = await schema.subscribe(
        RECEIVED,
        variable_values={"ws": shop.workspace_id},
        context_value=_context(approver.person),
    )
    result = await anext(events)
    await events.aclose()
    assert top_level_codes({"errors": [e.formatted for e in result.errors]}) == ["FORBIDDEN"]
