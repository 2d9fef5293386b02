import base64
from datetime import UTC, datetime, timedelta

import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    Credentials,
    MediaItem,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.x import provider as x_module
from domain.platforms.x.provider import XProvider, XSettings
from tests.domain.platforms.fakes.transport import fake_client
from tests.domain.platforms.fakes.x import ME, XFakeState, create_app

MEDIA = "https://media.kelola.test/media"


@pytest.fixture
def state() -> XFakeState:
    return XFakeState()


@pytest.fixture
async def x(state):
    client = fake_client(create_app(state), refuse=lambda: state.refuse_connections)
    settings = XSettings(
        api_base="https://api.x.test",
        client_id="x-client",
        client_secret="x-secret",
        media_poll_interval_cap=0,
    )
    yield XProvider(client, settings)
    await client.aclose()


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(
        access_token="x-access-1",
        refresh_token="x-refresh-1",
        extra={"user_id": ME["id"], "username": ME["username"]},
    )


def since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def test_oauth_endpoints_use_pkce_and_basic_client_auth(x):
    endpoints = x.oauth_endpoints({})
    assert endpoints.authorize_url == "https://x.com/i/oauth2/authorize"
    assert endpoints.token_url == "https://api.x.test/2/oauth2/token"
    assert endpoints.uses_pkce is True
    assert endpoints.token_endpoint_auth_method == "client_secret_basic"
    assert {"tweet.write", "offline.access", "media.write"} <= set(endpoints.scopes)
    assert (endpoints.client_id, endpoints.client_secret) == ("x-client", "x-secret")


def test_public_client_authenticates_with_pkce_only():
    endpoints = XProvider(settings=XSettings(client_id="public")).oauth_endpoints({})
    assert endpoints.token_endpoint_auth_method == "none"
    assert endpoints.client_secret is None


def test_registry_entry_point_builds_the_adapter():
    assert isinstance(x_module.provider(), XProvider)


async def test_fetch_account(x, credentials):
    account = await x.fetch_account(credentials)
    assert (account.external_id, account.name, account.handle) == (
        ME["id"],
        "Kopi Kenangan",
        "kopikenangan",
    )


async def test_publish_sends_bearer_token_and_json_body(x, state, credentials):
    published = await x.publish(credentials, PublishRequest("t:1", "Kopi susu hari ini"))
    [sent] = state.recorded("POST", "/2/tweets")
    assert sent.headers["authorization"] == "Bearer x-access-1"
    assert sent.headers["content-type"] == "application/json"
    assert sent.body == {"text": "Kopi susu hari ini"}
    assert published.network_post_id == state.tweets[0].id
    assert published.url == f"https://x.com/kopikenangan/status/{published.network_post_id}"
    assert abs(published.published_at - datetime.now(UTC)) < timedelta(seconds=5)


async def test_link_is_appended_once(x, state, credentials):
    await x.publish(credentials, PublishRequest("t:1", "Menu baru", link="https://kopi.id/m"))
    await x.publish(
        credentials, PublishRequest("t:2", "Lihat https://kopi.id/n", link="https://kopi.id/n")
    )
    texts = [r.body["text"] for r in state.recorded("POST", "/2/tweets")]
    assert texts == ["Menu baru\n\nhttps://kopi.id/m", "Lihat https://kopi.id/n"]


async def test_image_is_uploaded_with_alt_text_then_attached(x, state, credentials):
    image = MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png", alt_text="A cup")
    await x.publish(credentials, PublishRequest("t:1", "Foto", media=(image,)))
    [upload] = state.recorded("POST", "/2/media/upload")
    assert upload.body == {"media_category": "tweet_image", "media_type": "image/png"}
    [media_id] = state.media
    assert state.media[media_id]["alt_text"] == "A cup"
    [sent] = state.recorded("POST", "/2/tweets")
    assert sent.body["media"] == {"media_ids": [media_id]}


