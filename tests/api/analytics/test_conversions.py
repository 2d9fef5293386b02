"""`conversionRecord` and `conversions` through GraphQL over HTTP, with partners' API keys:
scopes, last-click attribution, idempotency, bad input, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import Tortoise

from api.ids import to_global_id
from domain.analytics.clicks import follow
from domain.analytics.models import Conversion
from tests.api.analytics.test_links import create_link
from tests.api.analytics.test_options import set_options
from tests.api.content.support import create_post, pk, studio
from tests.api.strategy.test_campaigns import campaign
from tests.helpers import top_level_codes

CONVERSION_FIELDS = """
  id value currency occurredAt orderId source attributed createdAt workspaceId
  link { id code } target { id } post { id } channel { id } campaign { id name }
"""
RECORD = f"""
mutation($input: ConversionRecordInput!) {{
  conversionRecord(input: $input) {{
    conversion {{ {CONVERSION_FIELDS} }} attributed replayed errors {{ field code message }}
  }}
}}"""
CONVERSIONS = f"""
query($workspaceId: ID!, $first: Int, $after: String) {{
  conversions(workspaceId: $workspaceId, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {CONVERSION_FIELDS} }} }}
  }}
}}"""


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def record(gql, token, workspace_id, *, expect_errors=False, **fields):
    fields = {"idempotencyKey": "order-1", "value": "49.90", "currency": "IDR", **fields}
    return await gql.mutate(
        "conversionRecord",
        RECORD,
        {"workspaceId": workspace_id, **fields},
        token=token,
        expect_errors=expect_errors,
    )


async def clicked(code: str, at: datetime, visitor: str = "browser") -> str:
    """A click on a short link at `at` (a distinct visitor per `visitor`)."""
    redirect = await follow(code, client_address="198.51.100.9", user_agent=visitor, now=at)
    assert redirect is not None and redirect.click_ref
    return redirect.click_ref


async def shop(gql):
    """An owner, their workspace with a sandbox channel, a campaign post and two links,
    and a partner's CONVERSIONS key."""
    owner, workspace_id, (channel,) = await studio(gql)
    launch = await campaign(gql, owner.token, workspace_id, "Launch")
    post = await create_post(gql, owner.token, workspace_id, [channel], campaignId=launch["id"])
    menu = await create_link(
        gql, owner.token, workspace_id, "https://k.example/menu", postId=post["id"]
    )
    shop_link = await create_link(
        gql, owner.token, workspace_id, "https://k.example/shop", channelId=channel
    )
    key = await gql.api_key(workspace_id, owner, ["CONVERSIONS"])
    return {
        "owner": owner,
        "workspace_id": workspace_id,
        "channel": channel,
        "campaign": launch,
        "post": post,
        "menu": menu,
        "shop": shop_link,
        "key": key,
    }


# Who may record


async def test_a_conversions_key_records_and_other_callers_are_refused(gql):
    world = await shop(gql)
    workspace_id = world["workspace_id"]
    reader = await gql.api_key(workspace_id, world["owner"], ["READ"])
    writer = await gql.api_key(workspace_id, world["owner"], ["WRITE"])
    analyst = await gql.join(workspace_id, world["owner"], "ANALYST")
    variables = {
        "input": {
            "workspaceId": workspace_id,
            "idempotencyKey": "k",
            "value": "1",
            "currency": "USD",
        }
    }
    for token in (reader, writer, analyst.person.token):
        refused = await gql.execute(RECORD, variables, token=token)
        assert top_level_codes(refused) == ["FORBIDDEN"], refused
    anonymous = await gql.execute(RECORD, variables)
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await Conversion.all().count() == 0

    payload = await record(gql, world["key"], workspace_id)
    conversion = payload["conversion"]
    assert payload["attributed"] is False and payload["replayed"] is False
    assert conversion["value"] == "49.9000" and conversion["currency"] == "IDR"
    assert conversion["source"] == "API" and conversion["link"] is None
    # The owner may record too (an admin backfilling, say).
    await record(gql, world["owner"].token, workspace_id, idempotencyKey="order-2")
    assert await Conversion.all().count() == 2
    # Reading is ANALYTICS_READ: the READ key can, the CONVERSIONS key cannot.
    listed = await gql.data(CONVERSIONS, {"workspaceId": workspace_id}, token=reader)
    assert listed["conversions"]["totalCount"] == 2
    unreadable = await gql.execute(CONVERSIONS, {"workspaceId": workspace_id}, token=world["key"])
    assert top_level_codes(unreadable) == ["FORBIDDEN"]


