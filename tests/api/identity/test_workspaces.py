"""Workspaces through GraphQL over HTTP: creating, reading, listing, `node(id)` and `me`."""

from __future__ import annotations

import base64

import pytest

from api.ids import to_global_id
from domain.identity.models import Membership, Workspace
from tests.helpers import WORKSPACE_CREATE, identity_rows, top_level_codes

WORKSPACE = """
query($id: ID!) { workspace(id: $id) { id name timezone viewerRole createdAt } }
"""

WORKSPACES = """
query($first: Int, $after: String) {
  workspaces(first: $first, after: $after) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Workspace { name timezone }
    ... on Member { role user { email } }
    ... on Invitation { email role }
    ... on ApiKey { name scopes }
    ... on User { email }
  }
}"""

ME_WORKSPACES = """
{
  me {
    email
    workspaces(first: 10) {
      totalCount
      edges { node { id name viewerRole } }
      pageInfo { hasNextPage }
    }
  }
}"""


async def create(gql, token, **input):
    return await gql.mutate(
        "workspaceCreate", WORKSPACE_CREATE, input, token=token, expect_errors=True
    )


def problems(payload) -> set[tuple[str, str]]:
    return {(error["field"], error["code"]) for error in payload["errors"]}


# workspaceCreate


async def test_create_makes_the_caller_owner(gql):
    owner = await gql.person()
    payload = await create(gql, owner.token, name="  Acme Coffee  ", timezone="Asia/Jakarta")

    assert payload["errors"] == []
    workspace = payload["workspace"]
    assert workspace["name"] == "Acme Coffee"
    assert workspace["timezone"] == "Asia/Jakarta"
    assert workspace["viewerRole"] == "OWNER"
    row = await Workspace.get(name="Acme Coffee")
    assert workspace["id"] == to_global_id("Workspace", row.id)
    [member] = await Membership.filter(workspace_id=row.id).values("user__email", "role")
    assert member == {"user__email": owner.email, "role": "OWNER"}


async def test_create_defaults_to_utc(gql):
    owner = await gql.person()
    payload = await create(gql, owner.token, name="Acme")
    assert payload["errors"] == []
    assert payload["workspace"]["timezone"] == "UTC"


async def test_a_name_of_exactly_120_characters_is_fine(gql):
    owner = await gql.person()
    payload = await create(gql, owner.token, name="n" * 120)
    assert payload["errors"] == []
    assert payload["workspace"]["name"] == "n" * 120


@pytest.mark.parametrize(
    ("name", "timezone", "expected"),
    [
        ("", "UTC", {("name", "REQUIRED")}),
        ("   ", "UTC", {("name", "REQUIRED")}),
        ("n" * 121, "UTC", {("name", "TOO_LONG")}),
        ("Acme", "Mars/Olympus_Mons", {("timezone", "INVALID")}),
        ("Acme", "", {("timezone", "INVALID")}),
        ("Acme", "x" * 500, {("timezone", "INVALID")}),
        ("", "Not/AZone", {("name", "REQUIRED"), ("timezone", "INVALID")}),
        ("n" * 121, "+07:00", {("name", "TOO_LONG"), ("timezone", "INVALID")}),
    ],
)
async def test_create_reports_every_problem_and_writes_nothing(gql, name, timezone, expected):
    owner = await gql.person()
    before = await identity_rows()

    payload = await create(gql, owner.token, name=name, timezone=timezone)

    assert problems(payload) == expected
    assert len(payload["errors"]) == len(expected)
    assert all(error["message"] for error in payload["errors"])
    assert payload["workspace"] is None
    assert await identity_rows() == before


async def test_an_invalid_timezone_is_not_echoed_at_length(gql):
    owner = await gql.person()
    payload = await create(gql, owner.token, name="Acme", timezone="z" * 5000)
    [error] = payload["errors"]
    assert len(error["message"]) < 200


async def test_create_needs_a_signed_in_user(gql):
    body = await gql.execute(WORKSPACE_CREATE, {"input": {"name": "Acme"}})
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
    assert await Workspace.all().count() == 0


