import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    MediaItem,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.bluesky import provider as bluesky_module
from domain.platforms.bluesky.provider import BlueskyProvider, BlueskySettings
from domain.platforms.bluesky.records import POST_COLLECTION, record_key
from tests.domain.platforms.fakes.bluesky import (
    APP_PASSWORD,
    FAN,
    ME,
    PDS,
    BlueskyFakeState,
    create_app,
)
from tests.domain.platforms.fakes.transport import fake_client

ENTRYWAY = "https://bsky.test"
MEDIA = "https://media.kelola.test/media"
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def state() -> BlueskyFakeState:
    return BlueskyFakeState()


@pytest.fixture
async def bluesky(state):
    client = fake_client(create_app(state), refuse=lambda: state.refuse_connections)
    yield BlueskyProvider(client, BlueskySettings(service=ENTRYWAY))
    await client.aclose()


@pytest.fixture
async def credentials(bluesky):
    _, credentials = await bluesky.connect_with_app_password(ME["handle"], APP_PASSWORD)
    return credentials


def created(state) -> list:
    return state.recorded("POST", CREATE)


async def test_connecting_with_an_app_password_opens_a_session_on_the_pds(bluesky, state):
    account, credentials = await bluesky.connect_with_app_password(
        "@kopi.bsky.social", APP_PASSWORD
    )
    assert (account.external_id, account.name, account.handle) == (
        ME["did"],
        "Kopi Kenangan",
        ME["handle"],
    )
    assert credentials.extra == {"did": ME["did"], "handle": ME["handle"], "pds": PDS}
    assert credentials.refresh_token
    assert abs(credentials.expires_at - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(
        minutes=1
    )
    assert state.hosts[0] == "bsky.test com.atproto.server.createSession"
    assert all(host.startswith("pds.bsky.test") for host in state.hosts[1:])


async def test_wrong_app_password_is_auth_expired(bluesky):
    with pytest.raises(AuthExpired, match="Invalid identifier or password"):
        await bluesky.connect_with_app_password(ME["handle"], "wrong")


def test_no_oauth_and_registry_entry_point(bluesky):
    assert bluesky.oauth_endpoints({}) is None
    assert isinstance(bluesky_module.provider(), BlueskyProvider)


def test_record_keys_are_stable_valid_tids():
    key = record_key("target:1")
    assert key == record_key("target:1") != record_key("target:2")
    assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", key)


async def test_publish_creates_a_post_under_the_reference_key(bluesky, state, credentials):
    text = "Halo @budi.bsky.social, café baru #kopi https://kopi.id/menu!"
    published = await bluesky.publish(credentials, PublishRequest("t:1", text))
    [sent] = created(state)
    assert sent.headers["authorization"] == f"Bearer {credentials.access_token}"
    assert (sent.body["repo"], sent.body["collection"]) == (ME["did"], POST_COLLECTION)
    assert sent.body["rkey"] == record_key("t:1")
    record = sent.body["record"]
    assert record["$type"] == POST_COLLECTION and record["text"] == text and record["createdAt"]
    raw = text.encode()
    spans = {
        f["features"][0]["$type"].rsplit("#", 1)[1]: raw[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ].decode()
        for f in record["facets"]
    }
    assert spans == {"mention": "@budi.bsky.social", "tag": "#kopi", "link": "https://kopi.id/menu"}
    mention = next(f for f in record["facets"] if "mention" in f["features"][0]["$type"])
    assert mention["features"][0]["did"] == FAN["did"]
    rkey = record_key("t:1")
    assert published.network_post_id == f"at://{ME['did']}/{POST_COLLECTION}/{rkey}"
    assert published.url == f"https://bsky.app/profile/{ME['handle']}/post/{rkey}"


async def test_a_link_alone_becomes_a_card(bluesky, state, credentials):
    request = PublishRequest("t:1", "Menu baru", link="https://kopi.id/m", title="Menu")
    await bluesky.publish(credentials, request)
    record = created(state)[0].body["record"]
    assert record["text"] == "Menu baru"
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": "https://kopi.id/m", "title": "Menu", "description": ""},
    }


async def test_images_are_uploaded_as_blobs_and_the_link_goes_into_the_text(
    bluesky, state, credentials
):
    image = MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png", alt_text="A cup")
    request = PublishRequest("t:1", "Foto", media=(image,), link="https://kopi.id/m")
    await bluesky.publish(credentials, request)
    [upload] = state.recorded("POST", "com.atproto.repo.uploadBlob")
    assert upload.headers["content-type"] == "image/png"
    record = created(state)[0].body["record"]
    assert record["text"] == "Foto\n\nhttps://kopi.id/m"
    [picture] = record["embed"]["images"]
    assert picture["alt"] == "A cup" and picture["image"]["ref"]["$link"] in state.blobs
    assert record["facets"][0]["features"][0]["uri"] == "https://kopi.id/m"


