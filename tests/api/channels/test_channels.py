from domain.channels.models import Channel

CONNECT = """
mutation Connect($input: ChannelConnectStartInput!) {
  channelConnectStart(input: $input) {
    authorizationUrl
    channel { id platform name handle health healthReason workspaceId credentialsExpireAt }
    errors { field code message }
  }
}"""

DISCONNECT = """
mutation Disconnect($input: ChannelDisconnectInput!) {
  channelDisconnect(input: $input) {
    channel { id health healthReason disconnectedAt }
    errors { field code message }
  }
}"""

CHANNELS = """
query Channels($workspaceId: ID!, $platform: Platform, $health: ChannelHealth) {
  channels(workspaceId: $workspaceId, platform: $platform, health: $health) {
    totalCount
    edges { node { id platform handle health } }
  }
}"""


async def connect(gql, token, workspace_id, **sandbox):
    payload = await gql.mutate(
        "channelConnectStart",
        CONNECT,
        {"workspaceId": workspace_id, "platform": "SANDBOX", "sandbox": sandbox or None},
        token=token,
    )
    return payload["channel"]


async def test_sandbox_connects_in_one_call_and_is_listed(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    channel = await connect(gql, owner.token, workspace_id, handle="kopi", followers=5000)
    assert channel["platform"] == "SANDBOX"
    assert channel["health"] == "CONNECTED"
    assert channel["handle"] == "kopi"
    assert channel["workspaceId"] == workspace_id
    assert channel["credentialsExpireAt"] is not None

    listed = (await gql.data(CHANNELS, {"workspaceId": workspace_id}, token=owner.token))[
        "channels"
    ]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["id"] == channel["id"]
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Channel { id handle } } }",
        {"id": channel["id"]},
        token=owner.token,
    )
    assert node["node"] == {"id": channel["id"], "handle": "kopi"}


async def test_tokens_are_encrypted_at_rest_and_never_in_the_schema(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    await connect(gql, owner.token, workspace_id)
    row = await Channel.get()
    from domain.channels.vault import load_credentials

    credentials = load_credentials(row)
    assert credentials is not None and credentials.access_token
    assert credentials.access_token not in row.access_token_encrypted
    assert credentials.refresh_token not in (row.refresh_token_encrypted or "")
    fields = await gql.data('{ __type(name: "Channel") { fields { name } } }', token=owner.token)
    names = {field["name"].lower() for field in fields["__type"]["fields"]}
    assert not any("token" in name or "secret" in name for name in names)


async def test_connect_reports_every_sandbox_problem(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    payload = await gql.mutate(
        "channelConnectStart",
        CONNECT,
        {
            "workspaceId": workspace_id,
            "platform": "SANDBOX",
            "sandbox": {
                "handle": "",
                "followers": -1,
                "latencyMs": 999999,
                "failureRates": {"meteor": 0.1, "timeout": 2},
            },
        },
        token=owner.token,
        expect_errors=True,
    )
    fields = sorted(error["field"] for error in payload["errors"])
    assert fields == [
        "sandbox.failureRates",
        "sandbox.failureRates",
        "sandbox.followers",
        "sandbox.handle",
        "sandbox.latencyMs",
    ]
    assert payload["channel"] is None
    assert await Channel.all().count() == 0


async def test_disconnect_erases_credentials_and_keeps_the_row(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    channel = await connect(gql, owner.token, workspace_id)
    payload = await gql.mutate(
        "channelDisconnect", DISCONNECT, {"channelId": channel["id"]}, token=owner.token
    )
    assert payload["channel"]["health"] == "DISCONNECTED"
    assert payload["channel"]["disconnectedAt"]
    row = await Channel.get()
    assert row.access_token_encrypted == "" and row.refresh_token_encrypted is None
    filtered = await gql.data(
        CHANNELS, {"workspaceId": workspace_id, "health": "CONNECTED"}, token=owner.token
    )
    assert filtered["channels"]["totalCount"] == 0


async def test_editors_cannot_connect_and_analysts_can_list(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    channel = await connect(gql, owner.token, workspace_id)
    editor = await gql.join(workspace_id, owner, "EDITOR")
    body = await gql.execute(
        CONNECT,
        {"input": {"workspaceId": workspace_id, "platform": "SANDBOX"}},
        token=editor.person.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.execute(
        DISCONNECT, {"input": {"channelId": channel["id"]}}, token=editor.person.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    listed = await gql.data(CHANNELS, {"workspaceId": workspace_id}, token=analyst.person.token)
    assert listed["channels"]["totalCount"] == 1
    assert await Channel.all().count() == 1


async def test_another_workspace_cannot_see_or_touch_channels(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    channel = await connect(gql, owner.token, workspace_id)
    stranger = await gql.person()
    await gql.workspace(stranger, "Elsewhere")

    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": channel["id"]}, token=stranger.token
    )
    assert node["node"] is None
    listed = await gql.execute(CHANNELS, {"workspaceId": workspace_id}, token=stranger.token)
    assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    payload = await gql.mutate(
        "channelDisconnect",
        DISCONNECT,
        {"channelId": channel["id"]},
        token=stranger.token,
        expect_errors=True,
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    payload = await gql.mutate(
        "channelConnectStart",
        CONNECT,
        {"workspaceId": workspace_id, "platform": "SANDBOX"},
        token=stranger.token,
        expect_errors=True,
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert (await Channel.get()).health == "CONNECTED"
    assert await Channel.all().count() == 1
