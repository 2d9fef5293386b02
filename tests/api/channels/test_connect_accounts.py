"""Logins that reach several accounts: Facebook Pages, Instagram accounts, LinkedIn pages,
Pinterest boards. A single account connects at once; several wait for the member's choice;
channels the workspace already uses are reconnected without asking."""

from datetime import UTC, datetime, timedelta

from domain.channels.models import Channel, ChannelConnectAttempt
from domain.channels.vault import load_credentials
from tests.api.channels import fake_networks
from tests.api.channels.connect_flow import (
    FINISH,
    assert_nowhere,
    attempt,
    callback,
    connect,
    query_of,
    start,
)
from tests.domain.platforms.fakes import facebook as fb
from tests.domain.platforms.fakes import linkedin as li
from tests.domain.platforms.fakes import pinterest as pin


async def owner_and_workspace(gql):
    owner = await gql.person()
    return owner, await gql.workspace(owner)


async def finish(gql, token, attempt_id, candidate_ids, *, expect_errors=False):
    return await gql.mutate(
        "channelConnectFinish",
        FINISH,
        {"attemptId": attempt_id, "candidateIds": candidate_ids},
        token=token,
        expect_errors=expect_errors,
    )


async def test_facebook_connects_the_page_the_member_can_publish_to(http, gql, seam):
    facebook = seam.install(fake_networks.facebook())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "FACEBOOK")
    url = started["authorizationUrl"]
    assert url.startswith("https://www.facebook.com/v25.0/dialog/oauth?")
    assert "code_challenge" not in query_of(url)  # Facebook Login takes no PKCE
    assert "pages_manage_posts" in query_of(url)["scope"].split(",")

    body = (await callback(http, facebook.server.authorize(url))).json()
    assert body["status"] == "connected"
    # The only other Page grants ANALYZE only: it cannot publish, so it is not offered.
    channel = await Channel.get()
    assert (channel.external_account_id, channel.name) == (fb.PAGE_ID, "Kopi Kita")
    credentials = load_credentials(channel)
    assert credentials.access_token == fb.PAGE_TOKEN
    assert credentials.extra == {"page_id": fb.PAGE_ID}
    [exchange] = facebook.server.exchanges
    assert exchange["form"]["client_secret"] == "fake-app-secret"  # client_secret_post


async def test_instagram_connects_the_account_linked_to_the_page(http, gql, seam):
    instagram = seam.install(fake_networks.instagram())
    owner, workspace_id = await owner_and_workspace(gql)
    body = await connect(http, gql, owner.token, workspace_id, instagram)
    assert body["status"] == "connected"
    channel = await Channel.get()
    assert (channel.platform, channel.external_account_id, channel.handle) == (
        "INSTAGRAM",
        fb.IG_USER_ID,
        "kopikita.id",
    )
    assert load_credentials(channel).extra == {"ig_user_id": fb.IG_USER_ID, "page_id": fb.PAGE_ID}


async def test_linkedin_member_keeps_its_refresh_token(http, gql, seam):
    linkedin = seam.install(fake_networks.linkedin())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "LINKEDIN")
    assert set(query_of(started["authorizationUrl"])["scope"].split()) == {
        "openid",
        "profile",
        "w_member_social",
    }
    body = (await callback(http, linkedin.server.authorize(started["authorizationUrl"]))).json()
    assert body["status"] == "connected"
    credentials = load_credentials(await Channel.get())
    assert credentials.refresh_token == li.REFRESH_TOKEN
    assert credentials.extra == {"author_urn": li.MEMBER}


async def test_several_linkedin_pages_wait_for_the_members_choice(http, gql, seam):
    linkedin = seam.install(fake_networks.linkedin(organizations=2))
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(
        gql, owner.token, workspace_id, "LINKEDIN", linkedin={"kind": "ORGANIZATION"}
    )
    assert "w_organization_social" in query_of(started["authorizationUrl"])["scope"].split()
    body = (await callback(http, linkedin.server.authorize(started["authorizationUrl"]))).json()
    assert body == {"status": "select", "attemptId": body["attemptId"], "channelIds": []}
    assert await Channel.all().count() == 0

    waiting = await attempt(gql, owner.token, body["attemptId"])
    assert waiting["status"] == "SELECTING" and waiting["chooseBy"]
    assert sorted(c["id"] for c in waiting["candidates"]) == sorted(
        [li.ORGANIZATION, fake_networks.SECOND_ORGANIZATION]
    )
    assert all(c["channel"] is None for c in waiting["candidates"])
    row = await ChannelConnectAttempt.get()
    assert li.TOKEN not in row.candidates_encrypted
    assert_nowhere([li.TOKEN, li.REFRESH_TOKEN], waiting)

    payload = await finish(gql, owner.token, body["attemptId"], [li.ORGANIZATION])
    [channel] = payload["channels"]
    assert (channel["platform"], channel["name"], channel["handle"]) == (
        "LINKEDIN",
        "Kopi Kita",
        "kopi-kita",
    )
    stored = load_credentials(await Channel.get())
    assert stored.extra == {"author_urn": li.ORGANIZATION}
    assert stored.refresh_token == li.REFRESH_TOKEN
    done = await attempt(gql, owner.token, body["attemptId"])
    assert done["status"] == "CONNECTED" and done["candidates"] == []
    assert [c["id"] for c in done["channels"]] == [channel["id"]]
    assert (await ChannelConnectAttempt.get()).candidates_encrypted is None

    again = await finish(
        gql, owner.token, body["attemptId"], [fake_networks.SECOND_ORGANIZATION], expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("attemptId", "NOT_ALLOWED")]
    assert await Channel.all().count() == 1

    # Signing in again reconnects the page in use at once; only the other one waits.
    second = await connect(
        http, gql, owner.token, workspace_id, linkedin, linkedin={"kind": "ORGANIZATION"}
    )
    assert second["status"] == "select" and second["channelIds"] == [channel["id"]]
    waiting = await attempt(gql, owner.token, second["attemptId"])
    assert [c["id"] for c in waiting["candidates"]] == [fake_networks.SECOND_ORGANIZATION]


