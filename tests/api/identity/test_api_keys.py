"""API keys through GraphQL over HTTP: created once, stored hashed, scoped, revocable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api.ids import to_global_id
from domain.identity.models import ApiKey
from tests.helpers import API_KEY_CREATE, identity_rows, top_level_codes

REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id revokedAt } errors { field code message } }
}"""

API_KEYS = """
query($id: ID!) {
  workspace(id: $id) {
    apiKeys(first: 100) {
      totalCount
      edges { node { id name prefix scopes createdAt expiresAt lastUsedAt revokedAt } }
    }
  }
}"""

WORKSPACE = "query($id: ID!) { workspace(id: $id) { id name viewerRole } }"
WORKSPACES = "{ workspaces { totalCount edges { node { id } } } }"


async def create_key(gql, token, workspace_id, **input):
    fields = {"workspaceId": workspace_id, "name": "Zapier", "scopes": ["READ"], **input}
    return await gql.mutate("apiKeyCreate", API_KEY_CREATE, fields, token=token, expect_errors=True)


@pytest.fixture
async def shop(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, "Shop")
    return owner, workspace_id


# apiKeyCreate


async def test_create_shows_the_secret_once(gql, shop):
    owner, workspace_id = shop
    payload = await create_key(
        gql, owner.token, workspace_id, name=" Zapier ", scopes=["WRITE", "READ", "READ"]
    )

    assert payload["errors"] == []
    key = payload["apiKey"]
    secret = payload["secret"]
    assert key["name"] == "Zapier"
    assert key["scopes"] == ["READ", "WRITE"]
    assert key["lastUsedAt"] is None and key["revokedAt"] is None
    assert key["prefix"].startswith("klk_")
    assert secret.startswith(key["prefix"] + "_")
    assert len(secret) > len(key["prefix"]) + 32

    listed = await gql.raw(API_KEYS, {"id": workspace_id}, token=owner.token)
    keys = listed.json()["data"]["workspace"]["apiKeys"]
    assert keys["totalCount"] == 1
    assert keys["edges"][0]["node"]["id"] == key["id"]
    # klk_<public prefix>_<private part>; the private part may itself contain "_".
    private_part = secret.split("_", 2)[2]
    assert private_part not in listed.text
    node = await gql.raw(
        "query($id: ID!) { node(id: $id) { ... on ApiKey { id prefix } } }",
        {"id": key["id"]},
        token=owner.token,
    )
    assert node.json()["data"]["node"] == {"id": key["id"], "prefix": key["prefix"]}
    assert private_part not in node.text


async def test_the_secret_is_not_a_field(gql, shop):
    owner, workspace_id = shop
    payload = await create_key(gql, owner.token, workspace_id)
    body = await gql.execute(
        "query($id: ID!) { node(id: $id) { ... on ApiKey { secret } } }",
        {"id": payload["apiKey"]["id"]},
        token=owner.token,
    )
    assert body.get("data") is None
    assert "secret" in body["errors"][0]["message"]


async def test_the_secret_is_stored_hashed(gql, shop):
    owner, workspace_id = shop
    payload = await create_key(gql, owner.token, workspace_id)
    secret = payload["secret"]
    # klk_<public prefix>_<private part>; the private part may itself contain "_".
    private_part = secret.split("_", 2)[2]

    [row] = await ApiKey.all().values()
    assert row["secret_hash"] != secret
    assert row["secret_hash"] != private_part
    stored = json.dumps(row, default=str)
    assert private_part not in stored
    assert secret not in stored
    everything = json.dumps(await identity_rows(), default=str)
    assert private_part not in everything


async def test_create_with_an_expiry(gql, shop):
    owner, workspace_id = shop
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    payload = await create_key(gql, owner.token, workspace_id, expiresAt=expires.isoformat())
    assert payload["errors"] == []
    row = await ApiKey.get()
    assert row.expires_at == expires
    data = await gql.data(API_KEYS, {"id": workspace_id}, token=owner.token)
    [edge] = data["workspace"]["apiKeys"]["edges"]
    assert datetime.fromisoformat(edge["node"]["expiresAt"]) == expires


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"scopes": []}, {("scopes", "REQUIRED")}),
        ({"expiresAt": "2001-01-01T00:00:00+00:00"}, {("expiresAt", "INVALID")}),
        ({"expiresAt": "2999-01-01T00:00:00"}, {("expiresAt", "INVALID")}),
        ({"name": ""}, {("name", "REQUIRED")}),
        ({"name": "k" * 121}, {("name", "TOO_LONG")}),
        (
            {"name": " ", "scopes": [], "expiresAt": "2001-01-01T00:00:00Z"},
            {("name", "REQUIRED"), ("scopes", "REQUIRED"), ("expiresAt", "INVALID")},
        ),
    ],
)
async def test_create_reports_every_problem_and_writes_nothing(gql, shop, input, expected):
    owner, workspace_id = shop
    before = await identity_rows()

    payload = await create_key(gql, owner.token, workspace_id, **input)

    assert {(error["field"], error["code"]) for error in payload["errors"]} == expected
    assert len(payload["errors"]) == len(expected)
    assert payload["apiKey"] is None and payload["secret"] is None
    assert await identity_rows() == before


