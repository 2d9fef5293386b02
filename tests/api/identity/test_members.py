"""Members through GraphQL over HTTP: invitations, accepting them, roles and removal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.ids import from_global_id, to_global_id
from domain.identity.models import Invitation, Membership
from domain.secrets import token_hash
from tests.helpers import (
    INVITATION_ACCEPT,
    MEMBER_INVITE,
    identity_rows,
    top_level_codes,
)

ROLE_UPDATE = """
mutation($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) {
    member { id role user { email } workspace { id viewerRole } }
    errors { field code message }
  }
}"""

REMOVE = """
mutation($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedMemberId errors { field code message } }
}"""

MEMBERS = """
query($id: ID!) {
  workspace(id: $id) {
    members(first: 100) { totalCount edges { node { id role user { email } } } }
  }
}"""

INVITATIONS = """
query($id: ID!) {
  workspace(id: $id) { invitations(first: 100) { totalCount edges { node { id email role } } } }
}"""


async def invite(gql, inviter, workspace_id, email, role="EDITOR"):
    return await gql.mutate(
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": workspace_id, "email": email, "role": role},
        token=inviter.token,
        expect_errors=True,
    )


async def accept(gql, person, token):
    return await gql.mutate(
        "invitationAccept",
        INVITATION_ACCEPT,
        {"token": token},
        token=person.token,
        expect_errors=True,
    )


async def update_role(gql, actor, member_id, role):
    return await gql.mutate(
        "memberRoleUpdate",
        ROLE_UPDATE,
        {"memberId": member_id, "role": role},
        token=actor.token,
        expect_errors=True,
    )


async def remove(gql, actor, member_id):
    return await gql.mutate(
        "memberRemove", REMOVE, {"memberId": member_id}, token=actor.token, expect_errors=True
    )


def pk_of(global_id: str) -> int:
    decoded = from_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def roles_of(workspace_id: str) -> dict[str, str]:
    """email → role, read from the database."""
    rows = await Membership.filter(workspace_id=pk_of(workspace_id)).values_list(
        "user__email", "role"
    )
    return {email: str(role) for email, role in rows}


@pytest.fixture
async def team(gql):
    """A workspace with its owner."""
    owner = await gql.person()
    workspace_id = await gql.workspace(owner, "Team")
    owner_member_id = await gql.owner_member_id(workspace_id, owner)
    return owner, workspace_id, owner_member_id


# memberInvite


async def test_invite_returns_a_token_and_lists_the_invitation(gql, team):
    owner, workspace_id, _ = team
    payload = await invite(gql, owner, workspace_id, "  New.Person@Example.COM ", "ANALYST")

    assert payload["errors"] == []
    assert payload["invitation"]["email"] == "new.person@example.com"
    assert payload["invitation"]["role"] == "ANALYST"
    assert len(payload["token"]) >= 32
    listed = (await gql.data(INVITATIONS, {"id": workspace_id}, token=owner.token))["workspace"]
    assert listed["invitations"] == {
        "totalCount": 1,
        "edges": [{"node": payload["invitation"]}],
    }
    [row] = await Invitation.all()
    assert row.token_hash == token_hash(payload["token"])
    assert payload["token"] not in str(await Invitation.all().values())


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("not-an-email", "INVALID"),
        ("", "INVALID"),
        ("a@b", "INVALID"),
        ("x" * 250 + "@ex.com", "TOO_LONG"),
    ],
)
async def test_invite_with_a_bad_email(gql, team, email, code):
    owner, workspace_id, _ = team
    before = await identity_rows()
    payload = await invite(gql, owner, workspace_id, email)
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("email", code)]
    assert payload["invitation"] is None and payload["token"] is None
    assert await identity_rows() == before


async def test_inviting_a_member_is_already_exists(gql, team):
    owner, workspace_id, _ = team
    editor = await gql.join(workspace_id, owner, "EDITOR")
    before = await identity_rows()
    for email in (editor.person.email, owner.email, editor.person.email.upper()):
        payload = await invite(gql, owner, workspace_id, email)
        assert [(error["field"], error["code"]) for error in payload["errors"]] == [
            ("email", "ALREADY_EXISTS")
        ]
    assert await identity_rows() == before


async def test_inviting_again_replaces_the_previous_invitation(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    first = await invite(gql, owner, workspace_id, person.email, "ANALYST")
    second = await invite(gql, owner, workspace_id, person.email, "EDITOR")

    listed = (await gql.data(INVITATIONS, {"id": workspace_id}, token=owner.token))["workspace"]
    assert [edge["node"]["role"] for edge in listed["invitations"]["edges"]] == ["EDITOR"]
    stale = await accept(gql, person, first["token"])
    assert [error["code"] for error in stale["errors"]] == ["TOKEN_INVALID"]
    fresh = await accept(gql, person, second["token"])
    assert fresh["errors"] == []
    assert fresh["member"]["role"] == "EDITOR"


async def test_invite_needs_a_signed_in_user(gql, team):
    owner, workspace_id, _ = team
    variables = {"input": {"workspaceId": workspace_id, "email": "a@example.com", "role": "EDITOR"}}
    anonymous = await gql.execute(MEMBER_INVITE, variables)
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]
    secret = await gql.api_key(workspace_id, owner, ["READ", "WRITE", "ALERTS", "CONVERSIONS"])
    with_key = await gql.execute(MEMBER_INVITE, variables, token=secret)
    assert top_level_codes(with_key) == ["FORBIDDEN"]
    assert await Invitation.all().count() == 0


# invitationAccept


async def test_accepting_joins_the_workspace(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    invited = await invite(gql, owner, workspace_id, person.email.upper(), "APPROVER")

    payload = await accept(gql, person, invited["token"])

    assert payload["errors"] == []
    assert payload["member"]["role"] == "APPROVER"
    assert payload["member"]["user"] == {"email": person.email}
    assert payload["member"]["workspace"] == {"id": workspace_id}
    assert await roles_of(workspace_id) == {owner.email: "OWNER", person.email: "APPROVER"}
    listed = (await gql.data(INVITATIONS, {"id": workspace_id}, token=owner.token))["workspace"]
    assert listed["invitations"]["totalCount"] == 0
    seen = await gql.data(
        "query($id: ID!) { workspace(id: $id) { name viewerRole } }",
        {"id": workspace_id},
        token=person.token,
    )
    assert seen["workspace"] == {"name": "Team", "viewerRole": "APPROVER"}


async def test_an_invitation_sent_before_registering_works(gql, team):
    owner, workspace_id, _ = team
    invited = await invite(gql, owner, workspace_id, "future@example.com", "EDITOR")
    person = await gql.person("Future@Example.com")
    payload = await accept(gql, person, invited["token"])
    assert payload["errors"] == []
    assert payload["member"]["role"] == "EDITOR"


async def test_accepting_with_another_email_is_not_allowed(gql, team):
    owner, workspace_id, _ = team
    invitee = await gql.person()
    intruder = await gql.person()
    invited = await invite(gql, owner, workspace_id, invitee.email)
    before = await identity_rows()

    payload = await accept(gql, intruder, invited["token"])

    assert payload["member"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("token", "NOT_ALLOWED")
    ]
    assert await identity_rows() == before
    # The intruder's attempt did not use the invitation up.
    assert (await accept(gql, invitee, invited["token"]))["errors"] == []


async def test_a_token_cannot_be_used_twice(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    invited = await invite(gql, owner, workspace_id, person.email)
    assert (await accept(gql, person, invited["token"]))["errors"] == []
    before = await identity_rows()

    again = await accept(gql, person, invited["token"])

    assert again["member"] is None
    assert [(error["field"], error["code"]) for error in again["errors"]] == [
        ("token", "TOKEN_INVALID")
    ]
    assert await identity_rows() == before


async def test_two_accepts_at_once_make_one_member(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    invited = await invite(gql, owner, workspace_id, person.email)

    results = await asyncio.gather(*(accept(gql, person, invited["token"]) for _ in range(3)))

    assert sorted(bool(result["member"]) for result in results) == [False, False, True]
    assert await Membership.filter(user__email=person.email).count() == 1


async def test_an_expired_token(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    invited = await invite(gql, owner, workspace_id, person.email)
    await Invitation.filter(email=person.email).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    before = await identity_rows()

    payload = await accept(gql, person, invited["token"])

    assert payload["member"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("token", "TOKEN_EXPIRED")
    ]
    assert await identity_rows() == before


async def test_a_revoked_invitation(gql, team):
    owner, workspace_id, _ = team
    person = await gql.person()
    invited = await invite(gql, owner, workspace_id, person.email)
    await Invitation.filter(email=person.email).update(revoked_at=datetime.now(UTC))
    payload = await accept(gql, person, invited["token"])
    assert [error["code"] for error in payload["errors"]] == ["TOKEN_INVALID"]
    assert await Membership.filter(user__email=person.email).count() == 0


@pytest.mark.parametrize("token", ["", "nope", "x" * 10_000])
async def test_an_unknown_token(gql, token):
    person = await gql.person()
    payload = await accept(gql, person, token)
    assert payload["member"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("token", "TOKEN_INVALID")
    ]


async def test_accepting_as_an_existing_member_is_already_exists(gql, team):
    owner, workspace_id, _ = team
    editor = await gql.join(workspace_id, owner, "EDITOR")
    # memberInvite refuses members, so the stray invitation is planted directly.
    await Invitation.create(
        workspace_id=pk_of(workspace_id),
        email=editor.person.email,
        role="ADMIN",
        token_hash=token_hash("stray-token"),
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    before = await identity_rows()

    payload = await accept(gql, editor.person, "stray-token")

    assert payload["member"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("token", "ALREADY_EXISTS")
    ]
    assert await identity_rows() == before
    assert (await roles_of(workspace_id))[editor.person.email] == "EDITOR"


async def test_accept_needs_a_signed_in_user(gql, team):
    owner, workspace_id, _ = team
    invited = await invite(gql, owner, workspace_id, "someone@example.com")
    body = await gql.execute(INVITATION_ACCEPT, {"input": {"token": invited["token"]}})
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    body = await gql.execute(
        INVITATION_ACCEPT, {"input": {"token": invited["token"]}}, token=secret
    )
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await Membership.all().count() == 1


# memberRoleUpdate


async def test_owner_changes_a_role(gql, team):
    owner, workspace_id, _ = team
    editor = await gql.join(workspace_id, owner, "EDITOR")

    payload = await update_role(gql, owner, editor.member_id, "ANALYST")

    assert payload["errors"] == []
    assert payload["member"] == {
        "id": editor.member_id,
        "role": "ANALYST",
        "user": {"email": editor.person.email},
        "workspace": {"id": workspace_id, "viewerRole": "OWNER"},
    }
    assert (await roles_of(workspace_id))[editor.person.email] == "ANALYST"
    seen = await gql.data(
        "query($id: ID!) { workspace(id: $id) { viewerRole } }",
        {"id": workspace_id},
        token=editor.person.token,
    )
    assert seen["workspace"]["viewerRole"] == "ANALYST"


async def test_setting_the_same_role_changes_nothing(gql, team):
    owner, workspace_id, owner_member_id = team
    editor = await gql.join(workspace_id, owner, "EDITOR")
    before = await identity_rows()
    assert (await update_role(gql, owner, editor.member_id, "EDITOR"))["errors"] == []
    assert (await update_role(gql, owner, owner_member_id, "OWNER"))["errors"] == []
    assert await identity_rows() == before


async def test_an_owner_can_make_another_owner_and_then_step_down(gql, team):
    owner, workspace_id, owner_member_id = team
    admin = await gql.join(workspace_id, owner, "ADMIN")
    assert (await update_role(gql, owner, admin.member_id, "OWNER"))["errors"] == []

    payload = await update_role(gql, owner, owner_member_id, "EDITOR")

    assert payload["errors"] == []
    assert payload["member"]["role"] == "EDITOR"
    # The payload is read after the change: the caller is no longer an owner.
    assert payload["member"]["workspace"]["viewerRole"] == "EDITOR"
    assert await roles_of(workspace_id) == {owner.email: "EDITOR", admin.person.email: "OWNER"}


async def test_a_demoted_caller_loses_the_old_rights_within_the_same_request(gql, team):
    owner, workspace_id, owner_member_id = team
    other_owner = await gql.join(workspace_id, owner, "OWNER")
    query = """
    mutation($me: ID!, $workspaceId: ID!) {
      demote: memberRoleUpdate(input: {memberId: $me, role: ANALYST}) { errors { code } }
      invite: memberInvite(
        input: {workspaceId: $workspaceId, email: "x@example.com", role: OWNER}
      ) { token errors { code } }
    }"""
    body = await gql.execute(
        query, {"me": owner_member_id, "workspaceId": workspace_id}, token=owner.token
    )
    # Mutations run one after the other: the demotion committed, then the invitation
    # was judged with the new role (a non-null payload failing nulls the whole data).
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["invite"]
    assert not await Invitation.exists(email="x@example.com")
    assert await roles_of(workspace_id) == {
        owner.email: "ANALYST",
        other_owner.person.email: "OWNER",
    }


async def test_the_last_owner_cannot_step_down(gql, team):
    owner, workspace_id, owner_member_id = team
    await gql.join(workspace_id, owner, "ADMIN")
    before = await identity_rows()
    for role in ("ADMIN", "EDITOR", "ANALYST", "APPROVER"):
        payload = await update_role(gql, owner, owner_member_id, role)
        assert payload["member"] is None
        assert [(error["field"], error["code"]) for error in payload["errors"]] == [
            ("memberId", "LAST_OWNER")
        ]
    assert await identity_rows() == before


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(gql, team):
    owner, workspace_id, owner_member_id = team
    second = await gql.join(workspace_id, owner, "OWNER")

    bodies = await asyncio.gather(
        gql.execute(
            ROLE_UPDATE,
            {"input": {"memberId": second.member_id, "role": "EDITOR"}},
            token=owner.token,
        ),
        gql.execute(
            ROLE_UPDATE,
            {"input": {"memberId": owner_member_id, "role": "EDITOR"}},
            token=second.person.token,
        ),
    )

    outcomes = sorted(
        top_level_codes(body)[0]
        if "errors" in body
        else ",".join(error["code"] for error in body["data"]["memberRoleUpdate"]["errors"])
        for body in bodies
    )
    # The loser either saw the winner's change (no longer an owner: FORBIDDEN) or was
    # serialised behind it and found itself the last owner.
    assert outcomes in (["", "LAST_OWNER"], ["", "FORBIDDEN"])
    assert list((await roles_of(workspace_id)).values()).count("OWNER") == 1


async def test_admin_manages_non_owners(gql, team):
    owner, workspace_id, _ = team
    admin = await gql.join(workspace_id, owner, "ADMIN")
    editor = await gql.join(workspace_id, owner, "EDITOR")

    assert (await update_role(gql, admin.person, editor.member_id, "ANALYST"))["errors"] == []
    assert (await update_role(gql, admin.person, editor.member_id, "ADMIN"))["errors"] == []
    assert (await roles_of(workspace_id))[editor.person.email] == "ADMIN"


async def test_admin_cannot_grant_or_touch_owner(gql, team):
    owner, workspace_id, owner_member_id = team
    admin = await gql.join(workspace_id, owner, "ADMIN")
    editor = await gql.join(workspace_id, owner, "EDITOR")
    before = await identity_rows()

    attempts = [
        (ROLE_UPDATE, {"memberId": editor.member_id, "role": "OWNER"}),
        (ROLE_UPDATE, {"memberId": admin.member_id, "role": "OWNER"}),
        (ROLE_UPDATE, {"memberId": owner_member_id, "role": "ADMIN"}),
        (ROLE_UPDATE, {"memberId": owner_member_id, "role": "OWNER"}),
        (REMOVE, {"memberId": owner_member_id}),
        (
            MEMBER_INVITE,
            {"workspaceId": workspace_id, "email": "boss@example.com", "role": "OWNER"},
        ),
    ]
    for query, input in attempts:
        body = await gql.execute(query, {"input": input}, token=admin.person.token)
        assert top_level_codes(body) == ["FORBIDDEN"], (input, body)
        assert body["data"] is None
    assert await identity_rows() == before


@pytest.mark.parametrize(
    ("member_id", "code"),
    [
        ("garbage", "INVALID"),
        (to_global_id("Workspace", 1), "INVALID"),
        (to_global_id("Member", 999_999), "NOT_FOUND"),
    ],
)
async def test_role_update_of_an_unknown_member(gql, team, member_id, code):
    owner, _, _ = team
    before = await identity_rows()
    payload = await update_role(gql, owner, member_id, "EDITOR")
    assert payload["member"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("memberId", code)]
    assert await identity_rows() == before


# memberRemove


async def test_owner_removes_a_member(gql, team):
    owner, workspace_id, _ = team
    editor = await gql.join(workspace_id, owner, "EDITOR")

    payload = await remove(gql, owner, editor.member_id)

    assert payload == {"removedMemberId": editor.member_id, "errors": []}
    assert await roles_of(workspace_id) == {owner.email: "OWNER"}
    gone = await gql.data(
        "query($id: ID!) { workspace(id: $id) { id } }",
        {"id": workspace_id},
        token=editor.person.token,
    )
    assert gone == {"workspace": None}
    members = (await gql.data(MEMBERS, {"id": workspace_id}, token=owner.token))["workspace"]
    assert members["members"]["totalCount"] == 1


@pytest.mark.parametrize("role", ["ADMIN", "EDITOR", "ANALYST", "APPROVER"])
async def test_anyone_may_leave(gql, team, role):
    owner, workspace_id, _ = team
    member = await gql.join(workspace_id, owner, role)

    payload = await remove(gql, member.person, member.member_id)

    assert payload == {"removedMemberId": member.member_id, "errors": []}
    assert member.person.email not in await roles_of(workspace_id)


async def test_an_owner_may_leave_when_another_owner_stays(gql, team):
    owner, workspace_id, owner_member_id = team
    second = await gql.join(workspace_id, owner, "OWNER")
    assert (await remove(gql, owner, owner_member_id))["errors"] == []
    assert await roles_of(workspace_id) == {second.person.email: "OWNER"}


async def test_the_last_owner_cannot_leave(gql, team):
    owner, workspace_id, owner_member_id = team
    await gql.join(workspace_id, owner, "ADMIN")
    before = await identity_rows()

    payload = await remove(gql, owner, owner_member_id)

    assert payload["removedMemberId"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("memberId", "LAST_OWNER")
    ]
    assert await identity_rows() == before


async def test_two_owners_removing_each_other_at_once_leave_one_owner(gql, team):
    owner, workspace_id, owner_member_id = team
    second = await gql.join(workspace_id, owner, "OWNER")

    results = await asyncio.gather(
        remove(gql, owner, second.member_id),
        remove(gql, second.person, owner_member_id),
    )

    assert sum(1 for result in results if result["removedMemberId"]) == 1
    failed = next(result for result in results if not result["removedMemberId"])
    assert [error["code"] for error in failed["errors"]] in (["LAST_OWNER"], ["NOT_FOUND"])
    assert list((await roles_of(workspace_id)).values()) == ["OWNER"]


async def test_admin_removes_non_owners_but_editors_remove_nobody(gql, team):
    owner, workspace_id, owner_member_id = team
    admin = await gql.join(workspace_id, owner, "ADMIN")
    editor = await gql.join(workspace_id, owner, "EDITOR")
    analyst = await gql.join(workspace_id, owner, "ANALYST")

    before = await identity_rows()
    for target in (analyst.member_id, admin.member_id, owner_member_id):
        body = await gql.execute(REMOVE, {"input": {"memberId": target}}, token=editor.person.token)
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await identity_rows() == before

    assert (await remove(gql, admin.person, analyst.member_id))["errors"] == []
    assert (await remove(gql, admin.person, editor.member_id))["errors"] == []
    assert await roles_of(workspace_id) == {owner.email: "OWNER", admin.person.email: "ADMIN"}


async def test_remove_an_unknown_member(gql, team):
    owner, _, _ = team
    before = await identity_rows()
    for member_id, code in [
        ("garbage", "INVALID"),
        (to_global_id("User", 1), "INVALID"),
        (to_global_id("Member", 999_999), "NOT_FOUND"),
    ]:
        payload = await remove(gql, owner, member_id)
        assert payload["removedMemberId"] is None
        assert [(error["field"], error["code"]) for error in payload["errors"]] == [
            ("memberId", code)
        ]
    assert await identity_rows() == before


async def test_a_removed_member_cannot_act_any_more(gql, team):
    owner, workspace_id, _ = team
    admin = await gql.join(workspace_id, owner, "ADMIN")
    editor = await gql.join(workspace_id, owner, "EDITOR")
    assert (await remove(gql, owner, admin.member_id))["errors"] == []

    payload = await remove(gql, admin.person, editor.member_id)

    assert [error["code"] for error in payload["errors"]] == ["NOT_FOUND"]
    assert editor.person.email in await roles_of(workspace_id)
