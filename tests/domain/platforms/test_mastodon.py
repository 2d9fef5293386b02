from datetime import UTC, datetime, timedelta

import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    Capability,
    Credentials,
    MediaItem,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
    Unsupported,
)
from domain.platforms.mastodon import provider as mastodon_module
from domain.platforms.mastodon.content import plain_text
from domain.platforms.mastodon.provider import (
    MastodonProvider,
    MastodonSettings,
    idempotency_key,
    normalise_instance,
    register_app,
)
from tests.domain.platforms.fakes.mastodon import FAN, HOST, ME, MastodonFakeState, create_app
from tests.domain.platforms.fakes.transport import fake_client

INSTANCE = f"https://{HOST}"
MEDIA = "https://media.kelola.test/media"


@pytest.fixture
def state() -> MastodonFakeState:
    return MastodonFakeState()


@pytest.fixture
async def client(state):
    client = fake_client(create_app(state), refuse=lambda: state.refuse_connections)
    yield client
    await client.aclose()


@pytest.fixture
def mastodon(client) -> MastodonProvider:
    return MastodonProvider(client, MastodonSettings(media_poll_interval=0))


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(
        access_token="m-access-1", extra={"instance_url": INSTANCE, "account_id": ME["id"]}
    )


def since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


async def test_register_app_returns_the_connection_for_oauth(client, state):
    app = await register_app("Mastodon.Test/", "https://kelola.test/callback", client)
    [sent] = state.recorded("POST", "/api/v1/apps")
    assert sent.body["redirect_uris"] == "https://kelola.test/callback"
    assert "write:statuses" in sent.body["scopes"].split()
    assert app.connection == {
        "instance_url": INSTANCE,
        "client_id": "client-1",
        "client_secret": "secret-1",
    }
    endpoints = MastodonProvider(client).oauth_endpoints(app.connection)
    assert endpoints.authorize_url == f"{INSTANCE}/oauth/authorize"
    assert endpoints.token_url == f"{INSTANCE}/oauth/token"
    assert (endpoints.client_id, endpoints.client_secret) == ("client-1", "secret-1")
    assert endpoints.token_endpoint_auth_method == "client_secret_post"
    assert endpoints.uses_pkce is True
    assert set(endpoints.scopes) == set(sent.body["scopes"].split())


def test_oauth_endpoints_need_a_registered_app(mastodon):
    with pytest.raises(ValueError):
        mastodon.oauth_endpoints({"instance_url": INSTANCE})


def test_instance_urls_are_normalised_and_https_only():
    assert normalise_instance(" Mastodon.Social/ ") == "https://mastodon.social"
    assert normalise_instance("https://m.test:8443/about") == "https://m.test:8443"
    with pytest.raises(ValueError):
        normalise_instance("http://mastodon.social")


def test_capabilities_leave_out_refresh_and_it_raises_unsupported(mastodon, credentials):
    assert Capability.REFRESH_TOKEN not in mastodon.capabilities
    assert isinstance(mastodon_module.provider(), MastodonProvider)


async def test_refresh_token_is_unsupported(mastodon, credentials):
    with pytest.raises(Unsupported):
        await mastodon.refresh_token(credentials)


async def test_fetch_account(mastodon, credentials):
    account = await mastodon.fetch_account(credentials)
    assert (account.external_id, account.name, account.handle) == (
        ME["id"],
        "Kopi Kenangan",
        f"kopi@{HOST}",
    )


async def test_publish_sends_bearer_json_and_idempotency_key(mastodon, state, credentials):
    published = await mastodon.publish(
        credentials, PublishRequest("t:1", "Menu baru", link="https://kopi.id/m")
    )
    [sent] = state.recorded("POST", "/api/v1/statuses")
    assert sent.headers["authorization"] == "Bearer m-access-1"
    assert sent.headers["idempotency-key"] == idempotency_key("t:1")
    assert sent.body == {"status": "Menu baru\n\nhttps://kopi.id/m"}
    [status] = state.statuses
    assert published.network_post_id == status["id"]
    assert published.url == f"{INSTANCE}/@kopi/{status['id']}"


