from datetime import UTC, datetime

from api.ids import to_global_id
from domain.webhooks import delivery
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.api.content.support import create_post, studio
from tests.domain.webhooks.conftest import Receiver
from tests.helpers import top_level_codes

FIELDS = "id url description eventTypes enabled disabledReason workspaceId previousSecretValidUntil"
ENDPOINT = "endpoint { " + FIELDS + " }"
CREATE = f"""
mutation Create($input: WebhookEndpointCreateInput!) {{
  webhookEndpointCreate(input: $input) {{ {ENDPOINT} secret errors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation Update($input: WebhookEndpointUpdateInput!) {{
  webhookEndpointUpdate(input: $input) {{ {ENDPOINT} errors {{ field code message }} }}
}}"""
ROTATE = f"""
mutation Rotate($input: WebhookEndpointIdInput!) {{
  webhookEndpointRotateSecret(input: $input) {{ {ENDPOINT} secret errors {{ field code }} }}
}}"""
DELETE = """
mutation Delete($input: WebhookEndpointIdInput!) {
  webhookEndpointDelete(input: $input) { deletedEndpointId errors { field code } }
}"""
REDELIVER = """
mutation Redeliver($input: WebhookRedeliverInput!) {
  webhookRedeliver(input: $input) { delivery { id status } errors { field code message } }
}"""
ENDPOINTS = f"""
query Endpoints($workspaceId: ID!) {{
  webhookEndpoints(workspaceId: $workspaceId) {{ totalCount edges {{ node {{ {FIELDS} }} }} }}
}}"""
DELIVERIES = """
query Deliveries($workspaceId: ID!, $endpointId: ID, $status: WebhookDeliveryStatus,
                 $first: Int, $after: String) {
  webhookDeliveries(workspaceId: $workspaceId, endpointId: $endpointId, status: $status,
                    first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id endpointId eventType status attemptCount body
      attempts { number statusCode succeeded error responseSnippet } } }
  }
}"""


async def endpoint(gql, token, workspace_id, url="http://partner.test/hook", **fields):
    return await gql.mutate(
        "webhookEndpointCreate",
        CREATE,
        {
            "workspaceId": workspace_id,
            "url": url,
            "eventTypes": ["POST_STATUS_CHANGED"],
            **fields,
        },
        token=token,
    )


async def test_create_shows_the_secret_once_and_never_again(gql):
    owner, workspace_id, _ = await studio(gql)
    created = await endpoint(gql, owner.token, workspace_id, description="CRM")
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["endpoint"]["eventTypes"] == ["POST_STATUS_CHANGED"]
    assert created["endpoint"]["workspaceId"] == workspace_id
    endpoint_id = created["endpoint"]["id"]

    updated = await gql.mutate(
        "webhookEndpointUpdate",
        UPDATE,
        {"endpointId": endpoint_id, "eventTypes": ["REPORT_READY", "POST_STATUS_CHANGED"]},
        token=owner.token,
    )
    assert updated["endpoint"]["eventTypes"] == ["POST_STATUS_CHANGED", "REPORT_READY"]
    assert updated["endpoint"]["description"] == "CRM"
    answers = [
        await gql.raw(ENDPOINTS, {"workspaceId": workspace_id}, token=owner.token),
        await gql.raw(
            "query($id: ID!) { node(id: $id) { id ... on WebhookEndpoint { url } } }",
            {"id": endpoint_id},
            token=owner.token,
        ),
        await gql.raw(DELIVERIES, {"workspaceId": workspace_id}, token=owner.token),
    ]
    for answer in answers:
        assert answer.status_code == 200 and "errors" not in answer.json()
        assert secret not in answer.text and "whsec_" not in answer.text

    rotated = await gql.mutate(
        "webhookEndpointRotateSecret", ROTATE, {"endpointId": endpoint_id}, token=owner.token
    )
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")
    assert rotated["endpoint"]["previousSecretValidUntil"] is not None  # the old one, for 24 h

    deleted = await gql.mutate(
        "webhookEndpointDelete", DELETE, {"endpointId": endpoint_id}, token=owner.token
    )
    assert deleted["deletedEndpointId"] == endpoint_id
    assert await WebhookEndpoint.all().count() == 0


async def test_bad_input_lists_every_problem(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await gql.mutate(
        "webhookEndpointCreate",
        CREATE,
        {"workspaceId": workspace_id, "url": "ftp://user:pw@x", "eventTypes": []},
        token=owner.token,
        expect_errors=True,
    )
    assert payload["secret"] is None and payload["endpoint"] is None
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("url", "INVALID"),
        ("eventTypes", "REQUIRED"),
    }
    assert await WebhookEndpoint.all().count() == 0


async def test_production_refuses_loopback(gql, monkeypatch):
    from domain.settings import get_settings

    owner, workspace_id, _ = await studio(gql)
    monkeypatch.setattr(get_settings(), "env", "production")
    payload = await gql.mutate(
        "webhookEndpointCreate",
        CREATE,
        {"workspaceId": workspace_id, "url": "https://127.0.0.1/x", "eventTypes": ["REPORT_READY"]},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("url", "NOT_ALLOWED")]


