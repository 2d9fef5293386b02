"""Tenancy: an id from another workspace answers exactly like an id that does not exist.

Bob owns workspace B. Every query and mutation that takes an id is tried with ids from
Alice's workspace A and with ids that exist nowhere: the answers must be identical (null
for queries, a NOT_FOUND error for mutations), and nothing may be written.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.ids import to_global_id
from tests.helpers import (
    API_KEY_CREATE,
    MEMBER_INVITE,
    Person,
    identity_rows,
    top_level_codes,
)

MISSING = 9_000_000


@dataclass
class World:
    alice: Person
    bob: Person
    workspace_a: str
    workspace_b: str
    ids_a: dict[str, str]  # type name → an id of that type in workspace A
    secret_a: str


@pytest.fixture
async def world(gql) -> World:
    alice = await gql.person()
    workspace_a = await gql.workspace(alice, "Alpha")
    editor = await gql.join(workspace_a, alice, "EDITOR")
    invitation = await gql.mutate(
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": workspace_a, "email": "pending@example.com", "role": "ANALYST"},
        token=alice.token,
    )
    key = await gql.mutate(
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_a, "name": "alpha partner", "scopes": ["READ"]},
        token=alice.token,
    )
    bob = await gql.person()
    workspace_b = await gql.workspace(bob, "Beta")
    return World(
        alice=alice,
        bob=bob,
        workspace_a=workspace_a,
        workspace_b=workspace_b,
        ids_a={
            "Workspace": workspace_a,
            "Member": editor.member_id,
            "Invitation": invitation["invitation"]["id"],
            "ApiKey": key["apiKey"]["id"],
            "User": alice.user_id,
        },
        secret_a=key["secret"],
    )


def missing(type_name: str) -> str:
    return to_global_id(type_name, MISSING)


# Queries

WORKSPACE_DEEP = """
query($id: ID!) {
  workspace(id: $id) {
    id name viewerRole
    members(first: 5) { totalCount edges { node { id role user { email } } } }
    invitations(first: 5) { totalCount edges { node { email } } }
    apiKeys(first: 5) { totalCount edges { node { name } } }
  }
}"""

NODE_DEEP = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Workspace { name members(first: 5) { totalCount } apiKeys(first: 5) { totalCount } }
    ... on Member { role user { email } workspace { name } }
    ... on Invitation { email }
    ... on ApiKey { name prefix }
    ... on User { email }
  }
}"""


async def answer(gql, query, variables, token):
    response = await gql.raw(query, variables, token=token)
    assert response.status_code == 200
    return response.json()


async def test_workspace_of_another_tenant_looks_missing(gql, world):
    before = await identity_rows()
    foreign = await answer(gql, WORKSPACE_DEEP, {"id": world.workspace_a}, world.bob.token)
    absent = await answer(gql, WORKSPACE_DEEP, {"id": missing("Workspace")}, world.bob.token)
    assert foreign == absent == {"data": {"workspace": None}}
    assert await identity_rows() == before


@pytest.mark.parametrize("type_name", ["Workspace", "Member", "Invitation", "ApiKey", "User"])
async def test_node_of_another_tenant_looks_missing(gql, world, type_name):
    before = await identity_rows()
    foreign = await answer(gql, NODE_DEEP, {"id": world.ids_a[type_name]}, world.bob.token)
    absent = await answer(gql, NODE_DEEP, {"id": missing(type_name)}, world.bob.token)
    assert foreign == absent == {"data": {"node": None}}
    assert await identity_rows() == before


async def test_the_owner_sees_what_bob_does_not(gql, world):
    """The control: the same queries work for Alice, so null above means scoping."""
    data = await gql.data(WORKSPACE_DEEP, {"id": world.workspace_a}, token=world.alice.token)
    assert data["workspace"]["members"]["totalCount"] == 2
    assert data["workspace"]["invitations"]["totalCount"] == 1
    assert data["workspace"]["apiKeys"]["totalCount"] == 1
    for type_name, global_id in world.ids_a.items():
        node = (await gql.data(NODE_DEEP, {"id": global_id}, token=world.alice.token))["node"]
        assert node is not None and node["id"] == global_id, type_name