async def test_an_unknown_scope_is_refused_before_running(gql, shop):
    owner, workspace_id = shop
    body = await gql.execute(
        API_KEY_CREATE,
        {"input": {"workspaceId": workspace_id, "name": "x", "scopes": ["ADMIN"]}},
        token=owner.token,
    )
    assert body.get("data") is None
    assert len(body["errors"]) == 1
    assert await ApiKey.all().count() == 0


# Using a key


async def test_a_key_reads_its_workspace(gql, shop):
    owner, workspace_id = shop
    await gql.workspace(owner, "Another of the owner's")
    secret = await gql.api_key(workspace_id, owner, ["READ"])

    data = await gql.data(WORKSPACE, {"id": workspace_id}, token=secret)
    assert data["workspace"] == {"id": workspace_id, "name": "Shop", "viewerRole": None}
    listed = await gql.data(WORKSPACES, token=secret)
    assert listed["workspaces"] == {"totalCount": 1, "edges": [{"node": {"id": workspace_id}}]}


async def test_a_key_records_when_it_was_last_used(gql, shop):
    owner, workspace_id = shop
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    assert (await ApiKey.get()).last_used_at is None

    started = datetime.now(UTC)
    await gql.data(WORKSPACE, {"id": workspace_id}, token=secret)

    used = (await ApiKey.get()).last_used_at
    assert used is not None and started - timedelta(seconds=1) <= used <= datetime.now(UTC)
    data = await gql.data(API_KEYS, {"id": workspace_id}, token=owner.token)
    [edge] = data["workspace"]["apiKeys"]["edges"]
    assert datetime.fromisoformat(edge["node"]["lastUsedAt"]) == used

    # Within the minute, uses are not written again ...
    await gql.data(WORKSPACE, {"id": workspace_id}, token=secret)
    assert (await ApiKey.get()).last_used_at == used
    # ... after it, they are.
    await ApiKey.all().update(last_used_at=used - timedelta(minutes=5))
    await gql.data(WORKSPACE, {"id": workspace_id}, token=secret)
    assert (await ApiKey.get()).last_used_at > used - timedelta(seconds=1)


async def test_a_key_cannot_manage_people_or_keys(gql, shop):
    owner, workspace_id = shop
    editor = await gql.join(workspace_id, owner, "EDITOR")
    secret = await gql.api_key(workspace_id, owner, ["READ", "WRITE", "ALERTS", "CONVERSIONS"])
    key_id = (await gql.data(API_KEYS, {"id": workspace_id}, token=owner.token))["workspace"][
        "apiKeys"
    ]["edges"][0]["node"]["id"]
    await gql.data(WORKSPACE, {"id": workspace_id}, token=secret)  # settle lastUsedAt
    before = await identity_rows()

    attempts = [
        (
            "mutation($input: MemberInviteInput!) { memberInvite(input: $input) { token } }",
            {"workspaceId": workspace_id, "email": "x@example.com", "role": "ADMIN"},
        ),
        (
            "mutation($input: MemberRoleUpdateInput!) {"
            " memberRoleUpdate(input: $input) { member { id } } }",
            {"memberId": editor.member_id, "role": "OWNER"},
        ),
        (
            "mutation($input: MemberRemoveInput!) {"
            " memberRemove(input: $input) { removedMemberId } }",
            {"memberId": editor.member_id},
        ),
        (API_KEY_CREATE, {"workspaceId": workspace_id, "name": "child", "scopes": ["READ"]}),
        (REVOKE, {"apiKeyId": key_id}),
        (
            "mutation($input: WorkspaceCreateInput!) {"
            " workspaceCreate(input: $input) { errors { code } } }",
            {"name": "Mine now"},
        ),
    ]
    for query, input in attempts:
        body = await gql.execute(query, {"input": input}, token=secret)
        assert top_level_codes(body) == ["FORBIDDEN"], (query, body)
        assert body["data"] is None

    for field in ("members", "invitations", "apiKeys"):
        body = await gql.execute(
            f"query($id: ID!) {{ workspace(id: $id) {{ {field} {{ totalCount }} }} }}",
            {"id": workspace_id},
            token=secret,
        )
        assert top_level_codes(body) == ["FORBIDDEN"], field
        assert body["data"] == {"workspace": None}
    assert await identity_rows() == before