async def test_another_workspace_looks_missing(gql):
    world = await shop(gql)
    stranger, stranger_workspace, _ = await studio(gql)
    their_key = await gql.api_key(stranger_workspace, stranger, ["CONVERSIONS"])
    into_ours = await record(gql, their_key, world["workspace_id"], expect_errors=True)
    missing = await record(gql, their_key, to_global_id("Workspace", 999999), expect_errors=True)
    assert into_ours["errors"] == missing["errors"]
    assert [(e["field"], e["code"]) for e in into_ours["errors"]] == [("workspaceId", "NOT_FOUND")]
    await record(gql, world["key"], world["workspace_id"])
    listed = await gql.execute(
        CONVERSIONS, {"workspaceId": world["workspace_id"]}, token=stranger.token
    )
    assert top_level_codes(listed) == ["NOT_FOUND"]
    conversion_id = to_global_id("Conversion", (await Conversion.get()).id)
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await gql.data(node, {"id": conversion_id}, token=stranger.token))["node"] is None
    owner_view = await gql.data(node, {"id": conversion_id}, token=world["owner"].token)
    assert owner_view["node"] == {"id": conversion_id}


# Attribution


async def test_the_latest_click_in_the_window_wins(gql):
    world = await shop(gql)
    now = datetime.now(UTC).replace(microsecond=0)
    older = await clicked(world["shop"]["code"], now - timedelta(days=3))
    latest = await clicked(world["menu"]["code"], now - timedelta(days=1))
    after = await clicked(world["shop"]["code"], now + timedelta(minutes=1), "later")
    payload = await record(
        gql,
        world["key"],
        world["workspace_id"],
        occurredAt=iso(now),
        clickRefs=[older, after, latest, "unknown-ref"],
        orderId="INV-7",
    )
    assert payload["attributed"] is True
    conversion = payload["conversion"]
    assert conversion["link"] == {"id": world["menu"]["id"], "code": world["menu"]["code"]}
    assert conversion["post"] == {"id": world["post"]["id"]}
    assert conversion["campaign"] == {"id": world["campaign"]["id"], "name": "Launch"}
    assert conversion["channel"] is None and conversion["target"] is None
    assert conversion["orderId"] == "INV-7"
    row = await Conversion.get()
    assert row.click_id is not None and row.link_id == pk(world["menu"]["id"])
    assert row.post_id == pk(world["post"]["id"])
    listed = await gql.data(
        CONVERSIONS, {"workspaceId": world["workspace_id"]}, token=world["owner"].token
    )
    assert listed["conversions"]["edges"][0]["node"] == conversion
    links = await gql.data(
        "query($w: ID!) { links(workspaceId: $w) { edges { node { code conversions } } } }",
        {"w": world["workspace_id"]},
        token=world["owner"].token,
    )
    counts = {edge["node"]["code"]: edge["node"]["conversions"] for edge in links["links"]["edges"]}
    assert counts == {world["menu"]["code"]: 1, world["shop"]["code"]: 0}


async def test_a_click_outside_the_window_is_not_credited(gql):
    world = await shop(gql)
    now = datetime.now(UTC)
    old = await clicked(world["menu"]["code"], now - timedelta(days=8))
    payload = await record(
        gql, world["key"], world["workspace_id"], occurredAt=iso(now), clickRefs=[old]
    )
    assert payload["attributed"] is False and payload["conversion"]["link"] is None
    assert payload["conversion"]["post"] is None
    # A wider window credits the same click.
    await set_options(gql, world["owner"].token, world["workspace_id"], attributionWindowDays=30)
    wider = await record(
        gql,
        world["key"],
        world["workspace_id"],
        idempotencyKey="order-2",
        occurredAt=iso(now),
        clickRefs=[old],
    )
    assert wider["attributed"] is True
    assert await Conversion.all().count() == 2


