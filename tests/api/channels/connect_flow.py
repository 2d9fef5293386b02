"""GraphQL documents and steps shared by the connect tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.api.channels.fake_networks import FakeNetwork, local_path

START = """
mutation Start($input: ChannelConnectStartInput!) {
  channelConnectStart(input: $input) {
    authorizationUrl
    attempt { id status platform expiresAt workspaceId }
    channel { id platform name handle health workspaceId }
    errors { field code message }
  }
}"""

ATTEMPT = """
query Attempt($id: ID!) {
  channelConnectAttempt(id: $id) {
    id status platform chooseBy
    failure { code message }
    candidates { id name handle detail channel { id health } }
    channels { id platform name handle health credentialsExpireAt }
  }
}"""

FINISH = """
mutation Finish($input: ChannelConnectFinishInput!) {
  channelConnectFinish(input: $input) {
    channels { id platform name handle health }
    errors { field code message }
  }
}"""

CHANNELS = """
query Channels($workspaceId: ID!) {
  channels(workspaceId: $workspaceId) {
    totalCount
    edges { node { id platform name handle health healthReason credentialsExpireAt } }
  }
}"""


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


async def start(gql, token: str, workspace_id: str, platform: str, **options: Any) -> dict:
    """channelConnectStart, asserting it succeeded."""
    return await gql.mutate(
        "channelConnectStart",
        START,
        {"workspaceId": workspace_id, "platform": platform, **options},
        token=token,
    )


async def start_errors(gql, token: str, workspace_id: str, platform: str, **options) -> list:
    payload = await gql.mutate(
        "channelConnectStart",
        START,
        {"workspaceId": workspace_id, "platform": platform, **options},
        token=token,
        expect_errors=True,
    )
    assert payload["channel"] is None and payload["authorizationUrl"] is None
    return payload["errors"]


async def callback(http, url: str):
    """The member's browser arriving back at Kelola from the network."""
    return await http.get(local_path(url))


async def connect(http, gql, token: str, workspace_id: str, fake: FakeNetwork, **options):
    """The whole round trip: start, consent on the network, callback. Returns the JSON body
    of the callback."""
    started = await start(gql, token, workspace_id, fake.platform.value, **options)
    response = await callback(http, fake.server.authorize(started["authorizationUrl"]))
    return response.json()


async def attempt(gql, token: str, attempt_id: str) -> dict | None:
    return (await gql.data(ATTEMPT, {"id": attempt_id}, token=token))["channelConnectAttempt"]


def assert_nowhere(secrets: list[str], *documents: Any) -> None:
    """None of `secrets` appears in any of the documents (responses, headers, URLs)."""
    text = json.dumps(documents, default=str)
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}… leaked"