async def test_a_key_without_workspace_read_cannot_read_the_workspace(gql, shop):
    owner, workspace_id = shop
    secret = await gql.api_key(workspace_id, owner, ["CONVERSIONS"])
    assert await gql.data(WORKSPACE, {"id": workspace_id}, token=secret) == {"workspace": None}
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": workspace_id}, token=secret
    )
    assert node == {"node": None}
    listed = await gql.data(WORKSPACES, token=secret)
    assert listed["workspaces"] == {"totalCount": 0, "edges": []}


async def test_a_key_is_not_a_person(gql, shop):
    owner, workspace_id = shop
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    data = await gql.data("{ me { id } }", token=secret)
    assert data == {"me": None}
    owner_node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": owner.user_id}, token=secret
    )
    assert owner_node == {"node": None}


# apiKeyRevoke


async def test_revoking_stops_the_key_at_once(gql, shop):
    owner, workspace_id = shop
    created = await create_key(gql, owner.token, workspace_id)
    secret = created["secret"]
    assert (await gql.data(WORKSPACE, {"id": workspace_id}, token=secret))["workspace"]

    payload = await gql.mutate(
        "apiKeyRevoke", REVOKE, {"apiKeyId": created["apiKey"]["id"]}, token=owner.token
    )

    assert payload["apiKey"]["id"] == created["apiKey"]["id"]
    revoked_at = payload["apiKey"]["revokedAt"]
    assert revoked_at is not None
    for query, variables in [
        (WORKSPACE, {"id": workspace_id}),
        (WORKSPACES, {}),
        ("{ __typename }", {}),
    ]:
        body = await gql.execute(query, variables, token=secret)
        assert top_level_codes(body) == ["UNAUTHENTICATED"]
        assert body["data"] is None

    again = await gql.mutate(
        "apiKeyRevoke", REVOKE, {"apiKeyId": created["apiKey"]["id"]}, token=owner.token
    )
    assert again["apiKey"]["revokedAt"] == revoked_at
    listed = await gql.data(API_KEYS, {"id": workspace_id}, token=owner.token)
    [edge] = listed["workspace"]["apiKeys"]["edges"]
    assert edge["node"]["revokedAt"] == revoked_at


async def test_revoking_one_key_leaves_the_others(gql, shop):
    owner, workspace_id = shop
    doomed = await create_key(gql, owner.token, workspace_id, name="doomed")
    kept = await create_key(gql, owner.token, workspace_id, name="kept")
    await gql.mutate(
        "apiKeyRevoke", REVOKE, {"apiKeyId": doomed["apiKey"]["id"]}, token=owner.token
    )
    data = await gql.data(WORKSPACE, {"id": workspace_id}, token=kept["secret"])
    assert data["workspace"]["id"] == workspace_id


@pytest.mark.parametrize(
    ("api_key_id", "code"),
    [
        ("garbage", "INVALID"),
        (to_global_id("Workspace", 1), "INVALID"),
        (to_global_id("ApiKey", 999_999), "NOT_FOUND"),
    ],
)
async def test_revoking_an_unknown_key(gql, shop, api_key_id, code):
    owner, _ = shop
    before = await identity_rows()
    payload = await gql.mutate(
        "apiKeyRevoke", REVOKE, {"apiKeyId": api_key_id}, token=owner.token, expect_errors=True
    )
    assert payload["apiKey"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("apiKeyId", code)]
    assert await identity_rows() == before


async def test_an_expired_key_stops_working(gql, shop):
    owner, workspace_id = shop
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    await ApiKey.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    body = await gql.execute(WORKSPACE, {"id": workspace_id}, token=secret)

    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
    assert (await ApiKey.get()).last_used_at is None


async def test_forged_keys_are_unauthenticated(gql, shop):
    owner, workspace_id = shop
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    marker, public, private = secret.split("_", 2)
    prefix = f"{marker}_{public}"
    for forged in [
        prefix + "_" + "A" * 43,
        prefix + "_",
        prefix,
        "klk_",
        "klk__" + private,
        "klk_000000000000_" + private,
        secret + "x",
        secret + "x" * 200,
        secret.upper(),
    ]:
        body = await gql.execute(WORKSPACE, {"id": workspace_id}, token=forged)
        assert top_level_codes(body) == ["UNAUTHENTICATED"], forged
        assert body["data"] is None
    assert (await ApiKey.get()).last_used_at is None


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "klk_abc_def", "Token abc"],
)
async def test_malformed_authorization_headers_are_unauthenticated(gql, authorization):
    response = await gql.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": authorization}
    )
    assert response.status_code == 200
    body = response.json()
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