async def test_video_goes_through_chunked_upload_and_processing(x, state, credentials):
    state.processing_steps = 3
    video = MediaItem("VIDEO", f"{MEDIA}/clip.mp4", "video/mp4")
    await x.publish(credentials, PublishRequest("t:1", "Video", media=(video,)))
    commands = [r.body["command"] for r in state.recorded("POST", "/2/media/upload")]
    assert commands == ["INIT", "APPEND", "FINALIZE"]
    assert len(state.recorded("GET", "/2/media/upload")) == 3
    assert len(state.tweets) == 1


async def test_failed_video_processing_is_rejected_before_posting(x, state, credentials):
    state.processing_outcome = "failed"
    video = MediaItem("VIDEO", f"{MEDIA}/clip.mp4", "video/mp4")
    with pytest.raises(Rejected, match="Unsupported video"):
        await x.publish(credentials, PublishRequest("t:1", "Video", media=(video,)))
    assert state.tweets == []


async def test_missing_media_file_is_rejected(x, state, credentials):
    image = MediaItem("IMAGE", f"{MEDIA}/missing.png", "image/png")
    with pytest.raises(Rejected):
        await x.publish(credentials, PublishRequest("t:1", "Foto", media=(image,)))
    assert state.tweets == []


async def test_first_comment_is_a_self_reply(x, state, credentials):
    published = await x.publish(
        credentials, PublishRequest("t:1", "Promo", first_comment="Detail di bio")
    )
    post, comment = state.tweets
    assert comment.in_reply_to == published.network_post_id == post.id
    assert comment.text == "Detail di bio"


async def test_failed_first_comment_does_not_fail_the_publish(x, state, credentials):
    state.fail("server_error", on=("POST /2/tweets",), skip=1)
    published = await x.publish(credentials, PublishRequest("t:1", "Promo", first_comment="Hi"))
    assert [t.id for t in state.tweets] == [published.network_post_id]
    assert len(state.recorded("POST", "/2/tweets")) == 2


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
async def test_publish_failures_fall_in_their_class(x, state, credentials, mode, error, stored):
    state.fail(mode, on=("POST /2/tweets",))
    with pytest.raises(error):
        await x.publish(credentials, PublishRequest("t:1", "Halo"))
    assert len(state.tweets) == stored


async def test_refused_connection_is_transient_before_send(x, state, credentials):
    state.refuse_connections = True
    with pytest.raises(TransientBeforeSend):
        await x.publish(credentials, PublishRequest("t:1", "Halo"))


async def test_rate_limit_retry_at_comes_from_the_reset_header(x, state, credentials):
    state.fail("rate_limit", on=("POST /2/tweets",))
    with pytest.raises(RateLimited) as raised:
        await x.publish(credentials, PublishRequest("t:1", "Halo"))
    expected = datetime.now(UTC) + timedelta(seconds=900)
    assert abs(raised.value.retry_at - expected) < timedelta(seconds=5)


async def test_exhausted_daily_cap_waits_for_the_daily_reset(x, state, credentials):
    state.fail("daily_cap", on=("POST /2/tweets",))
    with pytest.raises(RateLimited) as raised:
        await x.publish(credentials, PublishRequest("t:1", "Halo"))
    assert raised.value.retry_at > datetime.now(UTC) + timedelta(hours=19)


async def test_duplicate_content_is_rejected(x, state, credentials):
    await x.publish(credentials, PublishRequest("t:1", "Sama"))
    with pytest.raises(Rejected, match="duplicate"):
        await x.publish(credentials, PublishRequest("t:2", "Sama"))


async def test_token_never_appears_in_errors(x, state, credentials):
    state.fail("expired")
    with pytest.raises(AuthExpired) as raised:
        await x.publish(credentials, PublishRequest("t:1", "Halo"))
    assert "x-access-1" not in str(raised.value)