async def test_an_api_key_cannot_create_workspaces(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    secret = await gql.api_key(workspace_id, owner, ["READ", "WRITE"])

    body = await gql.execute(WORKSPACE_CREATE, {"input": {"name": "Other"}}, token=secret)

    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await Workspace.all().count() == 1


# workspace(id)


async def test_workspace_by_id(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, "Acme")

    data = await gql.data(WORKSPACE, {"id": workspace_id}, token=owner.token)

    workspace = data["workspace"]
    assert workspace["id"] == workspace_id
    assert workspace["name"] == "Acme"
    assert workspace["timezone"] == "UTC"
    assert workspace["viewerRole"] == "OWNER"
    assert workspace["createdAt"]


async def test_workspace_shows_each_members_own_role(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    analyst = await gql.join(workspace_id, owner, "ANALYST")

    data = await gql.data(WORKSPACE, {"id": workspace_id}, token=analyst.person.token)
    assert data["workspace"]["viewerRole"] == "ANALYST"


@pytest.mark.parametrize(
    "bad_id",
    [
        to_global_id("Workspace", 987654),
        to_global_id("Member", 1),
        "not an id",
        "",
        "V29ya3NwYWNlOg",  # "Workspace:" with no key
    ],
)
async def test_workspace_by_an_unknown_id_is_null(gql, bad_id):
    owner = await gql.person()
    await gql.workspace(owner)
    data = await gql.data(WORKSPACE, {"id": bad_id}, token=owner.token)
    assert data == {"workspace": None}


async def test_workspace_needs_authentication(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    body = await gql.execute(WORKSPACE, {"id": workspace_id})
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"workspace": None}


# workspaces connection


async def make_workspaces(gql, owner, count: int) -> list[str]:
    return [await gql.workspace(owner, f"W{index}") for index in range(count)]


async def test_workspaces_paginate_oldest_first(gql):
    owner = await gql.person()
    ids = await make_workspaces(gql, owner, 5)
    stranger = await gql.person()
    await gql.workspace(stranger, "Not mine")

    first = (await gql.data(WORKSPACES, {"first": 2}, token=owner.token))["workspaces"]
    assert first["totalCount"] == 5
    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2]
    assert [edge["node"]["name"] for edge in first["edges"]] == ["W0", "W1"]
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][1]["cursor"],
    }

    after = first["pageInfo"]["endCursor"]
    second = (await gql.data(WORKSPACES, {"first": 2, "after": after}, token=owner.token))[
        "workspaces"
    ]
    assert [edge["node"]["id"] for edge in second["edges"]] == ids[2:4]
    assert second["totalCount"] == 5
    assert second["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True

    after = second["pageInfo"]["endCursor"]
    last = (await gql.data(WORKSPACES, {"first": 2, "after": after}, token=owner.token))[
        "workspaces"
    ]
    assert [edge["node"]["id"] for edge in last["edges"]] == ids[4:]
    assert last["pageInfo"]["hasNextPage"] is False
    assert last["pageInfo"]["endCursor"] == last["edges"][0]["cursor"]

    after = last["pageInfo"]["endCursor"]
    empty = (await gql.data(WORKSPACES, {"first": 2, "after": after}, token=owner.token))[
        "workspaces"
    ]
    assert empty["edges"] == []
    assert empty["totalCount"] == 5
    assert empty["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_workspaces_default_page_and_the_maximum(gql):
    owner = await gql.person()
    ids = await make_workspaces(gql, owner, 22)

    default = (await gql.data(WORKSPACES, token=owner.token))["workspaces"]
    assert len(default["edges"]) == 20
    assert default["pageInfo"]["hasNextPage"] is True
    assert default["totalCount"] == 22

    everything = (await gql.data(WORKSPACES, {"first": 100}, token=owner.token))["workspaces"]
    assert [edge["node"]["id"] for edge in everything["edges"]] == ids
    assert everything["pageInfo"]["hasNextPage"] is False

    exact = (await gql.data(WORKSPACES, {"first": 22}, token=owner.token))["workspaces"]
    assert len(exact["edges"]) == 22
    assert exact["pageInfo"]["hasNextPage"] is False


async def test_a_user_without_workspaces_gets_an_empty_connection(gql):
    person = await gql.person()
    data = await gql.data(WORKSPACES, token=person.token)
    assert data["workspaces"] == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": -1}, "first"),
        ({"first": 101}, "first"),
        ({"after": "garbage"}, "after"),
        ({"after": ""}, "after"),
        ({"after": "!!!"}, "after"),
        ({"after": cursor_of("post:3")}, "after"),
        ({"after": cursor_of("cursor:three")}, "after"),
        ({"after": cursor_of("cursor:" + "9" * 30)}, "after"),
        ({"after": cursor_of("cursor:-1")}, "after"),
        ({"after": "x" * 10_000}, "after"),
    ],
)
async def test_bad_page_arguments_are_a_bad_user_input_error(gql, variables, field):
    owner = await gql.person()
    await gql.workspace(owner)

    response = await gql.raw(WORKSPACES, variables, token=owner.token)

    assert response.status_code == 200
    body = response.json()
    assert top_level_codes(body) == ["BAD_USER_INPUT"]
    [error] = body["errors"]
    assert [problem["field"] for problem in error["extensions"]["problems"]] == [field]
    assert error["extensions"]["problems"][0]["code"] == "INVALID"
    assert body["data"] is None