async def test_lists_never_include_another_tenant(gql, world):
    data = await gql.data(
        "{ workspaces { totalCount edges { node { id } } } me { workspaces { totalCount } } }",
        token=world.bob.token,
    )
    assert data["workspaces"] == {"totalCount": 1, "edges": [{"node": {"id": world.workspace_b}}]}
    assert data["me"]["workspaces"]["totalCount"] == 1
    members = await gql.data(WORKSPACE_DEEP, {"id": world.workspace_b}, token=world.bob.token)
    emails = [edge["node"]["user"]["email"] for edge in members["workspace"]["members"]["edges"]]
    assert emails == [world.bob.email]
    assert members["workspace"]["invitations"]["totalCount"] == 0
    assert members["workspace"]["apiKeys"]["totalCount"] == 0


# Mutations

ROLE_UPDATE = """
mutation($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) { member { id role } errors { field code message } }
}"""
REMOVE = """
mutation($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedMemberId errors { field code message } }
}"""
REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id revokedAt } errors { field code message } }
}"""

# name, query, the id's type, the input field holding it, the rest of the input
MUTATIONS = [
    (
        "memberInvite",
        MEMBER_INVITE,
        "Workspace",
        "workspaceId",
        {"email": "x@example.com", "role": "OWNER"},
    ),
    ("memberRoleUpdate", ROLE_UPDATE, "Member", "memberId", {"role": "OWNER"}),
    ("memberRemove", REMOVE, "Member", "memberId", {}),
    (
        "apiKeyCreate",
        API_KEY_CREATE,
        "Workspace",
        "workspaceId",
        {"name": "mine", "scopes": ["READ"]},
    ),
    ("apiKeyRevoke", REVOKE, "ApiKey", "apiKeyId", {}),
]


@pytest.mark.parametrize(
    ("name", "query", "type_name", "field", "rest"),
    MUTATIONS,
    ids=[mutation[0] for mutation in MUTATIONS],
)
async def test_mutations_on_another_tenant_look_missing(
    gql, world, name, query, type_name, field, rest
):
    before = await identity_rows()

    foreign = await answer(
        gql, query, {"input": {field: world.ids_a[type_name], **rest}}, world.bob.token
    )
    absent = await answer(
        gql, query, {"input": {field: missing(type_name), **rest}}, world.bob.token
    )

    assert foreign == absent
    assert "errors" not in foreign
    payload = foreign["data"][name]
    [error] = payload["errors"]
    assert error["field"] == field
    assert error["code"] == "NOT_FOUND"
    assert all(value is None for key, value in payload.items() if key != "errors")
    assert await identity_rows() == before


async def test_every_foreign_member_id_looks_missing(gql, world):
    """Walking the id space finds nothing of A: each answer equals a missing id's."""
    absent = await answer(gql, REMOVE, {"input": {"memberId": missing("Member")}}, world.bob.token)
    before = await identity_rows()
    bob_pk = next(row["id"] for row in before["User"] if row["email"] == world.bob.email)
    alpha = [row["id"] for row in before["Membership"] if row["user_id"] != bob_pk]
    assert len(alpha) == 2
    for member_pk in alpha:
        body = await answer(
            gql, REMOVE, {"input": {"memberId": to_global_id("Member", member_pk)}}, world.bob.token
        )
        assert body == absent
    assert await identity_rows() == before


# API keys


async def test_a_key_of_workspace_a_cannot_see_workspace_b(gql, world):
    secret = world.secret_a
    bob_member = await gql.owner_member_id(world.workspace_b, world.bob)

    data = await gql.data(
        "query($id: ID!) { workspace(id: $id) { id } }", {"id": world.workspace_b}, token=secret
    )
    assert data == {"workspace": None}
    for global_id in (world.workspace_b, bob_member, world.bob.user_id):
        node = await gql.data(
            "query($id: ID!) { node(id: $id) { id } }", {"id": global_id}, token=secret
        )
        assert node == {"node": None}
    listed = await gql.data("{ workspaces { totalCount edges { node { id } } } }", token=secret)
    assert listed["workspaces"] == {"totalCount": 1, "edges": [{"node": {"id": world.workspace_a}}]}


async def test_a_key_of_workspace_a_cannot_act_on_workspace_b(gql, world):
    await gql.data("{ workspaces { totalCount } }", token=world.secret_a)  # settle lastUsedAt
    before = await identity_rows()
    body = await answer(
        gql,
        API_KEY_CREATE,
        {"input": {"workspaceId": world.workspace_b, "name": "x", "scopes": ["READ"]}},
        world.secret_a,
    )
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await identity_rows() == before
