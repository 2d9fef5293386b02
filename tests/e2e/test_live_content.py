"""Content and channel events live across API processes, and only for their workspace."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError

from tests.e2e.conftest import ws_session
from tests.e2e.test_server import mutate, register, wait_for_subscribers, workspace

POST_STATUS = """
subscription Status($workspaceId: ID!) {
  postStatusChanged(workspaceId: $workspaceId) {
    targetId postId channelId status fromStatus reason
  }
}"""
CHANNEL_HEALTH = """
subscription Health($workspaceId: ID!) {
  channelHealthChanged(workspaceId: $workspaceId) { channelId health reason }
}"""
CONNECT = """
mutation Connect($input: ChannelConnectStartInput!) {
  channelConnectStart(input: $input) { channel { id } errors { field code message } }
}"""
DISCONNECT = """
mutation Disconnect($input: ChannelDisconnectInput!) {
  channelDisconnect(input: $input) { channel { id health } errors { field code message } }
}"""
POST_CREATE = """
mutation Create($input: PostCreateInput!) {
  postCreate(input: $input) { post { id targets { id } } errors { field code message } }
}"""
POST_SCHEDULE = """
mutation Schedule($input: PostScheduleInput!) {
  postSchedule(input: $input) { post { id } errors { field code message } }
}"""
POST_CANCEL = """
mutation Cancel($input: PostCancelInput!) {
  postCancel(input: $input) { post { id } errors { field code message } }
}"""


async def studio(server):
    owner = await register(server)
    workspace_id = await workspace(server, owner)
    connected = await mutate(
        server,
        "channelConnectStart",
        CONNECT,
        {"workspaceId": workspace_id, "platform": "SANDBOX"},
        token=owner["token"],
    )
    return owner, workspace_id, connected["channel"]["id"]


async def test_post_status_changes_reach_subscribers_on_another_process(servers):
    a, b = servers
    owner, workspace_id, channel_id = await studio(b)
    async with ws_session(a, {"authorization": f"Bearer {owner['token']}"}) as session:
        events = session.subscribe(
            GraphQLRequest(POST_STATUS, variable_values={"workspaceId": workspace_id})
        )
        first = asyncio.ensure_future(anext(events))
        try:
            await wait_for_subscribers(workspace_id, 1)
            created = await mutate(
                b,
                "postCreate",
                POST_CREATE,
                {
                    "workspaceId": workspace_id,
                    "content": {"body": "Live kopi", "targets": [{"channelId": channel_id}]},
                },
                token=owner["token"],
            )
            post_id = created["post"]["id"]
            target_id = created["post"]["targets"][0]["id"]
            event = (await asyncio.wait_for(first, 10))["postStatusChanged"]
            assert (event["targetId"], event["status"], event["fromStatus"]) == (
                target_id,
                "DRAFT",
                None,
            )
            at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            await mutate(
                b,
                "postSchedule",
                POST_SCHEDULE,
                {"postId": post_id, "at": at},
                token=owner["token"],
            )
            event = (await asyncio.wait_for(anext(events), 10))["postStatusChanged"]
            assert (event["status"], event["fromStatus"]) == ("SCHEDULED", "DRAFT")
            await mutate(
                b,
                "postCancel",
                POST_CANCEL,
                {"postId": post_id, "reason": "changed our mind"},
                token=owner["token"],
            )
            event = (await asyncio.wait_for(anext(events), 10))["postStatusChanged"]
            assert (event["status"], event["reason"]) == ("CANCELLED", "changed our mind")
            assert event["postId"] == post_id and event["channelId"] == channel_id
        finally:
            first.cancel()
            await events.aclose()


async def test_channel_health_changes_reach_subscribers(servers):
    a, b = servers
    owner, workspace_id, channel_id = await studio(b)
    async with ws_session(a, {"authorization": f"Bearer {owner['token']}"}) as session:
        events = session.subscribe(
            GraphQLRequest(CHANNEL_HEALTH, variable_values={"workspaceId": workspace_id})
        )
        first = asyncio.ensure_future(anext(events))
        try:
            await wait_for_subscribers(workspace_id, 1)
            await mutate(
                b,
                "channelDisconnect",
                DISCONNECT,
                {"channelId": channel_id},
                token=owner["token"],
            )
            event = (await asyncio.wait_for(first, 10))["channelHealthChanged"]
            assert (event["channelId"], event["health"]) == (channel_id, "DISCONNECTED")
        finally:
            first.cancel()
            await events.aclose()


@pytest.mark.parametrize("subscription", [POST_STATUS, CHANNEL_HEALTH])
async def test_another_workspace_cannot_subscribe(servers, subscription):
    a, b = servers
    _, workspace_id, _ = await studio(b)
    stranger = await register(b)
    await workspace(b, stranger)
    async with ws_session(a, {"authorization": f"Bearer {stranger['token']}"}) as session:
        request = GraphQLRequest(subscription, variable_values={"workspaceId": workspace_id})
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(request):
                pytest.fail("a stranger received an event")
        assert refused.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
