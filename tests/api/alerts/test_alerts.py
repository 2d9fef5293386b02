from datetime import UTC, datetime

from api.ids import from_global_id, to_global_id
from domain.alerts.models import Alert, AlertRule
from domain.listening.collection import search
from domain.listening.models import ListeningQuery, Mention
from tests.api.analytics.support import make_shop
from tests.helpers import top_level_codes

RULE_CREATE = """
mutation($input: AlertRuleCreateInput!) { alertRuleCreate(input: $input) {
  rule { id kind terms threshold } errors { field code message }
} }"""
ALERTS = """
query($ws: ID!, $status: AlertStatus) { alerts(workspaceId: $ws, status: $status) {
  edges { node { id status summary mentionsCount mentions { id text }
                 acknowledgedById resolvedById } }
} }"""
ACK = """
mutation($input: AlertRefInput!) { alertAcknowledge(input: $input) {
  alert { id status } errors { field code message }
} }"""
RESOLVE = """
mutation($input: AlertRefInput!) { alertResolve(input: $input) {
  alert { id status } errors { field code message }
} }"""


async def _query(shop) -> ListeningQuery:
    return await ListeningQuery.create(workspace_id=shop.pk, name="Brand", brand_terms=["kopikita"])


async def test_rules_are_validated(gql):
    shop = await make_shop(gql)
    query = await _query(shop)
    qid = to_global_id("ListeningQuery", query.id)
    for rule, problem in (
        ({"name": "x", "kind": "WATCH_TERMS"}, ("terms", "REQUIRED")),
        ({"name": "x", "kind": "NEGATIVE_SHARE", "threshold": 1.5}, ("threshold", "INVALID")),
        ({"name": "x", "kind": "VOLUME_SPIKE", "threshold": 0.5}, ("threshold", "INVALID")),
        ({"name": "x", "kind": "INFLUENTIAL_NEGATIVE"}, ("minReach", "REQUIRED")),
        ({"name": "", "kind": "WATCH_TERMS", "terms": ["a"]}, ("name", "REQUIRED")),
        (
            {"name": "x", "kind": "WATCH_TERMS", "terms": ["a"], "windowMinutes": 1},
            ("windowMinutes", "INVALID"),
        ),
    ):
        payload = await gql.mutate(
            "alertRuleCreate",
            RULE_CREATE,
            {"queryId": qid, "rule": rule},
            token=shop.owner.token,
            expect_errors=True,
        )
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == problem
    assert await AlertRule.all().count() == 0
    other = await make_shop(gql, "Other")
    foreign = await gql.mutate(
        "alertRuleCreate",
        RULE_CREATE,
        {"queryId": qid, "rule": {"name": "x", "kind": "WATCH_TERMS", "terms": ["a"]}},
        token=other.owner.token,
        expect_errors=True,
    )
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]


async def test_alert_lifecycle_through_the_api(gql):
    shop = await make_shop(gql)
    query = await _query(shop)
    channel = await shop.world.channel()
    made = await gql.mutate(
        "alertRuleCreate",
        RULE_CREATE,
        {
            "queryId": to_global_id("ListeningQuery", query.id),
            "rule": {"name": "Crisis", "kind": "WATCH_TERMS", "terms": ["lambat"]},
        },
        token=shop.owner.token,
    )
    assert made["rule"]["terms"] == ["lambat"]
    await search(query.id, channel.id, datetime.now(UTC))
    key = await gql.api_key(shop.workspace_id, shop.owner, ["ALERTS"])
    [edge] = (await gql.data(ALERTS, {"ws": shop.workspace_id}, token=key))["alerts"]["edges"]
    alert = edge["node"]
    assert alert["status"] == "OPEN" and alert["mentionsCount"] == len(alert["mentions"]) > 0
    assert all("lambat" in m["text"].lower() for m in alert["mentions"])
    ref = {"alertId": alert["id"]}
    assert (await gql.mutate("alertAcknowledge", ACK, ref, token=shop.owner.token))["alert"][
        "status"
    ] == "ACKNOWLEDGED"
    again = await gql.mutate(
        "alertAcknowledge", ACK, ref, token=shop.owner.token, expect_errors=True
    )
    assert [e["code"] for e in again["errors"]] == ["NOT_ALLOWED"]
    assert (await gql.mutate("alertResolve", RESOLVE, ref, token=shop.owner.token))["alert"][
        "status"
    ] == "RESOLVED"
    resolved = (
        await gql.data(
            ALERTS, {"ws": shop.workspace_id, "status": "RESOLVED"}, token=shop.owner.token
        )
    )["alerts"]["edges"][0]["node"]
    assert resolved["resolvedById"] == shop.owner.user_id
    assert resolved["acknowledgedById"] == shop.owner.user_id
    other = await make_shop(gql, "Other")
    foreign = await gql.mutate(
        "alertResolve", RESOLVE, ref, token=other.owner.token, expect_errors=True
    )
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    assert from_global_id(alert["id"])[1] == (await Alert.first()).id