async def test_foreign_ids_look_missing_and_roles_are_checked(gql):
    owner, workspace_id, channels = await studio(gql)
    created = await endpoint(gql, owner.token, workspace_id)
    await create_post(gql, owner.token, workspace_id, channels)
    [row] = await WebhookDelivery.all()
    delivery_id = to_global_id("WebhookDelivery", row.id)
    stranger, other_workspace, _ = await studio(gql)
    missing = to_global_id("WebhookEndpoint", 999_999)
    for endpoint_id in (created["endpoint"]["id"], missing):
        for query, name, extra in (
            (UPDATE, "webhookEndpointUpdate", {"url": "http://evil.test/"}),
            (ROTATE, "webhookEndpointRotateSecret", {}),
            (DELETE, "webhookEndpointDelete", {}),
        ):
            payload = await gql.mutate(
                name,
                query,
                {"endpointId": endpoint_id, **extra},
                token=stranger.token,
                expect_errors=True,
            )
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [
                ("endpointId", "NOT_FOUND")
            ]
    for target in (delivery_id, to_global_id("WebhookDelivery", 999_999)):
        payload = await gql.mutate(
            "webhookRedeliver",
            REDELIVER,
            {"deliveryId": target},
            token=stranger.token,
            expect_errors=True,
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("deliveryId", "NOT_FOUND")]
    mine = await gql.data(
        DELIVERIES,
        {"workspaceId": other_workspace, "endpointId": created["endpoint"]["id"]},
        token=stranger.token,
    )
    assert mine["webhookDeliveries"]["totalCount"] == 0
    foreign = await gql.execute(DELIVERIES, {"workspaceId": workspace_id}, token=stranger.token)
    assert foreign["data"] is None or foreign["data"]["webhookDeliveries"] is None
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    refused = await gql.execute(
        CREATE,
        {
            "input": {
                "workspaceId": workspace_id,
                "url": "http://a.test/",
                "eventTypes": ["REPORT_READY"],
            }
        },
        token=analyst.person.token,
    )
    assert top_level_codes(refused) == ["FORBIDDEN"]
    readable = await gql.data(ENDPOINTS, {"workspaceId": workspace_id}, token=analyst.person.token)
    assert readable["webhookEndpoints"]["totalCount"] == 1
    assert await WebhookEndpoint.filter(url="http://evil.test/").count() == 0


async def test_deliveries_newest_first_with_attempts_in_constant_queries(gql, queries, monkeypatch):
    receiver = Receiver()
    client = receiver.client()
    monkeypatch.setattr(delivery, "client_factory", lambda: client)
    owner, workspace_id, channels = await studio(gql)
    created = await endpoint(gql, owner.token, workspace_id)
    receiver.secrets["/hook"] = created["secret"]

    async def statements(count: int) -> int:
        while await WebhookDelivery.all().count() < count:
            await create_post(gql, owner.token, workspace_id, channels)
        for row in await WebhookDelivery.filter(attempts=0):
            await delivery.deliver(row.id, now=datetime.now(UTC))
        with queries.count() as sent:
            data = await gql.data(
                DELIVERIES, {"workspaceId": workspace_id, "first": 100}, token=owner.token
            )
        edges = data["webhookDeliveries"]["edges"]
        assert len(edges) == count
        return len(sent)

    receiver.script.append(500)  # the first delivery fails once
    few = await statements(2)
    many = await statements(6)
    assert few == many
    data = await gql.data(
        DELIVERIES, {"workspaceId": workspace_id, "first": 100}, token=owner.token
    )
    nodes = [edge["node"] for edge in data["webhookDeliveries"]["edges"]]
    pks = [row.id for row in await WebhookDelivery.all().order_by("-id")]
    assert [node["id"] for node in nodes] == [to_global_id("WebhookDelivery", pk) for pk in pks]
    assert all(node["attemptCount"] == len(node["attempts"]) == 1 for node in nodes)
    assert sum(not node["attempts"][0]["succeeded"] for node in nodes) == 1
    assert all(receiver_entry["verified"] for receiver_entry in receiver.received)
    assert created["secret"] not in str(data)

    failed = await gql.data(
        DELIVERIES, {"workspaceId": workspace_id, "status": "PENDING"}, token=owner.token
    )
    [pending] = failed["webhookDeliveries"]["edges"]
    page = await gql.data(DELIVERIES, {"workspaceId": workspace_id, "first": 2}, token=owner.token)
    assert page["webhookDeliveries"]["pageInfo"]["hasNextPage"]
    after = page["webhookDeliveries"]["pageInfo"]["endCursor"]
    rest = await gql.data(
        DELIVERIES, {"workspaceId": workspace_id, "first": 100, "after": after}, token=owner.token
    )
    assert len(rest["webhookDeliveries"]["edges"]) == 4

    redone = await gql.mutate(
        "webhookRedeliver", REDELIVER, {"deliveryId": pending["node"]["id"]}, token=owner.token
    )
    assert redone["delivery"]["status"] == "PENDING"
    pk = int(pks[[n["id"] for n in nodes].index(pending["node"]["id"])])
    assert await delivery.deliver(pk) == DeliveryStatus.DELIVERED
    await client.aclose()
