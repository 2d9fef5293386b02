import base64
from datetime import UTC, datetime, timedelta

import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    Capability,
    Credentials,
    MediaItem,
    Platform,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
    Unsupported,
)
from domain.platforms.pinterest.provider import (
    PinterestProvider,
    PinterestSettings,
    provider,
)
from domain.platforms.pinterest.video import VideoPolicy
from domain.platforms.registry import is_available
from tests.domain.platforms.fakes.pinterest import (
    BOARD_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_BOARD_ID,
    REFRESH_TOKEN,
    RESET_S,
    TOKEN,
    UPLOAD_HOST,
    PinterestState,
    create_app,
)
from tests.domain.platforms.fakes.transport import fake_client

SETTINGS = PinterestSettings(
    api_base="http://api.pinterest.test/v5",
    authorize_url="http://www.pinterest.test/oauth/",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
)
IMAGE = MediaItem("IMAGE", "https://cdn.kelola.test/a.jpg", "image/jpeg", "Iced latte")
IMAGE_2 = MediaItem("IMAGE", "https://cdn.kelola.test/b.jpg", "image/jpeg")
VIDEO = MediaItem("VIDEO", "https://cdn.kelola.test/v.mp4", "video/mp4")


@pytest.fixture
def fake() -> PinterestState:
    return PinterestState()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def pinterest(fake, sleeps):
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with fake_client(create_app(fake), refuse=lambda: fake.refuse) as client:
        yield PinterestProvider(client, SETTINGS, VideoPolicy(5.0, 3, sleep))


@pytest.fixture
def channel() -> Credentials:
    return Credentials(TOKEN, REFRESH_TOKEN, extra={"board_id": BOARD_ID})


def pin_request(reference: str = "kelola-target-1", text: str = "Iced latte season", **extra):
    options = {"media": (IMAGE,), "link": "https://kopi.test", "title": "Iced latte"}
    options.update(extra)
    return PublishRequest(reference, text, **options)


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_registry_finds_the_adapter():
    assert is_available(Platform.PINTEREST)
    assert isinstance(provider(), PinterestProvider)


def test_oauth_endpoints(pinterest):
    endpoints = pinterest.oauth_endpoints({})
    assert endpoints.authorize_url == "http://www.pinterest.test/oauth/"
    assert endpoints.token_url == "http://api.pinterest.test/v5/oauth/token"
    assert set(endpoints.scopes) == {"boards:read", "pins:read", "pins:write", "user_accounts:read"}
    assert endpoints.token_endpoint_auth_method == "client_secret_basic"
    assert endpoints.uses_pkce is False and endpoints.client_secret == CLIENT_SECRET


def test_capabilities(pinterest):
    assert pinterest.capabilities == {
        Capability.PUBLISH,
        Capability.FIND_POST,
        Capability.METRICS,
        Capability.REFRESH_TOKEN,
    }


async def test_fetch_account_and_boards(pinterest, channel):
    account = await pinterest.fetch_account(channel)
    assert (account.external_id, account.name, account.handle) == (
        "1055599876543",
        "Kopi Kita",
        "kopikita",
    )
    boards = await pinterest.list_boards(channel)
    assert [(board.id, board.privacy) for board in boards] == [
        (BOARD_ID, "PUBLIC"),
        (OTHER_BOARD_ID, "SECRET"),
    ]


async def test_publish_pin(pinterest, fake, channel):
    published = await pinterest.publish(channel, pin_request(first_comment="ignored"))
    [pin] = fake.pins.values()
    assert published.network_post_id == pin["id"]
    assert published.url == f"https://www.pinterest.com/pin/{pin['id']}/"
    [seen] = fake.seen("POST", "/pins")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.json() == {
        "board_id": BOARD_ID,
        "note": "kelola-target-1",
        "title": "Iced latte",
        "description": "Iced latte season",
        "link": "https://kopi.test",
        "alt_text": "Iced latte",
        "media_source": {"source_type": "image_url", "url": IMAGE.url},
    }


