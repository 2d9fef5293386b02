"""The role matrix: what each role may and may not do in its workspace.

Forbidden actions answer a top-level FORBIDDEN error and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.ids import from_global_id
from domain.identity.models import ApiKey, Invitation, Membership
from tests.helpers import (
    API_KEY_CREATE,
    MEMBER_INVITE,
    Person,
    identity_rows,
    top_level_codes,
)

ROLES = ["OWNER", "ADMIN", "EDITOR", "ANALYST", "APPROVER"]
MANAGERS = {"OWNER", "ADMIN"}

# What each role may read; anything else is FORBIDDEN.
READS: dict[str, set[str]] = {
    "workspace": set(ROLES),
    "members": {"OWNER", "ADMIN", "EDITOR", "ANALYST"},
    "invitations": MANAGERS,
    "apiKeys": MANAGERS,
}

# What each role may change; anything else is FORBIDDEN.
WRITES: dict[str, set[str]] = {
    "invite": MANAGERS,
    "invite_owner": {"OWNER"},
    "change_role": MANAGERS,
    "grant_owner": {"OWNER"},
    "remove_other": MANAGERS,
    "create_api_key": MANAGERS,
    "revoke_api_key": MANAGERS,
}

READ_QUERIES = {
    "workspace": "query($id: ID!) { workspace(id: $id) { id name timezone viewerRole } }",
    "members": """query($id: ID!) { workspace(id: $id) {
        members(first: 100) { totalCount edges { node { role user { email } } } } } }""",
    "invitations": """query($id: ID!) { workspace(id: $id) {
        invitations(first: 100) { totalCount edges { node { email role } } } } }""",
    "apiKeys": """query($id: ID!) { workspace(id: $id) {
        apiKeys(first: 100) { totalCount edges { node { name } } } } }""",
}

ROLE_UPDATE = """
mutation($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) { member { role } errors { field code } }
}"""
REMOVE = """
mutation($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedMemberId errors { field code } }
}"""
REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { revokedAt } errors { field code } }
}"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


@dataclass
class Crew:
    """A workspace with one member of every role, a target to act on, an invitation and a key."""

    workspace_id: str
    people: dict[str, Person]
    target_member_id: str
    target_email: str
    invitation_id: str
    api_key_id: str
    member_ids: dict[str, str]


@pytest.fixture
async def crew(gql) -> Crew:
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, "Crew")
    people = {"OWNER": owner}
    member_ids = {"OWNER": await gql.owner_member_id(workspace_id, owner)}
    for role in ROLES[1:]:
        joined = await gql.join(workspace_id, owner, role)
        people[role] = joined.person
        member_ids[role] = joined.member_id
    target = await gql.join(workspace_id, owner, "EDITOR")
    invitation = await gql.mutate(
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": workspace_id, "email": "pending@example.com", "role": "ANALYST"},
        token=owner.token,
    )
    key = await gql.mutate(
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_id, "name": "partner", "scopes": ["READ"]},
        token=owner.token,
    )
    return Crew(
        workspace_id=workspace_id,
        people=people,
        target_member_id=target.member_id,
        target_email=target.person.email,
        invitation_id=invitation["invitation"]["id"],
        api_key_id=key["apiKey"]["id"],
        member_ids=member_ids,
    )


def pk(global_id: str) -> int:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


# Reads


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_read(gql, crew, role):
    token = crew.people[role].token
    before = await identity_rows()

    for field, query in READ_QUERIES.items():
        body = await gql.execute(query, {"id": crew.workspace_id}, token=token)
        if role in READS[field]:
            assert "errors" not in body, (role, field, body)
            workspace = body["data"]["workspace"]
            assert workspace is not None
            if field == "workspace":
                assert workspace == {
                    "id": crew.workspace_id,
                    "name": "Crew",
                    "timezone": "UTC",
                    "viewerRole": role,
                }
            else:
                expected = {"members": 6, "invitations": 1, "apiKeys": 1}[field]
                assert workspace[field]["totalCount"] == expected
                assert len(workspace[field]["edges"]) == expected
        else:
            assert top_level_codes(body) == ["FORBIDDEN"], (role, field, body)
            assert body["errors"][0]["path"] == ["workspace", field]
            assert body["data"] == {"workspace": None}

    assert await identity_rows() == before


@pytest.mark.parametrize("role", ROLES)
async def test_node_shows_only_what_the_role_may_read(gql, crew, role):
    token = crew.people[role].token
    visible = {
        crew.workspace_id: True,
        crew.target_member_id: role in READS["members"],
        crew.invitation_id: role in READS["invitations"],
        crew.api_key_id: role in READS["apiKeys"],
    }
    for global_id, should_see in visible.items():
        data = await gql.data(NODE, {"id": global_id}, token=token)
        assert data["node"] == ({"id": global_id} if should_see else None), (role, global_id)


@pytest.mark.parametrize("role", sorted(READS["members"]))
async def test_the_members_list_shows_every_role(gql, crew, role):
    token = crew.people[role].token
    data = await gql.data(READ_QUERIES["members"], {"id": crew.workspace_id}, token=token)
    roles = sorted(edge["node"]["role"] for edge in data["workspace"]["members"]["edges"])
    assert roles == sorted([*ROLES, "EDITOR"])


# Writes


async def run_write(gql, crew: Crew, action: str, token: str) -> dict:
    """Attempt `action`; returns the response body."""
    workspace_id = crew.workspace_id
    match action:
        case "invite" | "invite_owner":
            role = "OWNER" if action == "invite_owner" else "ANALYST"
            query = MEMBER_INVITE
            input = {"workspaceId": workspace_id, "email": "new@example.com", "role": role}
        case "change_role" | "grant_owner":
            role = "OWNER" if action == "grant_owner" else "ANALYST"
            query = ROLE_UPDATE
            input = {"memberId": crew.target_member_id, "role": role}
        case "remove_other":
            query, input = REMOVE, {"memberId": crew.target_member_id}
        case "create_api_key":
            query = API_KEY_CREATE
            input = {"workspaceId": workspace_id, "name": "mine", "scopes": ["WRITE"]}
        case "revoke_api_key":
            query, input = REVOKE, {"apiKeyId": crew.api_key_id}
        case _:
            raise AssertionError(action)
    return await gql.execute(query, {"input": input}, token=token)


async def assert_written(crew: Crew, action: str) -> None:
    target = await Membership.get_or_none(id=pk(crew.target_member_id))
    match action:
        case "invite" | "invite_owner":
            invitation = await Invitation.get(email="new@example.com")
            assert invitation.role == ("OWNER" if action == "invite_owner" else "ANALYST")
        case "change_role":
            assert target is not None and target.role == "ANALYST"
        case "grant_owner":
            assert target is not None and target.role == "OWNER"
        case "remove_other":
            assert target is None
        case "create_api_key":
            assert await ApiKey.filter(name="mine").count() == 1
        case "revoke_api_key":
            assert (await ApiKey.get(id=pk(crew.api_key_id))).revoked_at is not None


@pytest.mark.parametrize("action", list(WRITES))
@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_change(gql, crew, role, action):
    before = await identity_rows()

    body = await run_write(gql, crew, action, crew.people[role].token)

    if role in WRITES[action]:
        assert "errors" not in body, (role, action, body)
        [payload] = body["data"].values()
        assert payload["errors"] == [], (role, action, payload)
        await assert_written(crew, action)
    else:
        assert top_level_codes(body) == ["FORBIDDEN"], (role, action, body)
        assert body["data"] is None
        assert "Traceback" not in str(body)
        assert await identity_rows() == before


@pytest.mark.parametrize("role", ROLES[1:])  # the only owner cannot leave: see test_members
async def test_every_other_role_may_leave(gql, crew, role):
    body = await gql.execute(
        REMOVE, {"input": {"memberId": crew.member_ids[role]}}, token=crew.people[role].token
    )
    assert body["data"]["memberRemove"] == {
        "removedMemberId": crew.member_ids[role],
        "errors": [],
    }
    assert not await Membership.exists(id=pk(crew.member_ids[role]))


@pytest.mark.parametrize("role", ["ADMIN", "EDITOR", "ANALYST", "APPROVER"])
async def test_no_role_but_owner_touches_an_owner(gql, crew, role):
    owner_member_id = crew.member_ids["OWNER"]
    before = await identity_rows()
    token = crew.people[role].token
    for query, input in [
        (ROLE_UPDATE, {"memberId": owner_member_id, "role": "ANALYST"}),
        (REMOVE, {"memberId": owner_member_id}),
    ]:
        body = await gql.execute(query, {"input": input}, token=token)
        assert top_level_codes(body) == ["FORBIDDEN"], (role, body)
    assert await identity_rows() == before


@pytest.mark.parametrize("role", ["ADMIN", "EDITOR", "ANALYST", "APPROVER"])
async def test_nobody_promotes_themselves(gql, crew, role):
    before = await identity_rows()
    for new_role in ("OWNER",) if role == "ADMIN" else ("ADMIN", "OWNER"):
        body = await gql.execute(
            ROLE_UPDATE,
            {"input": {"memberId": crew.member_ids[role], "role": new_role}},
            token=crew.people[role].token,
        )
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await identity_rows() == before
