"""SQL statement counts of hot identity queries: constant in the number of rows (no N+1)."""

from __future__ import annotations

import pytest

from tests.helpers import INVITATION_ACCEPT, MEMBER_INVITE

ME_WORKSPACES = """
{
  me {
    workspaces(first: 100) {
      totalCount
      edges {
        node {
          id name viewerRole
          members(first: 5) { edges { node { role user { email } } } }
        }
      }
    }
  }
}"""

ME_WORKSPACES_WITH_COUNTS = """
{
  me {
    workspaces(first: 100) {
      totalCount
      edges {
        node {
          id
          members(first: 2) {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges { cursor node { id role workspace { id name } user { email name } } }
          }
        }
      }
    }
  }
}"""


async def build(gql, workspaces: int, members_each: int = 3):
    """A viewer in `workspaces` workspaces (owner of each), each with extra members."""
    viewer = await gql.person()
    helpers = [await gql.person() for _ in range(members_each)]
    for index in range(workspaces):
        workspace_id = await gql.workspace(viewer, f"W{index}")
        for helper, role in zip(helpers, ["EDITOR", "ANALYST", "ADMIN", "APPROVER"], strict=False):
            invited = await gql.mutate(
                "memberInvite",
                MEMBER_INVITE,
                {"workspaceId": workspace_id, "email": helper.email, "role": role},
                token=viewer.token,
            )
            await gql.mutate(
                "invitationAccept",
                INVITATION_ACCEPT,
                {"token": invited["token"]},
                token=helper.token,
            )
    return viewer


async def count(gql, queries, query: str, token: str) -> tuple[int, dict]:
    with queries.count() as statements:
        data = await gql.data(query, token=token)
    return len(statements), data


@pytest.mark.parametrize("query", [ME_WORKSPACES, ME_WORKSPACES_WITH_COUNTS])
async def test_me_workspaces_with_members_is_not_n_plus_one(gql, queries, query):
    small = await build(gql, 2)
    small_count, small_data = await count(gql, queries, query, small.token)
    large = await build(gql, 10)
    large_count, large_data = await count(gql, queries, query, large.token)

    assert len(small_data["me"]["workspaces"]["edges"]) == 2
    assert len(large_data["me"]["workspaces"]["edges"]) == 10
    assert small_count == large_count, (small_count, large_count)


async def test_the_hot_query_is_cheap_and_right(gql, queries):
    viewer = await build(gql, 3, members_each=6)
    statements, data = await count(gql, queries, ME_WORKSPACES, viewer.token)

    workspaces = data["me"]["workspaces"]
    assert workspaces["totalCount"] == 3
    for edge in workspaces["edges"]:
        node = edge["node"]
        assert node["viewerRole"] == "OWNER"
        members = node["members"]["edges"]
        assert len(members) == 5  # first: 5 of the 7 members
        assert members[0]["node"] == {"role": "OWNER", "user": {"email": viewer.email}}
        assert [member["node"]["role"] for member in members[1:]] == [
            "EDITOR",
            "ANALYST",
            "ADMIN",
            "APPROVER",
        ]
    # user, roles, workspaces page, their count, members pages, their users
    assert statements <= 6, statements


async def test_nested_member_pages_are_right_per_workspace(gql, queries):
    viewer = await build(gql, 3, members_each=3)
    _, data = await count(gql, queries, ME_WORKSPACES_WITH_COUNTS, viewer.token)
    for edge in data["me"]["workspaces"]["edges"]:
        members = edge["node"]["members"]
        assert members["totalCount"] == 4
        assert members["pageInfo"]["hasNextPage"] is True
        assert len(members["edges"]) == 2
        for member in members["edges"]:
            assert member["node"]["workspace"]["id"] == edge["node"]["id"]

    # The next page of one workspace's members, through the cursor of the nested page.
    first = data["me"]["workspaces"]["edges"][1]["node"]
    rest = await gql.data(
        """query($id: ID!, $after: String) { workspace(id: $id) {
            members(first: 5, after: $after) {
              pageInfo { hasNextPage hasPreviousPage } edges { node { role } } } } }""",
        {"id": first["id"], "after": first["members"]["pageInfo"]["endCursor"]},
        token=viewer.token,
    )
    members = rest["workspace"]["members"]
    assert [edge["node"]["role"] for edge in members["edges"]] == ["ANALYST", "ADMIN"]
    assert members["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_mixed_page_arguments_in_one_request(gql):
    """Aliases with different page arguments each get their own, correct page."""
    viewer = await build(gql, 2, members_each=3)
    data = await gql.data(
        """{ workspaces { edges { node {
              two: members(first: 2) { edges { node { role } } }
              all: members(first: 10) { edges { node { role } } }
        } } } }""",
        token=viewer.token,
    )
    for edge in data["workspaces"]["edges"]:
        assert [m["node"]["role"] for m in edge["node"]["two"]["edges"]] == ["OWNER", "EDITOR"]
        assert [m["node"]["role"] for m in edge["node"]["all"]["edges"]] == [
            "OWNER",
            "EDITOR",
            "ANALYST",
            "ADMIN",
        ]


async def test_a_forbidden_members_list_fails_alone(gql):
    """An APPROVER cannot list members: that workspace errors, the others still load."""
    viewer = await gql.person()
    mine = await gql.workspace(viewer, "Mine")
    other_owner = await gql.person()
    theirs = await gql.workspace(other_owner, "Theirs")
    invited = await gql.mutate(
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": theirs, "email": viewer.email, "role": "APPROVER"},
        token=other_owner.token,
    )
    await gql.mutate(
        "invitationAccept", INVITATION_ACCEPT, {"token": invited["token"]}, token=viewer.token
    )

    body = await gql.execute(
        """query($a: ID!, $b: ID!) {
          a: workspace(id: $a) { members { totalCount } }
          b: workspace(id: $b) { members { totalCount } }
        }""",
        {"a": mine, "b": theirs},
        token=viewer.token,
    )
    assert body["data"] == {"a": {"members": {"totalCount": 1}}, "b": None}
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["b", "members"]


ME_WORKSPACES_ADMIN_LISTS = """
{
  me {
    workspaces(first: 100) {
      edges {
        node {
          id
          invitations(first: 5) { totalCount edges { node { email } } }
          apiKeys(first: 5) { totalCount edges { node { name } } }
        }
      }
    }
  }
}"""


async def test_invitations_and_api_keys_are_not_n_plus_one(gql, queries):
    async def owner_of(workspaces: int):
        viewer = await gql.person()
        for index in range(workspaces):
            workspace_id = await gql.workspace(viewer, f"W{index}")
            await gql.mutate(
                "memberInvite",
                MEMBER_INVITE,
                {"workspaceId": workspace_id, "email": f"x{index}@example.com", "role": "EDITOR"},
                token=viewer.token,
            )
            await gql.api_key(workspace_id, viewer, ["READ"])
        return viewer

    small, large = await owner_of(2), await owner_of(8)
    small_count, small_data = await count(gql, queries, ME_WORKSPACES_ADMIN_LISTS, small.token)
    large_count, large_data = await count(gql, queries, ME_WORKSPACES_ADMIN_LISTS, large.token)
    nodes = [edge["node"] for edge in large_data["me"]["workspaces"]["edges"]]
    assert [n["invitations"]["totalCount"] for n in nodes] == [1] * 8
    assert [n["apiKeys"]["totalCount"] for n in nodes] == [1] * 8
    assert small_count == large_count, (small_count, large_count)
