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
from domain.platforms.facebook.settings import FacebookSettings
from domain.platforms.instagram.provider import InstagramProvider, provider
from domain.platforms.instagram.publishing import PollPolicy
from domain.platforms.registry import is_available
from tests.domain.platforms.fakes.facebook import (
    CLIENT_ID,
    IG_USER_ID,
    PAGE_ID,
    PAGE_TOKEN,
    USER_TOKEN,
)
from tests.domain.platforms.fakes.graph import APP_SECRET
from tests.domain.platforms.fakes.instagram import InstagramState, Media, create_app
from tests.domain.platforms.fakes.transport import fake_client

META = FacebookSettings(
    api_base="http://graph.test",
    auth_base="http://www.facebook.test",
    client_id=CLIENT_ID,
    client_secret=APP_SECRET,
)
IMAGE = MediaItem("IMAGE", "https://cdn.kelola.test/a.jpg", "image/jpeg", "Latte art")
IMAGE_2 = MediaItem("IMAGE", "https://cdn.kelola.test/b.jpg", "image/jpeg")
VIDEO = MediaItem("VIDEO", "https://cdn.kelola.test/v.mp4", "video/mp4")


@pytest.fixture
def fake() -> InstagramState:
    return InstagramState()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def instagram(fake, sleeps):
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with fake_client(create_app(fake), refuse=lambda: fake.refuse) as client:
        yield InstagramProvider(client, facebook=META, poll=PollPolicy(5.0, 4, sleep))


@pytest.fixture
def account() -> Credentials:
    return Credentials(PAGE_TOKEN, extra={"ig_user_id": IG_USER_ID, "page_id": PAGE_ID})


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_registry_finds_the_adapter():
    assert is_available(Platform.INSTAGRAM)
    assert isinstance(provider(), InstagramProvider)


def test_oauth_is_facebook_login_with_instagram_scopes(instagram):
    endpoints = instagram.oauth_endpoints({})
    assert endpoints.authorize_url == "http://www.facebook.test/v25.0/dialog/oauth"
    assert endpoints.token_url == "http://graph.test/v25.0/oauth/access_token"
    assert {"instagram_basic", "instagram_content_publish", "pages_show_list"} <= set(
        endpoints.scopes
    )
    assert endpoints.client_id == CLIENT_ID and endpoints.uses_pkce is False


def test_capabilities(instagram):
    assert Capability.PUBLISH in instagram.capabilities
    assert Capability.MENTIONS not in instagram.capabilities
    assert Capability.REFRESH_TOKEN not in instagram.capabilities


async def test_list_accounts_reaches_instagram_through_the_page(instagram):
    [(found, credentials)] = await instagram.list_accounts(Credentials(USER_TOKEN))
    assert (found.external_id, found.handle) == (IG_USER_ID, "kopikita.id")
    assert credentials.access_token == PAGE_TOKEN
    assert credentials.extra == {"ig_user_id": IG_USER_ID, "page_id": PAGE_ID}


async def test_fetch_account(instagram, account):
    found = await instagram.fetch_account(account)
    assert (found.external_id, found.name, found.handle) == (IG_USER_ID, "Kopi Kita", "kopikita.id")


async def test_publish_single_image(instagram, fake, account):
    request = PublishRequest(
        "kelola-target-1",
        "Morning brew",
        media=(IMAGE,),
        link="https://kopi.test",
        first_comment="#coffee",
    )
    published = await instagram.publish(account, request)
    [container] = fake.containers.values()
    assert container.fields == {
        "image_url": IMAGE.url,
        "alt_text": "Latte art",
        "caption": "Morning brew\n\nhttps://kopi.test",
    }
    publish = fake.seen("POST", "media_publish")[0]
    assert publish.form == {"creation_id": container.id}
    assert publish.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    [media] = fake.media.values()
    assert published.network_post_id == media.id
    assert published.url.startswith("https://www.instagram.com/p/")
    assert [c.text for c in fake.comments.values()] == ["#coffee"]
    assert fake.quota_usage == 1


async def test_video_is_a_reel_polled_until_finished(instagram, fake, account, sleeps):
    await instagram.publish(account, PublishRequest("t", "Pour", media=(VIDEO,)))
    [container] = fake.containers.values()
    assert container.fields["media_type"] == "REELS"
    assert len(fake.seen("GET", container.id)) == 3  # IN_PROGRESS, IN_PROGRESS, FINISHED
    assert sleeps == [5.0, 5.0]
    assert len(fake.media) == 1


