"""Mastodon: the member names the instance, Kelola registers itself there once, then the
usual authorization code flow with PKCE against that instance."""

from domain.channels.models import Channel, ChannelConnectAttempt, OAuthAppRegistration
from domain.channels.vault import load_credentials
from domain.secrets import decrypt
from tests.api.channels import fake_networks
from tests.api.channels.connect_flow import (
    assert_nowhere,
    callback,
    connect,
    query_of,
    start,
    start_errors,
)
from tests.domain.platforms.fakes.mastodon import ME

INSTANCE = fake_networks.MASTODON_INSTANCE
REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback/mastodon"


async def test_connecting_registers_kelola_on_the_instance_then_signs_in(http, gql, seam):
    mastodon = seam.install(fake_networks.mastodon())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    started = await start(
        gql, owner.token, workspace_id, "MASTODON", mastodon={"instanceUrl": "Mastodon.Test"}
    )
    [app] = mastodon.state.apps
    assert app["redirect_uri"] == REDIRECT_URI
    url = started["authorizationUrl"]
    assert url.startswith(f"{INSTANCE}/oauth/authorize?")
    params = query_of(url)
    assert params["client_id"] == app["client_id"]
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["code_challenge_method"] == "S256"
    registration = await OAuthAppRegistration.get()
    assert registration.instance_url == INSTANCE
    assert decrypt(registration.client_secret_encrypted) == app["client_secret"]
    assert app["client_secret"] not in registration.client_secret_encrypted

    response = await callback(http, mastodon.server.authorize(url))
    body = response.json()
    assert body["status"] == "connected"
    channel = await Channel.get()
    assert channel.platform == "MASTODON"
    assert (channel.external_account_id, channel.handle) == (ME["id"], "kopi@mastodon.test")
    credentials = load_credentials(channel)
    assert credentials.extra == {"instance_url": INSTANCE, "account_id": ME["id"]}
    [exchange] = mastodon.server.exchanges
    assert exchange["form"]["client_id"] == app["client_id"]  # client_secret_post
    assert exchange["form"]["code_verifier"]
    assert_nowhere([credentials.access_token, app["client_secret"]], body, started)


async def test_the_registration_is_reused_by_later_connects_and_other_workspaces(http, gql, seam):
    mastodon = seam.install(fake_networks.mastodon())
    owner = await gql.person()
    first = await gql.workspace(owner, "One")
    second = await gql.workspace(owner, "Two")
    await connect(http, gql, owner.token, first, mastodon, mastodon={"instanceUrl": INSTANCE})
    body = await connect(
        http, gql, owner.token, second, mastodon, mastodon={"instanceUrl": "mastodon.test/"}
    )
    assert body["status"] == "connected"
    again = await start(
        gql, owner.token, first, "MASTODON", mastodon={"instanceUrl": f"{INSTANCE}/@kopi"}
    )
    assert query_of(again["authorizationUrl"])["client_id"] == "client-1"
    assert len(mastodon.state.apps) == 1
    assert await OAuthAppRegistration.all().count() == 1
    assert await Channel.all().count() == 2


async def test_an_instance_that_no_longer_knows_kelola_is_registered_again(http, gql, seam):
    mastodon = seam.install(fake_networks.mastodon())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    started = await start(
        gql, owner.token, workspace_id, "MASTODON", mastodon={"instanceUrl": INSTANCE}
    )
    redirect = mastodon.server.authorize(started["authorizationUrl"])
    mastodon.state.apps.clear()  # the instance's admin removed Kelola's app

    refused = (await callback(http, redirect)).json()
    assert refused["code"] == "NETWORK_REFUSED" and "invalid_client" in refused["message"]
    assert await OAuthAppRegistration.all().count() == 0
    assert (await ChannelConnectAttempt.get()).app_registration_id is None
    body = await connect(
        http, gql, owner.token, workspace_id, mastodon, mastodon={"instanceUrl": INSTANCE}
    )
    assert body["status"] == "connected"
    assert [app["client_id"] for app in mastodon.state.apps] == ["client-1"]


async def test_the_instance_url_is_required_and_checked(gql, seam):
    mastodon = seam.install(fake_networks.mastodon())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    errors = await start_errors(gql, owner.token, workspace_id, "MASTODON")
    assert [(e["field"], e["code"]) for e in errors] == [("mastodon.instanceUrl", "REQUIRED")]
    for bad in ("http://mastodon.test", "https://user:pw@mastodon.test", "https://", " "):
        errors = await start_errors(
            gql, owner.token, workspace_id, "MASTODON", mastodon={"instanceUrl": bad}
        )
        assert errors[0]["field"] == "mastodon.instanceUrl", bad
        assert errors[0]["code"] in ("INVALID", "REQUIRED"), bad
    errors = await start_errors(
        gql, owner.token, workspace_id, "X", mastodon={"instanceUrl": INSTANCE}
    )
    assert ("mastodon", "INVALID") in [(e["field"], e["code"]) for e in errors]
    assert mastodon.state.apps == []


async def test_an_unreachable_or_refusing_instance_is_a_typed_error(gql, seam):
    mastodon = seam.install(fake_networks.mastodon())
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    mastodon.state.refuse_connections = True
    errors = await start_errors(
        gql, owner.token, workspace_id, "MASTODON", mastodon={"instanceUrl": INSTANCE}
    )
    assert [(e["field"], e["code"]) for e in errors] == [("mastodon.instanceUrl", "NETWORK_ERROR")]
    mastodon.state.refuse_connections = False
    mastodon.state.fail("invalid", on=("POST /api/v1/apps",))
    errors = await start_errors(
        gql, owner.token, workspace_id, "MASTODON", mastodon={"instanceUrl": INSTANCE}
    )
    assert errors[0]["code"] == "INVALID" and "refused" in errors[0]["message"]
    assert await OAuthAppRegistration.all().count() == 0
    assert await ChannelConnectAttempt.all().count() == 0