async def test_both_bad_page_arguments_are_reported(gql):
    owner = await gql.person()
    body = await gql.execute(WORKSPACES, {"first": 0, "after": "nope"}, token=owner.token)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert {problem["field"] for problem in error["extensions"]["problems"]} == {"first", "after"}


async def test_a_first_beyond_a_graphql_int_is_a_validation_error(gql):
    owner = await gql.person()
    body = await gql.execute(WORKSPACES, {"first": 2**40}, token=owner.token)
    assert body.get("data") is None
    assert len(body["errors"]) == 1


async def test_workspaces_need_authentication(gql):
    body = await gql.execute(WORKSPACES)
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


# node(id)


async def test_node_resolves_every_identity_type(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, "Acme")
    member = await gql.join(workspace_id, owner, "EDITOR")
    invitation = await gql.mutate(
        "memberInvite",
        """mutation($input: MemberInviteInput!) {
          memberInvite(input: $input) { invitation { id } errors { code } } }""",
        {"workspaceId": workspace_id, "email": "later@example.com", "role": "ANALYST"},
        token=owner.token,
    )
    key = await gql.mutate(
        "apiKeyCreate",
        """mutation($input: ApiKeyCreateInput!) {
          apiKeyCreate(input: $input) { apiKey { id } errors { code } } }""",
        {"workspaceId": workspace_id, "name": "Zapier", "scopes": ["WRITE", "READ"]},
        token=owner.token,
    )

    async def node(global_id):
        return (await gql.data(NODE, {"id": global_id}, token=owner.token))["node"]

    assert await node(workspace_id) == {"id": workspace_id, "name": "Acme", "timezone": "UTC"}
    assert await node(member.member_id) == {
        "id": member.member_id,
        "role": "EDITOR",
        "user": {"email": member.person.email},
    }
    invitation_id = invitation["invitation"]["id"]
    assert await node(invitation_id) == {
        "id": invitation_id,
        "email": "later@example.com",
        "role": "ANALYST",
    }
    api_key_id = key["apiKey"]["id"]
    assert await node(api_key_id) == {
        "id": api_key_id,
        "name": "Zapier",
        "scopes": ["READ", "WRITE"],
    }
    assert await node(owner.user_id) == {"id": owner.user_id, "email": owner.email}


@pytest.mark.parametrize(
    "global_id",
    [
        to_global_id("Workspace", 424242),
        to_global_id("Member", 424242),
        to_global_id("Invitation", 424242),
        to_global_id("ApiKey", 424242),
        to_global_id("User", 424242),
        to_global_id("Spaceship", 1),
        to_global_id("Workspace", 2**63),
        "garbage",
        "",
        "A" * 1000,
    ],
)
async def test_node_of_an_unknown_id_is_null(gql, global_id):
    owner = await gql.person()
    await gql.workspace(owner)
    data = await gql.data(NODE, {"id": global_id}, token=owner.token)
    assert data == {"node": None}


