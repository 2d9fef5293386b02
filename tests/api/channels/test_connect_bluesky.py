"""Bluesky connects in the same call with a handle and an app password, which opens a
session on the PDS and is then forgotten."""

from domain.channels.models import Channel, ChannelConnectAttempt
from domain.channels.vault import load_credentials
from tests.api.channels import fake_networks
from tests.api.channels.connect_flow import CHANNELS, assert_nowhere, start, start_errors
from tests.domain.platforms.fakes.bluesky import APP_PASSWORD, ME, PDS


async def test_an_app_password_connects_in_one_call_and_is_not_kept(gql, seam):
    bluesky = seam.install(fake_networks.bluesky())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    payload = await start(
        gql,
        owner.token,
        workspace_id,
        "BLUESKY",
        bluesky={"handle": "@kopi.bsky.social", "appPassword": APP_PASSWORD},
    )
    channel = payload["channel"]
    assert payload["authorizationUrl"] is None and payload["attempt"] is None
    assert (channel["platform"], channel["handle"], channel["name"]) == (
        "BLUESKY",
        ME["handle"],
        ME["displayName"],
    )
    assert channel["health"] == "CONNECTED" and channel["workspaceId"] == workspace_id
    [session] = bluesky.state.recorded("POST", "com.atproto.server.createSession")
    assert session.body == {"identifier": ME["handle"], "password": APP_PASSWORD}

    row = await Channel.get()
    credentials = load_credentials(row)
    assert row.external_account_id == ME["did"]
    assert credentials.access_token in bluesky.state.access_tokens
    assert credentials.refresh_token in bluesky.state.refresh_tokens
    assert credentials.extra == {"did": ME["did"], "handle": ME["handle"], "pds": PDS}
    # The password is nowhere: not in the row (decrypted or not), not in any attempt.
    stored = await Channel.all().values()
    assert_nowhere([APP_PASSWORD], stored, credentials.__dict__)
    assert await ChannelConnectAttempt.all().count() == 0
    listed = await gql.data(CHANNELS, {"workspaceId": workspace_id}, token=owner.token)
    assert_nowhere([APP_PASSWORD, credentials.access_token, credentials.refresh_token], listed)


async def test_a_wrong_app_password_is_a_typed_error(gql, seam):
    bluesky = seam.install(fake_networks.bluesky())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    errors = await start_errors(
        gql,
        owner.token,
        workspace_id,
        "BLUESKY",
        bluesky={"handle": ME["handle"], "appPassword": "zzzz-zzzz-zzzz-zzzz"},
    )
    assert errors == [
        {
            "field": "bluesky.appPassword",
            "code": "INVALID_CREDENTIALS",
            "message": "Bluesky refused this handle and app password",
        }
    ]
    assert len(bluesky.state.recorded("POST", "com.atproto.server.createSession")) == 1
    assert await Channel.all().count() == 0


async def test_an_account_password_is_refused_before_reaching_bluesky(gql, seam):
    bluesky = seam.install(fake_networks.bluesky())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    errors = await start_errors(
        gql,
        owner.token,
        workspace_id,
        "BLUESKY",
        bluesky={"handle": "", "appPassword": "my secret account password"},
    )
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("bluesky.appPassword", "INVALID"),
        ("bluesky.handle", "REQUIRED"),
    ]
    assert (
        "app password" in next(e for e in errors if e["field"] == "bluesky.appPassword")["message"]
    )
    assert_nowhere(["my secret account password"], errors)
    assert bluesky.state.requests == []


async def test_bluesky_needs_its_block_and_reports_an_unreachable_network(gql, seam):
    bluesky = seam.install(fake_networks.bluesky())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    errors = await start_errors(gql, owner.token, workspace_id, "BLUESKY")
    assert [(e["field"], e["code"]) for e in errors] == [("bluesky", "REQUIRED")]
    login = {"handle": ME["handle"], "appPassword": APP_PASSWORD}
    errors = await start_errors(gql, owner.token, workspace_id, "SANDBOX", bluesky=login)
    assert [(e["field"], e["code"]) for e in errors] == [("bluesky", "INVALID")]

    bluesky.state.refuse_connections = True
    errors = await start_errors(gql, owner.token, workspace_id, "BLUESKY", bluesky=login)
    assert [(e["field"], e["code"]) for e in errors] == [("platform", "NETWORK_ERROR")]
    bluesky.state.refuse_connections = False
    bluesky.state.fail("rate_limit", on=("POST com.atproto.server.createSession",))
    errors = await start_errors(gql, owner.token, workspace_id, "BLUESKY", bluesky=login)
    assert errors[0]["code"] == "NETWORK_ERROR"
    assert await Channel.all().count() == 0


async def test_connecting_the_same_account_again_reconnects_its_channel(gql, seam):
    seam.install(fake_networks.bluesky())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    login = {"handle": ME["handle"], "appPassword": APP_PASSWORD}
    first = await start(gql, owner.token, workspace_id, "BLUESKY", bluesky=login)
    second = await start(gql, owner.token, workspace_id, "BLUESKY", bluesky=login)
    assert first["channel"]["id"] == second["channel"]["id"]
    assert await Channel.all().count() == 1