async def test_a_video_is_uploaded_as_a_blob_and_embedded(bluesky, state, credentials):
    video = MediaItem("VIDEO", f"{MEDIA}/clip.mp4", "video/mp4", alt_text="Barista")
    await bluesky.publish(credentials, PublishRequest("t:1", "Video", media=(video,)))
    [upload] = state.recorded("POST", "com.atproto.repo.uploadBlob")
    assert upload.headers["content-type"] == "video/mp4"
    embed = created(state)[0].body["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video" and embed["alt"] == "Barista"
    assert embed["video"]["mimeType"] == "video/mp4"


@pytest.mark.parametrize(
    "media",
    [
        (
            MediaItem("VIDEO", f"{MEDIA}/clip.mp4", "video/mp4"),
            MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png"),
        ),
        (MediaItem("IMAGE", f"{MEDIA}/huge.png", "image/png"),),
        (MediaItem("IMAGE", f"{MEDIA}/cup.png", "image/png"),) * 5,
    ],
)
async def test_impossible_media_is_rejected_before_posting(bluesky, state, credentials, media):
    with pytest.raises(Rejected):
        await bluesky.publish(credentials, PublishRequest("t:1", "x", media=media))
    assert state.own_posts() == []


@pytest.mark.parametrize(
    ("mode", "error", "stored"),
    [
        ("expired", AuthExpired, 0),
        ("rate_limit", RateLimited, 0),
        ("invalid", Rejected, 0),
        ("server_error", Ambiguous, 0),
        ("slow", Ambiguous, 0),
    ],
)
async def test_publish_failures_fall_in_their_class(
    bluesky, state, credentials, mode, error, stored
):
    state.fail(mode, on=(f"POST {CREATE}",))
    with pytest.raises(error):
        await bluesky.publish(credentials, PublishRequest("t:1", "Halo"))
    assert len(state.own_posts()) == stored


@pytest.mark.parametrize("mode", ["server_error_after", "slow_after"])
async def test_lost_answer_is_resolved_by_reading_the_record_back(
    bluesky, state, credentials, mode
):
    state.fail(mode, on=(f"POST {CREATE}",))
    published = await bluesky.publish(credentials, PublishRequest("t:1", "Halo"))
    [post] = state.own_posts()
    assert published.network_post_id == post["uri"]


async def test_rate_limit_reset_is_read_from_the_epoch_header(bluesky, state, credentials):
    state.fail("rate_limit", on=(f"POST {CREATE}",))
    with pytest.raises(RateLimited) as raised:
        await bluesky.publish(credentials, PublishRequest("t:1", "Halo"))
    expected = datetime.now(UTC) + timedelta(hours=1)
    assert abs(raised.value.retry_at - expected) < timedelta(seconds=5)


async def test_refused_connection_is_transient(bluesky, state, credentials):
    state.refuse_connections = True
    with pytest.raises(TransientBeforeSend):
        await bluesky.publish(credentials, PublishRequest("t:1", "Halo"))


async def test_find_published_after_ambiguous_failure_finds_the_one_post(
    bluesky, state, credentials
):
    request = PublishRequest("t:1", "Halo")
    state.fail("server_error_after", on=(f"POST {CREATE}",), times=1)
    state.fail("server_error", on=("GET com.atproto.repo.getRecord",), times=1)
    with pytest.raises(Ambiguous):
        await bluesky.publish(credentials, request)
    found = await bluesky.find_published(credentials, request, datetime.now(UTC))
    [post] = state.own_posts()
    assert found is not None and found.network_post_id == post["uri"]
    assert (
        await bluesky.find_published(credentials, PublishRequest("t:2", "x"), datetime.now(UTC))
        is None
    )
    # A blind retry addresses the same record key: still exactly one post.
    again = await bluesky.publish(credentials, request)
    assert again.network_post_id == post["uri"]
    assert len(state.own_posts()) == 1


async def test_first_comment_replies_under_its_own_key(bluesky, state, credentials):
    published = await bluesky.publish(
        credentials, PublishRequest("t:1", "Promo", first_comment="Syarat berlaku")
    )
    post, comment = created(state)
    reply = comment.body["record"]["reply"]
    assert reply["root"]["uri"] == reply["parent"]["uri"] == published.network_post_id
    assert comment.body["rkey"] == record_key("t:1:first-comment")


async def test_metrics_report_counts_and_none_for_the_rest(bluesky, state, credentials):
    post = state.add_post(ME, "Promo", likeCount=9, repostCount=2, quoteCount=1, replyCount=3)
    gone = f"at://{ME['did']}/{POST_COLLECTION}/3kzzzzzzzzzzz"
    [metrics] = await bluesky.fetch_metrics(credentials, [post["uri"], gone])
    assert (metrics.likes, metrics.shares, metrics.comments) == (9, 3, 3)
    assert metrics.impressions is None and metrics.reach is None and metrics.clicks is None


async def test_read_server_errors_are_transient(bluesky, state, credentials):
    state.fail("server_error", on=("GET app.bsky.feed.getPosts",))
    with pytest.raises(TransientBeforeSend):
        await bluesky.fetch_metrics(credentials, ["at://x/app.bsky.feed.post/y"])


async def test_interactions_come_from_reply_mention_and_quote_notifications(
    bluesky, state, credentials
):
    post = state.add_post(ME, "Promo")
    state.add_post(FAN, "Enak!", reply_to=post)
    state.add_post(FAN, "Ke @kopi.bsky.social yuk")
    state.add_post(FAN, "@kopi.bsky.social lama", created_at=datetime.now(UTC) - timedelta(days=2))
    found = await bluesky.fetch_interactions(credentials, datetime.now(UTC) - timedelta(hours=1))
    assert sorted((i.kind, i.text, i.in_reply_to) for i in found) == [
        ("COMMENT", "Enak!", post["uri"]),
        ("MENTION", "Ke @kopi.bsky.social yuk", None),
    ]
    assert {(i.author_handle, i.author_followers) for i in found} == {(FAN["handle"], 77)}
    [sent] = state.recorded("GET", "app.bsky.notification.listNotifications")
    assert sent.query["limit"] == "100"


async def test_reply_keeps_the_thread_root(bluesky, state, credentials):
    root = state.add_post(FAN, "Buka jam berapa?")
    middle = state.add_post(ME, "Jam 7", reply_to=root)
    question = state.add_post(FAN, "Sabtu juga?", reply_to=middle)
    uri = await bluesky.reply(credentials, question["uri"], "Ya, Sabtu juga")
    reply = created(state)[0].body["record"]["reply"]
    assert reply["parent"] == {"uri": question["uri"], "cid": question["cid"]}
    assert reply["root"] == {"uri": root["uri"], "cid": root["cid"]}
    assert uri.startswith(f"at://{ME['did']}/{POST_COLLECTION}/")


async def test_search_mentions_uses_search_posts(bluesky, state, credentials):
    state.add_post(FAN, "Kopi kenangan mantap")
    state.add_post(ME, "Kopi kenangan hari ini")
    state.add_post(FAN, "Teh saja")
    found = await bluesky.search_mentions(
        credentials, ["kenangan"], datetime.now(UTC) - timedelta(hours=1)
    )
    assert [(i.kind, i.text, i.author_followers) for i in found] == [
        ("MENTION", "Kopi kenangan mantap", 77)
    ]


async def test_expired_access_token_then_refresh(bluesky, state, credentials):
    state.fail("expired", on=("GET com.atproto.server.getSession",), times=1)
    with pytest.raises(AuthExpired):
        await bluesky.fetch_account(credentials)
    refreshed = await bluesky.refresh_token(credentials)
    [sent] = state.recorded("POST", "com.atproto.server.refreshSession")
    assert sent.headers["authorization"] == f"Bearer {credentials.refresh_token}"
    assert refreshed.access_token != credentials.access_token
    assert refreshed.refresh_token != credentials.refresh_token
    assert refreshed.extra["pds"] == PDS
    assert (await bluesky.fetch_account(refreshed)).external_id == ME["did"]
    with pytest.raises(AuthExpired):
        await bluesky.refresh_token(credentials)  # the old refresh token was rotated away


async def test_channel_metrics_read_followers_and_leave_profile_views_none(
    bluesky, state, credentials
):
    audience = await bluesky.fetch_channel_metrics(credentials)
    assert (audience.followers, audience.profile_views) == (3200, None)
    [sent] = [r for r in state.requests if r.path == "app.bsky.actor.getProfile"][-1:]
    assert sent.query["actor"] == ME["did"]


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(
    bluesky, state, credentials, mode, error
):
    state.fail(mode, on=("GET app.bsky.actor.getProfile",))
    with pytest.raises(error) as raised:
        await bluesky.fetch_channel_metrics(credentials)
    if mode == "rate_limit":
        assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=59)


async def test_missing_session_token_is_auth_expired(bluesky, state, credentials):
    credentials.access_token = "not-a-session"
    with pytest.raises(AuthExpired):  # the PDS answers 401 AuthMissing
        await bluesky.fetch_channel_metrics(credentials)


async def test_metrics_read_25_posts_a_call(bluesky, state, credentials):
    posts = [state.add_post(ME, f"Post {index}", likeCount=index) for index in range(119)]
    uris = [post["uri"] for post in posts] + [f"at://{ME['did']}/{POST_COLLECTION}/gone"]
    metrics = await bluesky.fetch_metrics(credentials, uris)
    assert {m.network_post_id: m.likes for m in metrics} == {
        post["uri"]: index for index, post in enumerate(posts)
    }
    assert all(m.video_views is None and m.watch_time_s is None for m in metrics)
    calls = [r for r in state.requests if r.path == "app.bsky.feed.getPosts"]
    assert len(calls) == 5