async def test_node_needs_authentication(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    body = await gql.execute(NODE, {"id": workspace_id})
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"node": None}


# me { workspaces }


async def test_me_lists_my_workspaces_with_my_role_in_each(gql):
    person = await gql.person()
    own = await gql.workspace(person, "Mine")
    other_owner = await gql.person()
    joined = await gql.workspace(other_owner, "Theirs")
    await gql.workspace(other_owner, "Not shared")
    invite = await gql.mutate(
        "memberInvite",
        """mutation($input: MemberInviteInput!) {
          memberInvite(input: $input) { token errors { code } } }""",
        {"workspaceId": joined, "email": person.email, "role": "APPROVER"},
        token=other_owner.token,
    )
    await gql.mutate(
        "invitationAccept",
        """mutation($input: InvitationAcceptInput!) {
          invitationAccept(input: $input) { member { id } errors { code } } }""",
        {"token": invite["token"]},
        token=person.token,
    )

    me = (await gql.data(ME_WORKSPACES, token=person.token))["me"]

    assert me["email"] == person.email
    assert me["workspaces"]["totalCount"] == 2
    assert me["workspaces"]["pageInfo"] == {"hasNextPage": False}
    assert [edge["node"] for edge in me["workspaces"]["edges"]] == [
        {"id": own, "name": "Mine", "viewerRole": "OWNER"},
        {"id": joined, "name": "Theirs", "viewerRole": "APPROVER"},
    ]


async def test_me_without_workspaces(gql):
    person = await gql.person()
    me = (await gql.data(ME_WORKSPACES, token=person.token))["me"]
    assert me["workspaces"] == {"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": False}}


async def test_me_is_null_for_anonymous_and_api_keys(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    assert await gql.data("{ me { id } }") == {"me": None}
    assert await gql.data("{ me { id } }", token=secret) == {"me": None}


USER_WORKSPACES = """
query($id: ID!) {
  workspace(id: $id) {
    members { edges { node { user { email workspaces { totalCount edges { node { name } } } } } } }
  }
}"""


async def test_another_users_workspaces_are_theirs_not_mine(gql):
    """User.workspaces of a fellow member lists that user's workspaces the viewer may see
    members of, never the viewer's own list."""
    viewer = await gql.person()
    shared = await gql.workspace(viewer, "Shared")
    await gql.workspace(viewer, "Only mine")
    colleague = await gql.join(shared, viewer, "EDITOR")
    await gql.workspace(colleague.person, "Only theirs")
    elsewhere_owner = await gql.person()
    as_approver = await gql.workspace(elsewhere_owner, "Viewer is an approver here")
    for person, role in ((viewer, "APPROVER"), (colleague.person, "EDITOR")):
        invited = await gql.mutate(
            "memberInvite",
            """mutation($input: MemberInviteInput!) {
              memberInvite(input: $input) { token errors { code } } }""",
            {"workspaceId": as_approver, "email": person.email, "role": role},
            token=elsewhere_owner.token,
        )
        await gql.mutate(
            "invitationAccept",
            """mutation($input: InvitationAcceptInput!) {
              invitationAccept(input: $input) { member { id } errors { code } } }""",
            {"token": invited["token"]},
            token=person.token,
        )

    data = await gql.data(USER_WORKSPACES, {"id": shared}, token=viewer.token)

    lists = {
        edge["node"]["user"]["email"]: [
            workspace["node"]["name"] for workspace in edge["node"]["user"]["workspaces"]["edges"]
        ]
        for edge in data["workspace"]["members"]["edges"]
    }
    assert lists == {
        viewer.email: ["Shared", "Only mine", "Viewer is an approver here"],
        # Not "Only theirs" (not the viewer's), nor the approver workspace (the viewer
        # may not see its members there).
        colleague.person.email: ["Shared"],
    }
