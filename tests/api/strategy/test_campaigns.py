from api.ids import to_global_id
from domain.strategy.models import Campaign
from tests.api.content.support import create_post, later, schedule, studio

CREATE = """
mutation Create($input: CampaignCreateInput!) {
  campaignCreate(input: $input) {
    campaign { id name description startsOn endsOn workspaceId }
    errors { field code message }
  }
}"""
UPDATE = """
mutation Update($input: CampaignUpdateInput!) {
  campaignUpdate(input: $input) { campaign { id name endsOn } errors { field code message } }
}"""
LIST = """
query List($workspaceId: ID!) {
  campaigns(workspaceId: $workspaceId) { totalCount edges { node { id name } } }
}"""
CALENDAR = """
query Calendar($workspaceId: ID!, $from: DateTime!, $to: DateTime!, $filter: CalendarFilterInput) {
  calendar(workspaceId: $workspaceId, from: $from, to: $to, filter: $filter) {
    post { body campaignId campaign { name } }
  }
}"""


async def campaign(gql, token, workspace_id, name="Ramadan sale", **fields):
    payload = await gql.mutate(
        "campaignCreate",
        CREATE,
        {"workspaceId": workspace_id, "campaign": {"name": name, **fields}},
        token=token,
    )
    return payload["campaign"]


async def test_create_update_and_list(gql):
    owner, workspace_id, _ = await studio(gql)
    created = await campaign(
        gql, owner.token, workspace_id, startsOn="2027-03-01", endsOn="2027-03-31"
    )
    assert created["name"] == "Ramadan sale" and created["workspaceId"] == workspace_id
    updated = await gql.mutate(
        "campaignUpdate",
        UPDATE,
        {"campaignId": created["id"], "campaign": {"name": "Lebaran", "endsOn": "2027-04-05"}},
        token=owner.token,
    )
    assert updated["campaign"] == {"id": created["id"], "name": "Lebaran", "endsOn": "2027-04-05"}
    listed = await gql.data(LIST, {"workspaceId": workspace_id}, token=owner.token)
    assert listed["campaigns"]["totalCount"] == 1


async def test_every_problem_is_reported_and_nothing_written(gql):
    owner, workspace_id, _ = await studio(gql)
    await campaign(gql, owner.token, workspace_id, "Taken")
    payload = await gql.mutate(
        "campaignCreate",
        CREATE,
        {
            "workspaceId": workspace_id,
            "campaign": {"name": "", "startsOn": "2027-03-10", "endsOn": "2027-03-01"},
        },
        token=owner.token,
        expect_errors=True,
    )
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("name", "REQUIRED"),
        ("endsOn", "INVALID"),
    }
    duplicate = await gql.mutate(
        "campaignCreate",
        CREATE,
        {"workspaceId": workspace_id, "campaign": {"name": "Taken"}},
        token=owner.token,
        expect_errors=True,
    )
    assert duplicate["errors"][0]["code"] == "ALREADY_EXISTS"
    assert await Campaign.all().count() == 1


async def test_the_calendar_filters_by_campaign(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    launch = await campaign(gql, owner.token, workspace_id, "Launch")
    at = later(days=3)
    inside = await create_post(
        gql, owner.token, workspace_id, [channel], "In the launch", campaignId=launch["id"]
    )
    outside = await create_post(gql, owner.token, workspace_id, [channel], "Not in it")
    await schedule(gql, owner.token, inside["id"], at)
    await schedule(gql, owner.token, outside["id"], later(days=4))
    window = {"workspaceId": workspace_id, "from": later(days=1), "to": later(days=10)}
    window = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in window.items()}
    shown = await gql.data(
        CALENDAR, {**window, "filter": {"campaignIds": [launch["id"]]}}, token=owner.token
    )
    assert shown["calendar"] == [
        {
            "post": {
                "body": "In the launch",
                "campaignId": launch["id"],
                "campaign": {"name": "Launch"},
            }
        }
    ]
    everything = await gql.data(CALENDAR, window, token=owner.token)
    assert len(everything["calendar"]) == 2


async def test_another_workspaces_campaign_looks_missing(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    theirs = await campaign(gql, owner.token, workspace_id, "Theirs")
    stranger, stranger_workspace, (stranger_channel,) = await studio(gql)
    payload = await gql.mutate(
        "postCreate",
        """mutation($input: PostCreateInput!) { postCreate(input: $input) {
            post { id } errors { field code message } } }""",
        {
            "workspaceId": stranger_workspace,
            "content": {
                "body": "x",
                "targets": [{"channelId": stranger_channel}],
                "campaignId": theirs["id"],
            },
        },
        token=stranger.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("campaignId", "NOT_FOUND")]
    update = await gql.mutate(
        "campaignUpdate",
        UPDATE,
        {"campaignId": theirs["id"], "campaign": {"name": "Mine now"}},
        token=stranger.token,
        expect_errors=True,
    )
    assert update["errors"][0]["code"] == "NOT_FOUND"
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]}, token=stranger.token
    )
    assert node["node"] is None
    listed = await gql.execute(LIST, {"workspaceId": workspace_id}, token=stranger.token)
    assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await Campaign.get()).name == "Theirs"
    assert to_global_id("Campaign", (await Campaign.get()).id) == theirs["id"]
