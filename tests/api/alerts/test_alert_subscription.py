"""reputationAlerts executed in-process: every event reaches the subscriber, and a
subscription that runs for many events does not keep each event's execution state."""

import asyncio
import gc

from graphql.execution.collect_fields import CollectedFields

from api.context import Context, make_loaders
from api.ids import from_global_id
from api.schema import schema
from domain.alerts.models import AlertRule, RuleKind
from domain.listening.models import ListeningQuery
from domain.tenancy import Actor
from tests.api.analytics.support import make_shop
from tests.domain.alerts.support import incident

ALERTS = """
subscription($ws: ID!) { reputationAlerts(workspaceId: $ws) {
  cursor kind alert { id status mentionsCount }
} }"""


def _collected_fields_alive() -> int:
    gc.collect()
    return sum(isinstance(thing, CollectedFields) for thing in gc.get_objects())


async def test_a_long_subscription_keeps_no_state_per_event(gql):
    shop = await make_shop(gql)
    query = await ListeningQuery.create(
        workspace_id=shop.pk, name="Brand", brand_terms=["kopikita"]
    )
    await AlertRule.create(
        workspace_id=shop.pk,
        query_id=query.id,
        name="Crisis",
        kind=RuleKind.WATCH_TERMS,
        terms=["lambat"],
        cooldown_minutes=60,
    )
    actor = Actor(user_id=from_global_id(shop.owner.user_id)[1])
    events = await schema.subscribe(
        ALERTS,
        variable_values={"ws": shop.workspace_id},
        context_value=Context(None, None, actor, make_loaders(actor)),
    )
    try:
        received = []

        async def take(count: int) -> None:
            for _ in range(count):
                result = await asyncio.wait_for(anext(events), 5)
                assert result.errors is None, result.errors
                received.append(result.data["reputationAlerts"])

        first = asyncio.ensure_future(take(5))
        await asyncio.sleep(0.3)  # subscribed
        for index in range(5):
            await incident(query, index)
        await first
        warmed = _collected_fields_alive()
        later = asyncio.ensure_future(take(40))
        for index in range(5, 45):
            await incident(query, index)
        await later
        assert _collected_fields_alive() <= warmed
    finally:
        await events.aclose()
    assert [event["kind"] for event in received] == ["OPENED"] + ["UPDATED"] * 44
    assert received[-1]["alert"]["mentionsCount"] == 45