async def test_media_waits_for_processing_before_posting(mastodon, state, credentials):
    state.processing_polls = 3
    video = MediaItem("VIDEO", f"{MEDIA}/clip.mp4", "video/mp4", alt_text="Barista")
    image = MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png")
    await mastodon.publish(credentials, PublishRequest("t:1", "Video", media=(video, image)))
    assert len(state.recorded("GET", f"/api/v1/media/{list(state.media)[0]}")) == 3
    [sent] = state.recorded("POST", "/api/v1/statuses")
    assert sent.body["media_ids"] == list(state.media)
    assert list(state.media.values())[0]["description"] == "Barista"


async def test_first_comment_replies_to_the_new_status(mastodon, state, credentials):
    published = await mastodon.publish(
        credentials, PublishRequest("t:1", "Promo", first_comment="Syarat berlaku")
    )
    post, comment = state.statuses
    assert comment["in_reply_to_id"] == published.network_post_id == post["id"]
    keys = [r.headers["idempotency-key"] for r in state.recorded("POST", "/api/v1/statuses")]
    assert len(set(keys)) == 2


@pytest.mark.parametrize(
    ("mode", "error", "stored"),
    [
        ("expired", AuthExpired, 0),
        ("rate_limit", RateLimited, 0),
        ("invalid", Rejected, 0),
        ("server_error", Ambiguous, 0),
        ("slow", Ambiguous, 0),
        ("server_error_after", Ambiguous, 1),
        ("slow_after", Ambiguous, 1),
    ],
)
async def test_publish_failures_fall_in_their_class(
    mastodon, state, credentials, mode, error, stored
):
    state.fail(mode, on=("POST /api/v1/statuses",))
    with pytest.raises(error):
        await mastodon.publish(credentials, PublishRequest("t:1", "Halo"))
    assert len(state.statuses) == stored


async def test_rate_limit_reset_is_read_from_the_iso_header(mastodon, state, credentials):
    state.fail("rate_limit")
    with pytest.raises(RateLimited) as raised:
        await mastodon.publish(credentials, PublishRequest("t:1", "Halo"))
    expected = datetime.now(UTC) + timedelta(minutes=5)
    assert abs(raised.value.retry_at - expected) < timedelta(seconds=5)


async def test_refused_connection_is_transient(mastodon, state, credentials):
    state.refuse_connections = True
    with pytest.raises(TransientBeforeSend):
        await mastodon.publish(credentials, PublishRequest("t:1", "Halo"))


async def test_retry_with_the_same_reference_does_not_duplicate(mastodon, state, credentials):
    state.fail("server_error_after", on=("POST /api/v1/statuses",), times=1)
    with pytest.raises(Ambiguous):
        await mastodon.publish(credentials, PublishRequest("t:1", "Halo"))
    again = await mastodon.publish(credentials, PublishRequest("t:1", "Halo"))
    [status] = state.statuses
    assert again.network_post_id == status["id"]


@pytest.mark.parametrize("mode", ["server_error_after", "slow_after"])
async def test_find_published_after_ambiguous_failure_finds_the_one_status(
    mastodon, state, credentials, mode
):
    text = "Kopi & roti <3 untuk @budi@other.test #promo\nhari ini"
    request = PublishRequest("t:1", text, link="https://kopi.id/promo/very/long/path/here")
    state.add_status(ME, text, created_at=datetime.now(UTC) - timedelta(days=1))
    started = since()
    state.fail(mode, on=("POST /api/v1/statuses",))
    with pytest.raises(Ambiguous):
        await mastodon.publish(credentials, request)
    found = await mastodon.find_published(credentials, request, started)
    assert found is not None
    assert found.network_post_id == state.statuses[-1]["id"]
    assert await mastodon.find_published(credentials, PublishRequest("t:2", "x"), started) is None


async def test_html_content_is_read_back_as_text():
    html = (
        '<p>Hi <span class="h-card"><a href="#" class="u-url mention">@<span>budi</span></a>'
        "</span> &amp; all<br />line</p><p>"
        '<a href="https://kopi.id/x"><span class="invisible">https://</span>'
        '<span class="ellipsis">kopi.id</span><span class="invisible">/x</span></a></p>'
    )
    assert plain_text(html) == "Hi @budi & all\nline\n\nhttps://kopi.id/x"


async def test_metrics_map_counts_and_skip_deleted_statuses(mastodon, state, credentials):
    status = state.add_status(ME, "Promo", favourites_count=5, reblogs_count=2, replies_count=1)
    [metrics] = await mastodon.fetch_metrics(credentials, [status["id"], "404404"])
    assert (metrics.likes, metrics.shares, metrics.comments) == (5, 2, 1)
    assert metrics.impressions is None and metrics.reach is None and metrics.clicks is None