async def test_a_click_of_another_workspace_is_not_credited(gql):
    world = await shop(gql)
    stranger, stranger_workspace, _ = await studio(gql)
    theirs = await create_link(gql, stranger.token, stranger_workspace)
    their_click = await clicked(theirs["code"], datetime.now(UTC) - timedelta(hours=1))
    by_click = await record(gql, world["key"], world["workspace_id"], clickRefs=[their_click])
    assert by_click["attributed"] is False
    by_code = await record(
        gql, world["key"], world["workspace_id"], idempotencyKey="o2", linkCode=theirs["code"]
    )
    assert by_code["attributed"] is False
    assert await Conversion.filter(link_id__not_isnull=True).count() == 0


async def test_a_link_code_alone_credits_that_link(gql):
    world = await shop(gql)
    payload = await record(gql, world["key"], world["workspace_id"], linkCode=world["shop"]["code"])
    assert payload["attributed"] is True
    conversion = payload["conversion"]
    assert conversion["link"]["id"] == world["shop"]["id"]
    assert conversion["channel"] == {"id": world["channel"]}
    assert (await Conversion.get()).click_id is None


# Idempotency


async def test_a_replay_returns_the_first_conversion_and_writes_nothing(gql):
    world = await shop(gql)
    click = await clicked(world["menu"]["code"], datetime.now(UTC) - timedelta(hours=2))
    other = await clicked(world["shop"]["code"], datetime.now(UTC) - timedelta(hours=3))
    first = await record(
        gql,
        world["key"],
        world["workspace_id"],
        value="10",
        currency="usd",
        clickRefs=[click, other],
        customerId="cust-42",
    )
    assert first["replayed"] is False
    # The same report, written differently (and without occurredAt, so "now" moved on).
    again = await record(
        gql,
        world["key"],
        world["workspace_id"],
        value="10.000",
        currency="USD",
        clickRefs=[other, click, click],
        customerId="cust-42",
    )
    assert again["replayed"] is True and again["attributed"] is True
    assert again["conversion"] == first["conversion"]
    assert await Conversion.all().count() == 1


async def test_a_reused_key_with_another_report_is_refused(gql):
    world = await shop(gql)
    await record(gql, world["key"], world["workspace_id"], value="10", customerId="a")
    before = await Conversion.all().values()
    for change in ({"value": "11"}, {"currency": "USD"}, {"customerId": "b"}, {"orderId": "x"}):
        payload = await record(
            gql,
            world["key"],
            world["workspace_id"],
            expect_errors=True,
            **{"value": "10", "customerId": "a", **change},
        )
        assert payload["conversion"] is None and payload["replayed"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
        ]
    assert await Conversion.all().values() == before


async def test_the_customer_id_is_stored_only_as_a_keyed_hash(gql):
    world = await shop(gql)
    await record(gql, world["key"], world["workspace_id"], customerId="jane@example.com")
    row = await Conversion.get()
    assert len(row.customer_hash) == 64
    for model in Tortoise.apps["kelola"].values():
        for stored in await model.all().values():
            assert "jane@example.com" not in str(stored), model.__name__


# Bad input