async def test_carousel(instagram, fake, account):
    request = PublishRequest("t", "Menu", media=(IMAGE, VIDEO, IMAGE_2))
    await instagram.publish(account, request)
    *children, album = fake.containers.values()
    assert all(child.fields["is_carousel_item"] == "true" for child in children)
    assert "caption" not in children[0].fields and "alt_text" not in children[0].fields
    assert children[1].fields["media_type"] == "VIDEO"
    assert album.fields["media_type"] == "CAROUSEL"
    assert album.fields["children"] == ",".join(child.id for child in children)
    assert album.fields["caption"] == "Menu"
    assert fake.seen("POST", "media_publish")[0].form["creation_id"] == album.id


async def test_container_error_is_rejected(instagram, fake, account):
    fake.container_outcome = "ERROR"
    with pytest.raises(Rejected, match="Media download has failed"):
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    assert not fake.media and not fake.seen("POST", "media_publish")


async def test_container_never_ready_publishes_nothing(instagram, fake, account):
    fake.video_polls = 10
    with pytest.raises(TransientBeforeSend):
        await instagram.publish(account, PublishRequest("t", "x", media=(VIDEO,)))
    assert not fake.media and not fake.seen("POST", "media_publish")


async def test_exhausted_quota_is_rate_limited_before_staging(instagram, fake, account):
    fake.quota_usage = 100
    with pytest.raises(RateLimited) as raised:
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=59)
    assert not fake.containers


async def test_text_only_and_oversized_posts_are_rejected_locally(instagram, fake, account):
    with pytest.raises(Rejected, match="at least one image"):
        await instagram.publish(account, PublishRequest("t", "Just words"))
    with pytest.raises(Rejected, match="2200"):
        await instagram.publish(account, PublishRequest("t", "x" * 2201, media=(IMAGE,)))
    assert fake.requests == []


async def test_invalid_media_is_rejected_with_the_networks_message(instagram, fake, account):
    fake.fail("invalid", method="POST", path=f"{IG_USER_ID}/media")
    with pytest.raises(Rejected, match="could not be downloaded"):
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))


async def test_expired_token(instagram, fake, account):
    fake.fail("expired")
    with pytest.raises(AuthExpired) as raised:
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    assert PAGE_TOKEN not in str(raised.value)


async def test_throttled_is_rate_limited(instagram, fake, account):
    fake.fail("rate_limit", method="POST", path=f"{IG_USER_ID}/media")
    with pytest.raises(RateLimited) as raised:
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=6)


async def test_server_error_on_a_read_while_publishing_is_transient(instagram, fake, account):
    fake.fail("unavailable", method="GET")
    with pytest.raises(TransientBeforeSend):
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    assert not fake.media


async def test_refused_connection(instagram, fake, account):
    fake.refuse = True
    with pytest.raises(TransientBeforeSend):
        await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))


@pytest.mark.parametrize("mode", ["server_error", "slow"])
async def test_ambiguous_publish_then_find_published(instagram, fake, account, mode):
    fake.fail(mode, method="POST", path="media_publish", times=1)
    request = PublishRequest("kelola-target-3", "New beans", media=(IMAGE,))
    with pytest.raises(Ambiguous):
        await instagram.publish(account, request)
    [media] = fake.media.values()
    found = await instagram.find_published(account, request, an_hour_ago())
    assert found is not None and found.network_post_id == media.id
    assert found.url.startswith("https://www.instagram.com/p/")
    other = PublishRequest("x", "Other caption", media=(IMAGE,))
    assert await instagram.find_published(account, other, an_hour_ago()) is None
    assert await instagram.find_published(account, request, datetime.now(UTC)) is None


async def test_metrics(instagram, fake, account):
    published = await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    fake.insights[published.network_post_id] = {
        "views": 500,
        "reach": 320,
        "likes": 41,
        "comments": 3,
        "shares": 2,
        "saved": 7,
    }
    [metrics] = await instagram.fetch_metrics(account, [published.network_post_id])
    assert (metrics.impressions, metrics.reach, metrics.likes) == (500, 320, 41)
    assert (metrics.comments, metrics.shares, metrics.saves) == (3, 2, 7)
    assert metrics.clicks is None and metrics.video_views is None


async def test_metrics_before_insights_exist_fall_back_to_counts(instagram, fake, account):
    published = await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    fake.media[published.network_post_id].like_count = 4
    [metrics] = await instagram.fetch_metrics(account, [published.network_post_id])
    assert (metrics.likes, metrics.comments) == (4, 0)
    assert metrics.impressions is None and metrics.reach is None and metrics.saves is None