async def test_read_server_errors_are_transient(mastodon, state, credentials):
    state.fail("server_error", on=("GET /api/v1/notifications",))
    with pytest.raises(TransientBeforeSend):
        await mastodon.fetch_interactions(credentials, since())


async def test_interactions_from_mention_notifications(mastodon, state, credentials):
    post = state.add_status(ME, "Promo")
    state.add_status(FAN, "@kopi enak!", in_reply_to_id=post["id"], in_reply_to_account_id=ME["id"])
    state.add_status(FAN, "Mampir ke @kopi")
    state.add_status(FAN, "@kopi kemarin", created_at=datetime.now(UTC) - timedelta(days=2))
    found = await mastodon.fetch_interactions(credentials, datetime.now(UTC) - timedelta(hours=1))
    assert sorted((i.kind, i.text, i.in_reply_to) for i in found) == [
        ("COMMENT", "@kopi enak!", post["id"]),
        ("MENTION", "Mampir ke @kopi", None),
    ]
    assert {(i.author_handle, i.author_followers) for i in found} == {("budi@other.test", 45)}
    [sent] = state.recorded("GET", "/api/v1/notifications")
    assert sent.query["types[]"] == "mention"


async def test_reply_is_idempotent_per_parent_and_text(mastodon, state, credentials):
    parent = state.add_status(FAN, "Buka jam berapa?")
    first = await mastodon.reply(credentials, parent["id"], "Jam 7")
    second = await mastodon.reply(credentials, parent["id"], "Jam 7")
    assert first == second
    assert state.statuses[-1]["in_reply_to_id"] == parent["id"]


async def test_search_mentions_uses_search_and_tag_timelines(mastodon, state, credentials):
    state.add_status(FAN, "Kopi kenangan mantap")
    state.add_status(FAN, "Ramai di #kopikenangan")
    state.add_status(ME, "Kami di #kopikenangan")
    found = await mastodon.search_mentions(
        credentials, ["kenangan mantap", "#kopikenangan"], since()
    )
    assert [(i.kind, i.text) for i in found] == [
        ("MENTION", "Kopi kenangan mantap"),
        ("MENTION", "Ramai di #kopikenangan"),
    ]


async def test_credentials_without_instance_need_reconnecting(mastodon):
    with pytest.raises(AuthExpired):
        await mastodon.fetch_account(Credentials(access_token="m-access-1"))


async def test_channel_metrics_read_followers_and_leave_profile_views_none(
    mastodon, state, credentials
):
    audience = await mastodon.fetch_channel_metrics(credentials)
    assert (audience.followers, audience.profile_views) == (ME["followers_count"], None)
    assert state.recorded("GET", "/api/v1/accounts/verify_credentials")


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(
    mastodon, state, credentials, mode, error
):
    state.fail(mode, on=("GET /api/v1/accounts/verify_credentials",))
    with pytest.raises(error) as raised:
        await mastodon.fetch_channel_metrics(credentials)
    if mode == "rate_limit":
        assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=4)


async def test_metrics_read_twenty_statuses_a_call(mastodon, state, credentials):
    statuses = [
        state.add_status(ME, f"Post {index}", favourites_count=index) for index in range(119)
    ]
    ids = [status["id"] for status in statuses] + ["404404"]  # one deleted since
    metrics = await mastodon.fetch_metrics(credentials, ids)
    assert {m.network_post_id: m.likes for m in metrics} == {
        status["id"]: index for index, status in enumerate(statuses)
    }
    assert all(m.video_views is None and m.watch_time_s is None for m in metrics)
    batches = state.recorded("GET", "/api/v1/statuses")
    assert len(batches) == 6 and not [r for r in state.requests if "/statuses/" in r.path]


async def test_metrics_on_an_instance_before_4_3_read_status_by_status(
    mastodon, state, credentials
):
    state.batch_statuses = False
    statuses = [state.add_status(ME, f"Post {index}") for index in range(25)]
    ids = [status["id"] for status in statuses] + ["404404"]
    metrics = await mastodon.fetch_metrics(credentials, ids)
    assert [m.network_post_id for m in metrics] == ids[:-1]
    assert len(state.recorded("GET", "/api/v1/statuses")) == 1  # tried once, then remembered
    await mastodon.fetch_metrics(credentials, ids[:2])
    assert len(state.recorded("GET", "/api/v1/statuses")) == 1
