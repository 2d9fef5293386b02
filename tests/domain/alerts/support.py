"""Alert test helpers: a workspace with a listening query and a rule, mentions as the
rules see them, and incidents checked the way collection checks them."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.alerts.evaluation import Arrival, evaluate
from domain.alerts.models import AlertRule, RuleKind
from domain.listening.models import ListeningQuery, Mention
from domain.uow import unit_of_work
from tests.domain.analytics.factories import make_world


async def watched_world(**rule):
    """A world, its brand query and a rule (WATCH_TERMS on "lambat" unless told)."""
    world = await make_world()
    query = await ListeningQuery.create(
        workspace_id=world.workspace_id, name="Brand", brand_terms=["kopikita"]
    )
    defaults = {"name": "Rule", "kind": RuleKind.WATCH_TERMS, "terms": ["lambat"]}
    made = await AlertRule.create(
        workspace_id=world.workspace_id, query_id=query.id, **{**defaults, **rule}
    )
    return world, query, made


async def mention(
    query: ListeningQuery, index: int, text: str, sentiment: str = "NEUTRAL", reach: int = 10
) -> Arrival:
    """A stored brand mention of the query, as the rules see it."""
    now = datetime.now(UTC)
    row = await Mention.create(
        workspace_id=query.workspace_id,
        query_id=query.id,
        source="test",
        network="SANDBOX",
        external_id=f"m{index}",
        text=text,
        language="id",
        sentiment_score=0,
        sentiment=sentiment,
        author_reach=reach,
        published_at=now,
        collected_at=now,
    )
    return Arrival(row.id, row.text, sentiment, reach, now)


async def incident(query: ListeningQuery, index: int, text: str = "Pelayanannya lambat") -> None:
    """A new mention with a watched word, checked in its own transaction."""
    arrival = await mention(query, index, text, "NEGATIVE")
    async with unit_of_work():
        await evaluate(query, [arrival], datetime.now(UTC))
