"""The OAuth2 authorization code flow end to end through HTTP: channelConnectStart, the
network's consent page (a fake), GET /oauth/callback/{platform}, against X's fake API."""

import asyncio
from datetime import UTC, datetime, timedelta

from domain.channels.models import Channel, ChannelConnectAttempt, ChannelHealth
from domain.channels.service import set_health
from domain.channels.vault import load_credentials
from domain.events import listen
from domain.secrets import decrypt, token_hash
from domain.settings import get_settings
from domain.uow import unit_of_work
from tests.api.channels import fake_networks
from tests.api.channels.connect_flow import (
    CHANNELS,
    assert_nowhere,
    attempt,
    callback,
    connect,
    query_of,
    start,
    start_errors,
)
from tests.domain.platforms.fakes.oauth import overlay, s256
from tests.domain.platforms.fakes.x import ME

REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback/x"


async def owner_and_workspace(gql):
    owner = await gql.person()
    return owner, await gql.workspace(owner)


async def test_authorization_url_has_client_redirect_state_and_an_s256_challenge(gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    payload = await start(gql, owner.token, workspace_id, "X")
    url = payload["authorizationUrl"]
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    params = query_of(url)
    assert params["response_type"] == "code"
    assert params["client_id"] == x.state.client_id
    assert params["redirect_uri"] == REDIRECT_URI
    assert set(params["scope"].split()) >= {"tweet.write", "users.read", "offline.access"}
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 43 and len(params["code_challenge"]) == 43
    assert payload["attempt"]["status"] == "PENDING"
    assert payload["attempt"]["platform"] == "X" and payload["channel"] is None

    stored = await ChannelConnectAttempt.get()
    # The state is kept only as a keyed hash, the verifier only encrypted.
    assert stored.state_hash == token_hash(params["state"]) != params["state"]
    verifier = decrypt(stored.code_verifier_encrypted)
    assert s256(verifier) == params["code_challenge"]
    assert verifier not in stored.code_verifier_encrypted
    remaining = stored.expires_at - datetime.now(UTC)
    assert timedelta(minutes=9) < remaining <= timedelta(minutes=10)


async def test_callback_connects_the_account_and_keeps_the_token_encrypted(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    response = await callback(http, redirect)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "connected" and body["attemptId"] == started["attempt"]["id"]
    [channel_id] = body["channelIds"]

    # The code went to X's token endpoint with the verifier, the client authenticated with
    # HTTP Basic, and the token X issued is stored encrypted.
    [exchange] = x.server.exchanges
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert exchange["form"]["redirect_uri"] == REDIRECT_URI
    assert exchange["form"]["code_verifier"]
    assert exchange["headers"]["authorization"].startswith("Basic ")
    row = await Channel.get()
    credentials = load_credentials(row)
    issued = [token for token in x.state.access_tokens if token != "x-access-1"]
    assert credentials.access_token == issued[0]
    assert credentials.refresh_token and credentials.refresh_token in x.state.refresh_tokens
    assert credentials.access_token not in row.access_token_encrypted
    assert credentials.extra == {"user_id": ME["id"], "username": ME["username"]}
    assert (row.external_account_id, row.handle, row.name) == (ME["id"], ME["username"], ME["name"])
    assert timedelta(hours=1) < row.token_expires_at - datetime.now(UTC) <= timedelta(hours=2)
    assert (await ChannelConnectAttempt.get()).code_verifier_encrypted is None

    listed = await gql.data(CHANNELS, {"workspaceId": workspace_id}, token=owner.token)
    [edge] = listed["channels"]["edges"]
    assert edge["node"]["id"] == channel_id and edge["node"]["health"] == "CONNECTED"
    seen = await attempt(gql, owner.token, body["attemptId"])
    assert seen["status"] == "CONNECTED" and seen["channels"][0]["id"] == channel_id
    assert_nowhere(
        [credentials.access_token, credentials.refresh_token, query_of(redirect)["code"]],
        body,
        dict(response.headers),
        listed,
        seen,
    )


async def test_a_state_works_once(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    assert (await callback(http, redirect)).json()["status"] == "connected"

    again = await callback(http, redirect)
    assert again.status_code == 400
    assert again.json() == {
        "status": "error",
        "code": "STATE_USED",
        "message": "This connection link was already used: start again",
    }
    assert len(x.server.exchanges) == 1  # the code was never sent twice
    assert await Channel.all().count() == 1
    seen = await attempt(gql, owner.token, started["attempt"]["id"])
    assert seen["status"] == "CONNECTED" and seen["failure"] is None


async def test_concurrent_callbacks_exchange_the_code_once(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    responses = await asyncio.gather(*(callback(http, redirect) for _ in range(4)))
    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["connected", "error", "error", "error"]
    assert len(x.server.exchanges) == 1
    assert await Channel.all().count() == 1


async def test_an_expired_state_is_refused_before_anything_is_sent(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    await ChannelConnectAttempt.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    response = await callback(http, redirect)
    assert response.status_code == 400
    assert response.json()["code"] == "STATE_EXPIRED"
    assert x.server.exchanges == [] and await Channel.all().count() == 0
    seen = await attempt(gql, owner.token, started["attempt"]["id"])
    assert seen["status"] == "EXPIRED"


async def test_unknown_missing_and_other_network_states_change_nothing(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    query = redirect.split("?", 1)[1]

    wrong_network = await http.get(f"/oauth/callback/mastodon?{query}")
    assert wrong_network.json()["code"] == "STATE_INVALID"
    forged = await http.get("/oauth/callback/x?code=abc&state=not-a-state-we-issued")
    assert forged.json()["code"] == "STATE_INVALID"
    missing = await http.get("/oauth/callback/x?code=abc")
    assert missing.json()["code"] == "STATE_INVALID"
    unknown = await http.get(f"/oauth/callback/myspace?{query}")
    assert unknown.json()["code"] == "CALLBACK_INVALID"
    no_redirect = await http.get(f"/oauth/callback/bluesky?{query}")
    assert no_redirect.json()["code"] == "CALLBACK_INVALID"
    assert x.server.exchanges == []

    # None of that used the state up: the real callback still works.
    assert (await callback(http, redirect)).json()["status"] == "connected"


async def test_a_member_who_declines_gets_a_typed_error_and_no_channel(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    denied = x.server.authorize(started["authorizationUrl"], deny=True)

    response = await callback(http, denied)
    assert response.status_code == 400
    assert response.json()["code"] == "ACCESS_DENIED"
    assert response.json()["attemptId"] == started["attempt"]["id"]
    assert x.server.exchanges == [] and await Channel.all().count() == 0
    seen = await attempt(gql, owner.token, started["attempt"]["id"])
    assert seen["status"] == "FAILED"
    assert seen["failure"]["code"] == "ACCESS_DENIED"
    assert (await callback(http, denied)).json()["code"] == "STATE_USED"


async def test_a_refused_code_or_an_unavailable_network_writes_no_channel(http, gql, seam):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)

    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    forged = redirect.replace(query_of(redirect)["code"], "forged-code")
    refused = await callback(http, forged)
    assert refused.status_code == 400
    assert refused.json()["code"] == "NETWORK_REFUSED"
    assert "invalid_grant" in refused.json()["message"]

    x.server.token_failure = (503, "temporarily_unavailable")
    started = await start(gql, owner.token, workspace_id, "X")
    unavailable = await callback(http, x.server.authorize(started["authorizationUrl"]))
    assert unavailable.status_code == 502
    assert unavailable.json()["code"] == "NETWORK_UNAVAILABLE"

    x.server.token_failure = None
    x.state.fail("server_error", on=("GET /2/users/me",))
    started = await start(gql, owner.token, workspace_id, "X")
    lookup_failed = await callback(http, x.server.authorize(started["authorizationUrl"]))
    assert lookup_failed.json()["code"] == "NETWORK_UNAVAILABLE"
    assert await Channel.all().count() == 0
    failed = await ChannelConnectAttempt.filter(status="FAILED").count()
    assert failed == 3


async def test_an_answer_no_adapter_expected_fails_cleanly(http, gql, seam, caplog):
    fake = fake_networks.x()
    fake.app = overlay(fake.app, {("GET", "/2/users/me"): {"data": {"name": "no id"}}})
    x = seam.install(fake)
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    response = await callback(http, x.server.authorize(started["authorizationUrl"]))
    assert response.status_code == 500
    assert response.json()["code"] == "UNEXPECTED"
    assert "KeyError" not in response.text
    assert "failed unexpectedly" in caplog.text
    seen = await attempt(gql, owner.token, started["attempt"]["id"])
    assert seen["status"] == "FAILED" and seen["failure"]["code"] == "UNEXPECTED"
    assert await Channel.all().count() == 0


async def test_the_callback_redirects_to_the_frontend_without_secrets(http, gql, seam, monkeypatch):
    x = seam.install(fake_networks.x())
    monkeypatch.setattr(
        get_settings(), "connect_return_url", "https://app.kelola.test/channels?tab=new"
    )
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "X")
    redirect = x.server.authorize(started["authorizationUrl"])
    response = await callback(http, redirect)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("https://app.kelola.test/channels?")
    params = query_of(location)
    assert params["tab"] == "new" and params["status"] == "connected"
    assert params["attemptId"] == started["attempt"]["id"]
    assert (
        params["channelIds"]
        == (await attempt(gql, owner.token, params["attemptId"]))["channels"][0]["id"]
    )
    credentials = load_credentials(await Channel.get())
    assert_nowhere(
        [credentials.access_token, credentials.refresh_token, query_of(redirect)["code"]],
        location,
    )

    failed = await callback(http, redirect)
    assert failed.status_code == 303
    assert query_of(failed.headers["location"]) == {
        "tab": "new",
        "status": "error",
        "code": "STATE_USED",
    }


async def test_a_return_url_per_connection_must_be_on_an_allowed_origin(
    http, gql, seam, monkeypatch
):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    errors = await start_errors(
        gql, owner.token, workspace_id, "X", returnUrl="https://evil.test/steal"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("returnUrl", "NOT_ALLOWED")]
    monkeypatch.setattr(get_settings(), "connect_return_origins", ["myapp://", "https://m.test"])
    errors = await start_errors(
        gql, owner.token, workspace_id, "X", returnUrl="https://evil.test/steal"
    )
    assert errors[0]["code"] == "NOT_ALLOWED"
    started = await start(
        gql, owner.token, workspace_id, "X", returnUrl="https://m.test/done#channels"
    )
    response = await callback(http, x.server.authorize(started["authorizationUrl"]))
    location = response.headers["location"]
    assert location.startswith("https://m.test/done?status=connected&attemptId=")
    assert location.endswith("#channels")
    errors = await start_errors(
        gql, owner.token, workspace_id, "SANDBOX", returnUrl="https://m.test/done"
    )
    assert errors[0]["field"] == "returnUrl"


async def test_networks_without_a_configured_app_answer_with_a_typed_error(gql):
    owner, workspace_id = await owner_and_workspace(gql)
    errors = await start_errors(gql, owner.token, workspace_id, "X")
    assert errors == [
        {
            "field": "platform",
            "code": "NOT_ALLOWED",
            "message": "X is not configured: set KELOLA_X_CLIENT_ID",
        }
    ]
    errors = await start_errors(gql, owner.token, workspace_id, "INSTAGRAM")
    assert errors[0]["message"] == "Instagram is not configured: set KELOLA_FACEBOOK_CLIENT_ID"
    assert await ChannelConnectAttempt.all().count() == 0


async def test_reconnecting_refreshes_credentials_and_health_but_keeps_the_refresh_token(
    http, gql, seam
):
    x = seam.install(fake_networks.x())
    owner, workspace_id = await owner_and_workspace(gql)
    first = await connect(http, gql, owner.token, workspace_id, x)
    channel = await Channel.get()
    original = load_credentials(channel)
    async with unit_of_work():
        await set_health(channel, ChannelHealth.NEEDS_REAUTH, "The token was revoked")

    # X answers this grant without a refresh token: the stored one must survive.
    issue = x.server.issue
    x.server.issue = lambda grant: {
        key: value for key, value in issue(grant).items() if key != "refresh_token"
    }
    events = listen([channel.workspace_id], {"channel.health_changed"})
    first_event = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.2)
    second = await connect(http, gql, owner.token, workspace_id, x)
    event = await asyncio.wait_for(first_event, 5)
    await events.aclose()

    assert second["channelIds"] == first["channelIds"]
    assert event.data["health"] == "CONNECTED" and event.data["channel_id"] == channel.id
    again = await Channel.get()
    assert again.id == channel.id and again.health == ChannelHealth.CONNECTED
    assert again.health_reason is None
    stored = load_credentials(again)
    assert stored.access_token != original.access_token
    assert stored.refresh_token == original.refresh_token
    assert await Channel.all().count() == 1