async def test_several_images_make_a_carousel_pin(pinterest, fake, channel):
    await pinterest.publish(channel, pin_request(media=(IMAGE, IMAGE_2)))
    source = fake.seen("POST", "/pins")[0].json()["media_source"]
    assert source["source_type"] == "multiple_image_urls"
    assert [item["url"] for item in source["items"]] == [IMAGE.url, IMAGE_2.url]


async def test_video_pin_is_uploaded_then_pinned(pinterest, fake, channel, sleeps):
    published = await pinterest.publish(channel, pin_request(media=(VIDEO,)))
    [upload] = [seen for seen in fake.requests if seen.host == UPLOAD_HOST]
    assert upload.method == "POST" and "authorization" not in upload.headers
    assert b'name="policy"' in upload.body and b'name="file"' in upload.body
    [(media_id, state)] = fake.uploads.items()
    assert state["status"] == "succeeded" and sleeps == [5.0]
    source = fake.seen("POST", "/pins")[0].json()["media_source"]
    assert source == {
        "source_type": "video_id",
        "media_id": media_id,
        "cover_image_key_frame_time": 0,
    }
    assert fake.pins[published.network_post_id]["media"]["media_type"] == "video"


async def test_video_that_fails_processing_is_rejected(pinterest, fake, channel):
    fake.video_outcome = "failed"
    with pytest.raises(Rejected, match="could not be processed"):
        await pinterest.publish(channel, pin_request(media=(VIDEO,)))
    assert not fake.pins


async def test_video_still_processing_pins_nothing(pinterest, fake, channel):
    fake.video_polls = 10
    with pytest.raises(TransientBeforeSend):
        await pinterest.publish(channel, pin_request(media=(VIDEO,)))
    assert not fake.pins and not fake.seen("POST", "/pins")


@pytest.mark.parametrize(
    "request_",
    [
        pin_request(media=()),
        pin_request(media=(IMAGE, VIDEO)),
        pin_request(media=(VIDEO, VIDEO)),
        pin_request(title="t" * 101),
        pin_request(text="d" * 801),
        pin_request(link="https://kopi.test/" + "x" * 2048),
        pin_request(media=(IMAGE,) * 6),
    ],
)
async def test_what_pinterest_would_refuse_is_rejected_locally(pinterest, fake, channel, request_):
    with pytest.raises(Rejected):
        await pinterest.publish(channel, request_)
    assert fake.requests == []


async def test_channel_without_board_is_rejected(pinterest, fake):
    with pytest.raises(Rejected, match="board"):
        await pinterest.publish(Credentials(TOKEN), pin_request())


async def test_unfetchable_image_is_rejected_with_pinterests_message(pinterest, fake, channel):
    fake.fail("invalid", method="POST", path="/pins")
    with pytest.raises(Rejected, match="could not fetch the image"):
        await pinterest.publish(channel, pin_request())


async def test_expired_token(pinterest, fake, channel):
    fake.fail("expired")
    with pytest.raises(AuthExpired) as raised:
        await pinterest.publish(channel, pin_request())
    assert TOKEN not in str(raised.value)


async def test_rate_limit_uses_the_reset_header(pinterest, fake, channel):
    fake.fail("rate_limit")
    with pytest.raises(RateLimited) as raised:
        await pinterest.publish(channel, pin_request())
    wait = (raised.value.retry_at - datetime.now(UTC)).total_seconds()
    assert RESET_S - 3 <= wait <= RESET_S


async def test_forbidden_is_rejected(pinterest, fake, channel):
    fake.fail("forbidden")
    with pytest.raises(Rejected, match="not permitted"):
        await pinterest.publish(channel, pin_request())


async def test_transient_failures(pinterest, fake, channel):
    fake.refuse = True
    with pytest.raises(TransientBeforeSend):
        await pinterest.publish(channel, pin_request())
    fake.refuse = False
    fake.fail("unavailable", method="GET")
    with pytest.raises(TransientBeforeSend):
        await pinterest.fetch_account(channel)
    assert not fake.pins