async def test_alerts_need_alerts_read(gql):
    shop = await make_shop(gql)
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    body = await gql.execute(ALERTS, {"ws": shop.workspace_id}, token=approver.person.token)
    assert top_level_codes(body) == ["FORBIDDEN"]


RULES = """
query($ws: ID!, $query: ID, $first: Int, $after: String) {
  alertRules(workspaceId: $ws, queryId: $query, first: $first, after: $after) {
    totalCount edges { cursor node { id queryId name kind active } } pageInfo { hasNextPage }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { ... on AlertRule { id name } } }"
NODE_ID = "query($id: ID!) { node(id: $id) { id } }"


async def test_alert_rules_are_listed_per_workspace_and_query(gql):
    shop = await make_shop(gql)
    brand, other_query = (
        await _query(shop),
        await ListeningQuery.create(
            workspace_id=shop.pk, name="Competitor", brand_terms=["kopilain"]
        ),
    )
    made = []
    for query, name in ((brand, "Crisis"), (brand, "Critics"), (other_query, "Theirs")):
        payload = await gql.mutate(
            "alertRuleCreate",
            RULE_CREATE,
            {
                "queryId": to_global_id("ListeningQuery", query.id),
                "rule": {"name": name, "kind": "WATCH_TERMS", "terms": ["lambat"]},
            },
            token=shop.owner.token,
        )
        made.append(payload["rule"]["id"])
    key = await gql.api_key(shop.workspace_id, shop.owner, ["ALERTS"])
    listed = (await gql.data(RULES, {"ws": shop.workspace_id, "first": 2}, token=key))["alertRules"]
    assert listed["totalCount"] == 3 and listed["pageInfo"]["hasNextPage"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == made[:2]
    rest = (
        await gql.data(
            RULES,
            {"ws": shop.workspace_id, "after": listed["edges"][-1]["cursor"]},
            token=key,
        )
    )["alertRules"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == made[2:]
    of_brand = (
        await gql.data(
            RULES,
            {"ws": shop.workspace_id, "query": to_global_id("ListeningQuery", brand.id)},
            token=shop.owner.token,
        )
    )["alertRules"]
    assert [edge["node"]["name"] for edge in of_brand["edges"]] == ["Crisis", "Critics"]
    node = (await gql.data(NODE, {"id": made[0]}, token=key))["node"]
    assert node == {"id": made[0], "name": "Crisis"}

    other = await make_shop(gql, "Other")
    foreign = await gql.execute(RULES, {"ws": shop.workspace_id}, token=other.owner.token)
    assert top_level_codes(foreign) == ["NOT_FOUND"]
    assert (await gql.data(NODE, {"id": made[0]}, token=other.owner.token))["node"] is None
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    refused = await gql.execute(RULES, {"ws": shop.workspace_id}, token=approver.person.token)
    assert top_level_codes(refused) == ["FORBIDDEN"]


async def test_node_needs_alerts_read_too(gql):
    shop = await make_shop(gql)
    query = await _query(shop)
    channel = await shop.world.channel()
    rule = await AlertRule.create(
        workspace_id=shop.pk,
        query_id=query.id,
        name="Crisis",
        kind="WATCH_TERMS",
        terms=["lambat"],
    )
    await search(query.id, channel.id, datetime.now(UTC))
    alert = await Alert.first()
    mention = await Mention.filter(query_id=query.id).first()
    ids = [
        to_global_id("Alert", alert.id),
        to_global_id("AlertRule", rule.id),
        to_global_id("ListeningQuery", query.id),
        to_global_id("Mention", mention.id),
    ]
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    conversions_key = await gql.api_key(shop.workspace_id, shop.owner, ["CONVERSIONS"])
    alerts_key = await gql.api_key(shop.workspace_id, shop.owner, ["ALERTS"])
    for node_id in ids:
        variables = {"id": node_id}
        assert (await gql.data(NODE_ID, variables, token=approver.person.token))["node"] is None
        assert (await gql.data(NODE_ID, variables, token=conversions_key))["node"] is None
        assert (await gql.data(NODE_ID, variables, token=alerts_key))["node"] == {"id": node_id}