async def test_a_choice_must_name_offered_accounts_and_come_in_time(http, gql, seam):
    linkedin = seam.install(fake_networks.linkedin(organizations=2))
    owner, workspace_id = await owner_and_workspace(gql)
    body = await connect(
        http, gql, owner.token, workspace_id, linkedin, linkedin={"kind": "ORGANIZATION"}
    )
    for ids, code in (([], "REQUIRED"), (["urn:li:organization:1"], "NOT_FOUND")):
        payload = await finish(gql, owner.token, body["attemptId"], ids, expect_errors=True)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("candidateIds", code)]
    bogus = await finish(gql, owner.token, "bm9wZQ", [li.ORGANIZATION], expect_errors=True)
    assert bogus["errors"][0]["code"] == "INVALID"

    await ChannelConnectAttempt.all().update(
        selection_expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    late = await finish(gql, owner.token, body["attemptId"], [li.ORGANIZATION], expect_errors=True)
    assert [(e["field"], e["code"]) for e in late["errors"]] == [("attemptId", "TOKEN_EXPIRED")]
    expired = await attempt(gql, owner.token, body["attemptId"])
    assert expired["status"] == "EXPIRED" and expired["candidates"] == []
    assert await Channel.all().count() == 0


async def test_pinterest_boards_are_chosen_then_kept_on_reconnect(http, gql, seam):
    pinterest = seam.install(fake_networks.pinterest())
    owner, workspace_id = await owner_and_workspace(gql)
    started = await start(gql, owner.token, workspace_id, "PINTEREST")
    url = started["authorizationUrl"]
    assert url.startswith("https://www.pinterest.com/oauth/?")
    assert query_of(url)["scope"] == "boards:read,pins:read,pins:write,user_accounts:read"
    body = (await callback(http, pinterest.server.authorize(url))).json()
    assert body["status"] == "select"
    assert pinterest.server.exchanges[0]["headers"]["authorization"].startswith("Basic ")

    waiting = await attempt(gql, owner.token, body["attemptId"])
    assert [(c["id"], c["name"], c["detail"]) for c in waiting["candidates"]] == [
        (pin.BOARD_ID, "Kopi Kita", "Board: Coffee"),
        (pin.OTHER_BOARD_ID, "Kopi Kita", "Board: Secret menu"),
    ]
    both = await finish(
        gql, owner.token, body["attemptId"], [pin.BOARD_ID, pin.OTHER_BOARD_ID], expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in both["errors"]] == [("candidateIds", "INVALID")]
    [channel] = (await finish(gql, owner.token, body["attemptId"], [pin.OTHER_BOARD_ID]))[
        "channels"
    ]
    stored = load_credentials(await Channel.get())
    assert stored.extra["board_id"] == pin.OTHER_BOARD_ID
    assert stored.refresh_token == pin.REFRESH_TOKEN

    again = await connect(http, gql, owner.token, workspace_id, pinterest)
    assert again == {
        "status": "connected",
        "attemptId": again["attemptId"],
        "channelIds": [channel["id"]],
    }
    assert load_credentials(await Channel.get()).extra["board_id"] == pin.OTHER_BOARD_ID


async def test_pinterest_with_a_board_id_connects_at_once(http, gql, seam):
    pinterest = seam.install(fake_networks.pinterest())
    owner, workspace_id = await owner_and_workspace(gql)
    body = await connect(
        http, gql, owner.token, workspace_id, pinterest, pinterest={"boardId": pin.BOARD_ID}
    )
    assert body["status"] == "connected"
    assert load_credentials(await Channel.get()).extra["board_id"] == pin.BOARD_ID

    unknown = await connect(
        http, gql, owner.token, workspace_id, pinterest, pinterest={"boardId": "123"}
    )
    assert unknown["code"] == "NO_ACCOUNTS" and "board" in unknown["message"]
    failed = await attempt(gql, owner.token, unknown["attemptId"])
    assert failed["failure"]["code"] == "NO_ACCOUNTS"


async def test_a_disconnected_page_is_offered_again_rather_than_revived(http, gql, seam):
    linkedin = seam.install(fake_networks.linkedin(organizations=2))
    owner, workspace_id = await owner_and_workspace(gql)
    body = await connect(
        http, gql, owner.token, workspace_id, linkedin, linkedin={"kind": "ORGANIZATION"}
    )
    [channel] = (await finish(gql, owner.token, body["attemptId"], [li.ORGANIZATION]))["channels"]
    await gql.mutate(
        "channelDisconnect",
        "mutation($input: ChannelDisconnectInput!) { channelDisconnect(input: $input) {"
        " channel { id } errors { code } } }",
        {"channelId": channel["id"]},
        token=owner.token,
    )
    second = await connect(
        http, gql, owner.token, workspace_id, linkedin, linkedin={"kind": "ORGANIZATION"}
    )
    assert second["status"] == "select" and second["channelIds"] == []
    waiting = await attempt(gql, owner.token, second["attemptId"])
    offered = {c["id"]: c["channel"] for c in waiting["candidates"]}
    assert offered[li.ORGANIZATION] == {"id": channel["id"], "health": "DISCONNECTED"}
    revived = await finish(gql, owner.token, second["attemptId"], [li.ORGANIZATION])
    assert revived["channels"][0] == {**revived["channels"][0], "id": channel["id"]}
    assert revived["channels"][0]["health"] == "CONNECTED"