@pytest.mark.parametrize("mode", ["server_error", "slow"])
async def test_ambiguous_then_find_published_by_note(pinterest, fake, channel, mode):
    fake.add_pin(BOARD_ID, "Iced latte season", note="kelola-target-0")  # same text, not ours
    fake.fail(mode, method="POST", path="/pins", times=1)
    request = pin_request("kelola-target-9")
    with pytest.raises(Ambiguous):
        await pinterest.publish(channel, request)
    ours = [pin for pin in fake.pins.values() if pin["note"] == "kelola-target-9"]
    assert len(ours) == 1
    found = await pinterest.find_published(channel, request, an_hour_ago())
    assert found is not None and found.network_post_id == ours[0]["id"]
    assert await pinterest.find_published(channel, pin_request("other"), an_hour_ago()) is None


async def test_find_published_follows_bookmarks_and_respects_since(pinterest, fake, channel):
    target = fake.add_pin(BOARD_ID, "x", note="kelola-target-5", age=timedelta(minutes=30))
    for index in range(150):
        fake.add_pin(BOARD_ID, f"filler {index}", note=f"other-{index}")
    request = pin_request("kelola-target-5")
    found = await pinterest.find_published(channel, request, an_hour_ago())
    assert found is not None and found.network_post_id == target["id"]
    assert fake.seen("GET", f"/boards/{BOARD_ID}/pins")[1].params["bookmark"] == "100"
    old = fake.add_pin(BOARD_ID, "y", note="kelola-target-6", age=timedelta(days=3))
    assert (
        old["id"]
        and await pinterest.find_published(channel, pin_request("kelola-target-6"), an_hour_ago())
        is None
    )


async def test_metrics(pinterest, fake, channel):
    published = await pinterest.publish(channel, pin_request())
    fake.analytics[published.network_post_id] = {
        "IMPRESSION": 900,
        "SAVE": 30,
        "PIN_CLICK": 50,
        "OUTBOUND_CLICK": 12,
        "TOTAL_REACTIONS": 8,
        "TOTAL_COMMENTS": 2,
    }
    [metrics] = await pinterest.fetch_metrics(channel, [published.network_post_id])
    assert (metrics.impressions, metrics.saves, metrics.clicks) == (900, 30, 12)
    assert (metrics.likes, metrics.comments) == (8, 2)
    assert metrics.reach is None and metrics.shares is None and metrics.video_views is None
    params = fake.seen("GET", "/pins/")[0].params
    assert params["metric_types"].split(",")[:2] == ["IMPRESSION", "SAVE"]


async def test_metrics_not_reported_yet_are_none(pinterest, fake, channel):
    published = await pinterest.publish(channel, pin_request())
    [metrics] = await pinterest.fetch_metrics(channel, [published.network_post_id])
    assert metrics.impressions is None and metrics.likes is None


async def test_refresh_with_basic_auth_and_rotation(pinterest, fake, channel):
    refreshed = await pinterest.refresh_token(channel)
    [seen] = fake.seen("POST", "/oauth/token")
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert seen.headers["authorization"] == f"Basic {basic}"
    assert refreshed.refresh_token == "pinr_AMA-rotated"
    assert refreshed.expires_at > datetime.now(UTC) + timedelta(days=29)
    assert refreshed.extra == channel.extra
    await pinterest.fetch_account(refreshed)
    with pytest.raises(AuthExpired):
        await pinterest.fetch_account(channel)


async def test_refresh_keeps_the_old_refresh_token_when_none_comes_back(pinterest, fake, channel):
    fake.continuous_refresh = False
    refreshed = await pinterest.refresh_token(channel)
    assert refreshed.refresh_token == REFRESH_TOKEN


async def test_refused_refresh_is_auth_expired(pinterest):
    with pytest.raises(AuthExpired):
        await pinterest.refresh_token(Credentials(TOKEN, "pinr_revoked"))


async def test_no_comments_replies_or_mentions(pinterest, channel):
    with pytest.raises(Unsupported):
        await pinterest.fetch_interactions(channel, an_hour_ago())
    with pytest.raises(Unsupported):
        await pinterest.reply(channel, "1", "hi")
    with pytest.raises(Unsupported):
        await pinterest.search_mentions(channel, ["kopi"], an_hour_ago())