async def test_interactions_and_reply(instagram, fake, account):
    published = await instagram.publish(account, PublishRequest("t", "x", media=(IMAGE,)))
    media_id = published.network_post_id
    fake.add_comment(media_id, "Too old", "budi", minutes_ago=90)
    question = fake.add_comment(media_id, "Where?", "citra", minutes_ago=2)
    answer = fake.add_comment(question.id, "Jalan Kopi 1", "dewi")
    interactions = await instagram.fetch_interactions(account, an_hour_ago())
    assert [(i.network_id, i.in_reply_to) for i in interactions] == [
        (question.id, media_id),
        (answer.id, question.id),
    ]
    assert interactions[0].author_handle == "citra" and interactions[0].kind == "COMMENT"
    reply_id = await instagram.reply(account, question.id, "Open daily")
    assert fake.comments[reply_id].parent == question.id
    again = await instagram.fetch_interactions(account, an_hour_ago())
    assert reply_id not in {i.network_id for i in again}  # our own reply


async def test_mentions_and_refresh_are_unsupported(instagram, account):
    with pytest.raises(Unsupported):
        await instagram.search_mentions(account, ["kopi"], an_hour_ago())
    with pytest.raises(Unsupported):
        await instagram.refresh_token(account)


def add_media(fake, count: int, *, reel: bool = False) -> list[str]:
    media = [
        Media(fake.next_id(), f"Post {index}", datetime.now(UTC), "container")
        for index in range(count)
    ]
    for item in media:
        if reel:
            item.media_type, item.product_type = "VIDEO", "REELS"
        fake.media[item.id] = item
    return [item.id for item in media]


async def test_channel_metrics_read_followers_and_todays_profile_views(instagram, fake, account):
    audience = await instagram.fetch_channel_metrics(account)
    assert (audience.followers, audience.profile_views) == (8800, 64)
    [insights] = fake.seen("GET", f"{IG_USER_ID}/insights")
    assert insights.params["metric"] == "profile_views"
    assert (insights.params["metric_type"], insights.params["period"]) == ("total_value", "day")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert int(insights.params["since"]) == int(midnight.timestamp())


async def test_a_retired_profile_views_metric_leaves_it_none(instagram, fake, account):
    fake.profile_views = None  # Meta answers "metric[0] must be one of ..."
    audience = await instagram.fetch_channel_metrics(account)
    assert (audience.followers, audience.profile_views) == (8800, None)


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(instagram, fake, account, mode, error):
    fake.fail(mode, method="GET", path=IG_USER_ID)
    with pytest.raises(error) as raised:
        await instagram.fetch_channel_metrics(account)
    if mode == "rate_limit":
        expected = datetime.now(UTC) + timedelta(minutes=fake.regain_minutes)
        assert abs((raised.value.retry_at - expected).total_seconds()) < 5


async def test_reel_watch_time_and_views(instagram, fake, account):
    published = await instagram.publish(account, PublishRequest("t", "Pour", media=(VIDEO,)))
    photo = await instagram.publish(account, PublishRequest("p", "Latte", media=(IMAGE,)))
    fake.insights[published.network_post_id] = {
        "views": 1800,
        "reach": 1200,
        "ig_reels_video_view_total_time": 7_265_400,
    }
    fake.insights[photo.network_post_id] = {"views": 500, "reach": 320}
    ids = [published.network_post_id, photo.network_post_id]
    reel, image = await instagram.fetch_metrics(account, ids)
    assert (reel.video_views, reel.watch_time_s, reel.impressions) == (1800, 7265, 1800)
    assert (image.impressions, image.video_views, image.watch_time_s) == (500, None, None)


async def test_metrics_use_the_multiple_id_read_fifty_at_a_time(instagram, fake, account):
    ids = add_media(fake, 100) + add_media(fake, 18, reel=True)
    for index, media_id in enumerate(ids):
        fake.insights[media_id] = {"views": index, "likes": index}
    gone = ["17900000009999999"]  # deleted since publishing
    metrics = await instagram.fetch_metrics(account, ids + gone)
    assert [(m.network_post_id, m.impressions) for m in metrics] == [
        (media_id, index) for index, media_id in enumerate(ids)
    ]
    reads = [r for r in fake.requests if r.method == "GET" and r.path == ""]
    counts = [(len(r.params["ids"].split(",")), "insights" in r.params["fields"]) for r in reads]
    # kinds then insights of 50, again; the last 18 reels plus the deleted id, refused
    # for naming it, read again without it; then the reels' insights
    assert counts == [(50, False), (50, True), (50, False), (50, True), (19, False)] + [
        (18, False),
        (18, True),
    ]
    assert not fake.seen("GET", "/insights")


async def test_a_batch_with_media_too_new_for_insights_asks_each_apart(instagram, fake, account):
    ids = add_media(fake, 3)
    fake.media[ids[1]].like_count = 4
    fake.insights[ids[0]] = {"views": 10}
    fake.insights[ids[2]] = {"views": 30}  # ids[1] has no insights yet: error 10
    metrics = await instagram.fetch_metrics(account, ids)
    assert [(m.impressions, m.likes) for m in metrics] == [(10, 0), (None, 4), (30, 0)]
    assert len(fake.seen("GET", "/insights")) == 3