@pytest.mark.parametrize("mode", ["server_error_after", "slow_after"])
async def test_find_published_after_ambiguous_failure_finds_the_one_post(
    x, state, credentials, mode
):
    state.add_tweet(ME["id"], "Kopi & roti <3 https://t.co/old", created_at=since() - timedelta(1))
    request = PublishRequest("t:1", "Kopi & roti <3", link="https://kopi.id/promo")
    started = since()
    state.fail(mode, on=("POST /2/tweets",))
    with pytest.raises(Ambiguous):
        await x.publish(credentials, request)
    found = await x.find_published(credentials, request, started)
    assert found is not None
    assert found.network_post_id == state.tweets[-1].id
    assert len([t for t in state.tweets if t.created_at >= started]) == 1
    other = PublishRequest("t:2", "Teks lain")
    assert await x.find_published(credentials, other, started) is None


async def test_find_published_compares_media_count(x, state, credentials):
    image = MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png")
    with_media = PublishRequest("t:1", "Foto", media=(image,))
    await x.publish(credentials, with_media)
    assert await x.find_published(credentials, with_media, since()) is not None
    assert await x.find_published(credentials, PublishRequest("t:1", "Foto"), since()) is None


async def test_find_published_without_a_stored_user_id_looks_it_up(x, state, credentials):
    await x.publish(credentials, PublishRequest("t:1", "Halo"))
    bare = Credentials(access_token="x-access-1")
    assert await x.find_published(bare, PublishRequest("t:1", "Halo"), since()) is not None
    assert bare.extra["user_id"] == ME["id"]


async def test_metrics_map_x_counts_and_leave_the_rest_none(x, state, credentials):
    recent = state.add_tweet(
        ME["id"],
        "Promo",
        metrics={
            "like_count": 7,
            "reply_count": 2,
            "retweet_count": 3,
            "quote_count": 1,
            "bookmark_count": 4,
            "impression_count": 900,
            "url_link_clicks": 12,
        },
    )
    old = state.add_tweet(ME["id"], "Lama", created_at=datetime.now(UTC) - timedelta(days=40))
    metrics = await x.fetch_metrics(credentials, [recent.id, old.id])
    by_id = {m.network_post_id: m for m in metrics}
    fresh = by_id[recent.id]
    assert (fresh.likes, fresh.comments, fresh.shares, fresh.saves) == (7, 2, 4, 4)
    assert (fresh.impressions, fresh.clicks) == (900, 12)
    assert fresh.reach is None and fresh.video_views is None
    assert by_id[old.id].clicks is None
    [lookup] = state.recorded("GET", "/2/tweets")
    assert lookup.query["tweet.fields"] == "public_metrics,non_public_metrics"


async def test_read_failures_are_transient(x, state, credentials):
    state.fail("server_error", on=("GET /2/tweets",))
    with pytest.raises(TransientBeforeSend):
        await x.fetch_metrics(credentials, ["1"])
    state.clear_failures()
    state.fail("slow", on=("GET /2/tweets",))
    with pytest.raises(TransientBeforeSend):
        await x.fetch_metrics(credentials, ["1"])


async def test_interactions_separate_comments_from_mentions(x, state, credentials):
    post = state.add_tweet(ME["id"], "Promo")
    state.add_tweet("99", "Enak!", in_reply_to=post.id, in_reply_to_user_id=ME["id"])
    state.add_tweet("99", "Ke @kopikenangan yuk")
    state.add_tweet("99", "@kopikenangan lama", created_at=datetime.now(UTC) - timedelta(days=2))
    found = await x.fetch_interactions(credentials, datetime.now(UTC) - timedelta(hours=1))
    kinds = sorted((i.kind, i.text, i.in_reply_to) for i in found)
    assert kinds == [("COMMENT", "Enak!", post.id), ("MENTION", "Ke @kopikenangan yuk", None)]
    assert {i.author_handle for i in found} == {"budi"}
    assert {i.author_followers for i in found} == {120}


async def test_reply_posts_in_the_thread(x, state, credentials):
    parent = state.add_tweet("99", "Buka jam berapa?")
    reply_id = await x.reply(credentials, parent.id, "Jam 7 pagi")
    [sent] = state.recorded("POST", "/2/tweets")
    assert sent.body == {"text": "Jam 7 pagi", "reply": {"in_reply_to_tweet_id": parent.id}}
    assert state.tweets[-1].id == reply_id


