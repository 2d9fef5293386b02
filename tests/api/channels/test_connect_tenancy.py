"""Who may connect: the state of a connection is bound to the workspace and to the member who
started it; roles without channel management, API keys and other workspaces cannot."""

from api.ids import from_global_id
from domain.channels.models import Channel, ChannelConnectAttempt
from tests.api.channels import fake_networks
from tests.api.channels.connect_flow import (
    ATTEMPT,
    FINISH,
    START,
    attempt,
    callback,
    connect,
    start,
    start_errors,
)
from tests.domain.platforms.fakes import linkedin as li
from tests.helpers import top_level_codes

ROLE_UPDATE = """
mutation($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) { errors { code } }
}"""
REMOVE = """
mutation($input: MemberRemoveInput!) {
  memberRemove(input: $input) { errors { code } }
}"""


async def test_editors_analysts_and_api_keys_cannot_connect(gql, seam):
    seam.install(fake_networks.x())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    variables = {"input": {"workspaceId": workspace_id, "platform": "X"}}
    for role in ("EDITOR", "ANALYST", "APPROVER"):
        member = await gql.join(workspace_id, owner, role)
        body = await gql.execute(START, variables, token=member.person.token)
        assert top_level_codes(body) == ["FORBIDDEN"], role
    key = await gql.api_key(workspace_id, owner, ["READ", "WRITE"])
    body = await gql.execute(START, variables, token=key)
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await ChannelConnectAttempt.all().count() == 0
    admin = await gql.join(workspace_id, owner, "ADMIN")
    assert (await start(gql, admin.person.token, workspace_id, "X"))["authorizationUrl"]


async def test_another_workspace_can_neither_start_nor_see_nor_finish(http, gql, seam):
    linkedin = seam.install(fake_networks.linkedin(organizations=2))
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    stranger = await gql.person()
    await gql.workspace(stranger, "Elsewhere")

    errors = await start_errors(gql, stranger.token, workspace_id, "LINKEDIN")
    assert [(e["field"], e["code"]) for e in errors] == [("workspaceId", "NOT_FOUND")]

    body = await connect(
        http, gql, owner.token, workspace_id, linkedin, linkedin={"kind": "ORGANIZATION"}
    )
    assert body["status"] == "select"
    # The attempt belongs to the member who started it: not to strangers, and not even to
    # another admin of the same workspace.
    admin = await gql.join(workspace_id, owner, "ADMIN")
    for outsider in (stranger.token, admin.person.token):
        assert await attempt(gql, outsider, body["attemptId"]) is None
        node = await gql.data(
            "query($id: ID!) { node(id: $id) { id } }", {"id": body["attemptId"]}, token=outsider
        )
        assert node["node"] is None
        payload = await gql.mutate(
            "channelConnectFinish",
            FINISH,
            {"attemptId": body["attemptId"], "candidateIds": [li.ORGANIZATION]},
            token=outsider,
            expect_errors=True,
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("attemptId", "NOT_FOUND")]
    key = await gql.api_key(workspace_id, owner, ["READ"])
    keyed = await gql.execute(ATTEMPT, {"id": body["attemptId"]}, token=key)
    assert keyed["data"]["channelConnectAttempt"] is None
    assert await Channel.all().count() == 0
    # Still there for its owner.
    assert (await attempt(gql, owner.token, body["attemptId"]))["status"] == "SELECTING"


async def test_each_state_connects_into_its_own_workspace_for_its_own_member(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    stranger = await gql.person()
    elsewhere = await gql.workspace(stranger, "Elsewhere")
    mine = await start(gql, owner.token, workspace_id, "X")
    theirs = await start(gql, stranger.token, elsewhere, "X")

    # The stranger's browser comes back with its own state: that connects into the
    # stranger's workspace only, whatever else is pending.
    await callback(http, x.server.authorize(theirs["authorizationUrl"]))
    channel = await Channel.get()
    assert channel.connected_by_id == pk(stranger.user_id)
    assert channel.workspace_id == pk(elsewhere)
    await callback(http, x.server.authorize(mine["authorizationUrl"]))
    [own] = await Channel.filter(workspace_id=pk(workspace_id))
    assert own.connected_by_id == pk(owner.user_id)
    assert await attempt(gql, stranger.token, mine["attempt"]["id"]) is None


async def test_a_member_who_lost_the_right_to_manage_channels_cannot_finish(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    admin = await gql.join(workspace_id, owner, "ADMIN")
    demoted = await start(gql, admin.person.token, workspace_id, "X")
    await gql.mutate(
        "memberRoleUpdate",
        ROLE_UPDATE,
        {"memberId": admin.member_id, "role": "EDITOR"},
        token=owner.token,
    )
    response = await callback(http, x.server.authorize(demoted["authorizationUrl"]))
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"

    other = await gql.join(workspace_id, owner, "ADMIN")
    removed = await start(gql, other.person.token, workspace_id, "X")
    await gql.mutate("memberRemove", REMOVE, {"memberId": other.member_id}, token=owner.token)
    response = await callback(http, x.server.authorize(removed["authorizationUrl"]))
    assert response.json()["code"] == "FORBIDDEN"
    assert x.server.exchanges == [] and await Channel.all().count() == 0


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]