async def test_channel_metrics_read_followers_and_the_latest_profile_visits(
    pinterest, fake, channel
):
    today = datetime.now(UTC).date()
    fake.profile_visits = {today - timedelta(days=2): 14, today - timedelta(days=1): 23}
    audience = await pinterest.fetch_channel_metrics(channel)
    assert (audience.followers, audience.profile_views) == (1200, 23)  # today: PROCESSING
    [analytics] = fake.seen("GET", "/user_account/analytics")
    assert analytics.params["end_date"] == today.isoformat()
    assert "metric_types" not in analytics.params  # PROFILE_VISIT comes with "all"


async def test_no_profile_visits_reported_is_none_not_zero(pinterest, fake, channel):
    assert (await pinterest.fetch_channel_metrics(channel)).profile_views is None
    fake.fail("forbidden", path="/user_account/analytics")  # e.g. not a business account
    audience = await pinterest.fetch_channel_metrics(channel)
    assert (audience.followers, audience.profile_views) == (1200, None)


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(pinterest, fake, channel, mode, error):
    fake.fail(mode, path="/user_account")
    with pytest.raises(error) as raised:
        await pinterest.fetch_channel_metrics(channel)
    if mode == "rate_limit":
        expected = datetime.now(UTC) + timedelta(seconds=RESET_S)
        assert abs((raised.value.retry_at - expected).total_seconds()) < 5


async def test_video_pins_report_views_and_watch_time(pinterest, fake, channel):
    video = await pinterest.publish(channel, pin_request("v", media=(VIDEO,)))
    image = await pinterest.publish(channel, pin_request("i"))
    for pin in (video, image):
        fake.analytics[pin.network_post_id] = {
            "IMPRESSION": 400,
            "VIDEO_MRC_VIEW": 150,
            "VIDEO_V50_WATCH_TIME": 361_500,
        }
    by_id = {
        m.network_post_id: m
        for m in await pinterest.fetch_metrics(
            channel, [video.network_post_id, image.network_post_id]
        )
    }
    assert (
        by_id[video.network_post_id].video_views,
        by_id[video.network_post_id].watch_time_s,
    ) == (
        150,
        362,
    )
    assert by_id[image.network_post_id].video_views is None
    assert by_id[image.network_post_id].watch_time_s is None


async def test_metrics_read_100_pins_a_call(pinterest, fake, channel):
    pins = [fake.add_pin(BOARD_ID, f"Pin {index}")["id"] for index in range(120)]
    for index, pin_id in enumerate(pins):
        fake.analytics[pin_id] = {"IMPRESSION": index}
    metrics = await pinterest.fetch_metrics(channel, pins)
    assert [(m.network_post_id, m.impressions) for m in metrics] == list(
        zip(pins, range(120), strict=True)
    )
    bulk = fake.seen("GET", "/pins/analytics")
    assert [len(call.params["pin_ids"].split(",")) for call in bulk] == [100, 20]
    assert len(fake.seen("GET", "/pins/")) == 2


async def test_without_the_multi_pin_beta_pins_are_read_one_by_one(pinterest, fake, channel):
    fake.bulk_analytics = False
    fake.refuse_video_types_on_images = True
    pins = [fake.add_pin(BOARD_ID, f"Pin {index}")["id"] for index in range(3)]
    fake.analytics[pins[0]] = {"IMPRESSION": 70, "SAVE": 4}
    metrics = await pinterest.fetch_metrics(channel, [*pins, "999999"])  # one pin deleted
    assert [(m.network_post_id, m.impressions) for m in metrics] == [
        (pins[0], 70),
        (pins[1], None),
        (pins[2], None),
    ]
    assert metrics[0].video_views is None and metrics[0].watch_time_s is None


async def test_an_expired_token_on_the_multi_pin_read_is_auth_expired(pinterest, fake, channel):
    fake.fail("expired", path="/pins/analytics")
    with pytest.raises(AuthExpired):
        await pinterest.fetch_metrics(channel, ["1"])