async def test_search_mentions_queries_recent_search(x, state, credentials):
    state.add_tweet("99", "Kopi kenangan mantap")
    state.add_tweet("99", "Cuaca cerah")
    found = await x.search_mentions(
        credentials, ["kenangan", "es kopi"], datetime.now(UTC) - timedelta(days=30)
    )
    assert [(i.kind, i.text) for i in found] == [("MENTION", "Kopi kenangan mantap")]
    [query] = state.recorded("GET", "/2/tweets/search/recent")
    assert query.query["query"] == '(kenangan OR "es kopi") -is:retweet'


async def test_refresh_rotates_tokens_with_basic_auth(x, state, credentials):
    refreshed = await x.refresh_token(credentials)
    [sent] = state.recorded("POST", "/2/oauth2/token")
    basic = base64.b64encode(b"x-client:x-secret").decode()
    assert sent.headers["authorization"] == f"Basic {basic}"
    assert sent.body["grant_type"] == "refresh_token"
    assert refreshed.refresh_token != "x-refresh-1"
    assert refreshed.refresh_token in state.refresh_tokens
    assert refreshed.expires_at > datetime.now(UTC) + timedelta(minutes=100)
    assert refreshed.extra == credentials.extra
    assert (await x.fetch_account(refreshed)).external_id == ME["id"]


async def test_refresh_keeps_the_refresh_token_when_x_sends_none(x, state, credentials):
    state.rotate_refresh_tokens = False
    refreshed = await x.refresh_token(credentials)
    assert refreshed.refresh_token == "x-refresh-1"


async def test_rejected_refresh_token_needs_reauthorisation(x, credentials):
    credentials.refresh_token = "revoked"
    with pytest.raises(AuthExpired):
        await x.refresh_token(credentials)


async def test_channel_metrics_read_followers_and_leave_profile_views_none(x, state, credentials):
    audience = await x.fetch_channel_metrics(credentials)
    assert audience.followers == 5400
    assert audience.profile_views is None  # X's API has no profile visits: null, never 0
    [sent] = state.recorded("GET", "/2/users/me")
    assert sent.query["user.fields"] == "public_metrics"


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(x, state, credentials, mode, error):
    state.fail(mode, on=("GET /2/users/me",))
    with pytest.raises(error) as raised:
        await x.fetch_channel_metrics(credentials)
    if mode == "rate_limit":
        expected = datetime.now(UTC) + timedelta(seconds=900)
        assert abs(raised.value.retry_at - expected) < timedelta(seconds=5)


async def test_video_views_come_from_the_attached_video(x, state, credentials):
    video = state.add_tweet(ME["id"], "Video", media_keys=["7_1001"])
    photo = state.add_tweet(ME["id"], "Foto", media_keys=["3_1002"])
    state.media_views["7_1001"] = 4321
    by_id = {m.network_post_id: m for m in await x.fetch_metrics(credentials, [video.id, photo.id])}
    assert by_id[video.id].video_views == 4321
    assert by_id[photo.id].video_views is None
    assert by_id[video.id].watch_time_s is None  # X reports no watch time
    [lookup] = state.recorded("GET", "/2/tweets")
    assert lookup.query["expansions"] == "attachments.media_keys"


async def test_metrics_batch_100_ids_a_lookup_and_skip_deleted_posts(x, state, credentials):
    tweets = [state.add_tweet(ME["id"], f"Post {index}") for index in range(118)]
    ids = [tweet.id for tweet in tweets] + ["1", "2"]  # two posts deleted since
    metrics = await x.fetch_metrics(credentials, ids)
    assert {m.network_post_id for m in metrics} == {tweet.id for tweet in tweets}
    lookups = state.recorded("GET", "/2/tweets")
    assert [len(r.query["ids"].split(",")) for r in lookups] == [100, 20]