async def test_every_problem_is_listed_and_nothing_written(gql):
    world = await shop(gql)
    now = datetime.now(UTC)
    payload = await record(
        gql,
        world["key"],
        world["workspace_id"],
        expect_errors=True,
        idempotencyKey="",
        value="-1",
        currency="XYZ",
        occurredAt=iso(now + timedelta(minutes=10)),
        clickRefs=[f"ref{n}" for n in range(21)],
        linkCode="x" * 17,
        orderId="o" * 201,
    )
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("clickRefs", "INVALID"),
        ("currency", "INVALID"),
        ("idempotencyKey", "REQUIRED"),
        ("linkCode", "TOO_LONG"),
        ("occurredAt", "INVALID"),
        ("orderId", "TOO_LONG"),
        ("value", "INVALID"),
    ]
    cases = [
        ({"value": "NaN"}, ("value", "INVALID")),
        ({"value": "Infinity"}, ("value", "INVALID")),
        ({"value": "1.23456"}, ("value", "INVALID")),
        ({"value": "10000000000000.0001"}, ("value", "INVALID")),
        ({"currency": ""}, ("currency", "REQUIRED")),
        ({"currency": "US"}, ("currency", "INVALID")),
        ({"currency": "XAU"}, ("currency", "INVALID")),
        ({"occurredAt": iso(now - timedelta(days=401))}, ("occurredAt", "INVALID")),
        ({"occurredAt": "2027-03-01T10:00:00"}, ("occurredAt", "INVALID")),
        ({"idempotencyKey": "k" * 129}, ("idempotencyKey", "TOO_LONG")),
        ({"clickRefs": ["ok", ""]}, ("clickRefs.1", "REQUIRED")),
        ({"clickRefs": ["r" * 33]}, ("clickRefs.0", "TOO_LONG")),
        ({"customerId": "c" * 201}, ("customerId", "TOO_LONG")),
    ]
    for change, expected in cases:
        payload = await record(
            gql, world["key"], world["workspace_id"], expect_errors=True, **change
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected], change
    # The largest value, 4 decimal places and zero are fine.
    await record(gql, world["key"], world["workspace_id"], value="10000000000000")
    assert await Conversion.all().count() == 1
    await record(gql, world["key"], world["workspace_id"], idempotencyKey="z", value="0.0001")
    await record(gql, world["key"], world["workspace_id"], idempotencyKey="zero", value=0)
    assert await Conversion.all().count() == 3


async def test_a_value_that_is_not_a_number_is_refused_by_the_schema(gql):
    world = await shop(gql)
    body = await gql.execute(
        RECORD,
        {
            "input": {
                "workspaceId": world["workspace_id"],
                "idempotencyKey": "k",
                "value": "ten",
                "currency": "USD",
            }
        },
        token=world["key"],
    )
    assert body.get("data") is None
    assert top_level_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await Conversion.all().count() == 0


# Reading


async def test_conversions_are_paged_oldest_first(gql):
    world = await shop(gql)
    for n in range(3):
        await record(gql, world["key"], world["workspace_id"], idempotencyKey=f"o{n}", value=n)
    first = await gql.data(
        CONVERSIONS, {"workspaceId": world["workspace_id"], "first": 2}, token=world["owner"].token
    )
    page = first["conversions"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await gql.data(
        CONVERSIONS,
        {"workspaceId": world["workspace_id"], "after": page["pageInfo"]["endCursor"]},
        token=world["owner"].token,
    )
    values = [edge["node"]["value"] for edge in page["edges"] + rest["conversions"]["edges"]]
    assert values == ["0.0000", "1.0000", "2.0000"]


async def test_listing_conversions_with_their_relations_is_not_n_plus_one(gql, queries):
    world = await shop(gql)

    async def credited(count: int, start: int) -> None:
        for n in range(start, start + count):
            link = world["menu"] if n % 2 else world["shop"]
            await record(
                gql, world["key"], world["workspace_id"], idempotencyKey=f"o{n}",
                linkCode=link["code"],
            )  # fmt: skip

    await credited(2, 0)
    variables = {"workspaceId": world["workspace_id"]}
    with queries.count() as small:
        data = await gql.data(CONVERSIONS, variables, token=world["owner"].token)
    assert len(data["conversions"]["edges"]) == 2
    await credited(8, 2)
    with queries.count() as large:
        data = await gql.data(CONVERSIONS, variables, token=world["owner"].token)
    assert len(data["conversions"]["edges"]) == 10
    assert all(edge["node"]["link"] for edge in data["conversions"]["edges"])
    assert len(small) == len(large), (small, large)
