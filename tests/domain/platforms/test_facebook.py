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
from domain.platforms.facebook.provider import FacebookProvider, FacebookSettings, provider
from domain.platforms.registry import is_available
from tests.domain.platforms.fakes.facebook import (
    CLIENT_ID,
    PAGE_ID,
    PAGE_TOKEN,
    USER_TOKEN,
    FacebookState,
    FakePost,
    create_app,
)
from tests.domain.platforms.fakes.graph import APP_SECRET
from tests.domain.platforms.fakes.transport import fake_client

SETTINGS = FacebookSettings(
    api_base="http://graph.test",
    auth_base="http://www.facebook.test",
    client_id=CLIENT_ID,
    client_secret=APP_SECRET,
)
IMAGE = MediaItem("IMAGE", "https://cdn.kelola.test/a.jpg", "image/jpeg", "A latte")
IMAGE_2 = MediaItem("IMAGE", "https://cdn.kelola.test/b.jpg", "image/jpeg")
VIDEO = MediaItem("VIDEO", "https://cdn.kelola.test/v.mp4", "video/mp4")


@pytest.fixture
def fake() -> FacebookState:
    return FacebookState()


@pytest.fixture
async def facebook(fake):
    async with fake_client(create_app(fake), refuse=lambda: fake.refuse) as client:
        yield FacebookProvider(client, SETTINGS)


@pytest.fixture
def page() -> Credentials:
    return Credentials(access_token=PAGE_TOKEN, extra={"page_id": PAGE_ID})


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_registry_finds_the_adapter():
    assert is_available(Platform.FACEBOOK)
    assert isinstance(provider(), FacebookProvider)


def test_oauth_is_facebook_login_without_pkce(facebook):
    endpoints = facebook.oauth_endpoints({})
    assert endpoints.authorize_url == "http://www.facebook.test/v25.0/dialog/oauth"
    assert endpoints.token_url == "http://graph.test/v25.0/oauth/access_token"
    assert {"pages_manage_posts", "pages_show_list", "read_insights"} <= set(endpoints.scopes)
    assert (endpoints.client_id, endpoints.client_secret) == (CLIENT_ID, APP_SECRET)
    assert endpoints.token_endpoint_auth_method == "client_secret_post"
    assert endpoints.uses_pkce is False


def test_capabilities_exclude_what_the_api_lacks(facebook):
    assert Capability.MENTIONS not in facebook.capabilities
    assert Capability.REFRESH_TOKEN not in facebook.capabilities
    assert Capability.FIND_POST in facebook.capabilities


async def test_list_pages_exchanges_for_a_long_lived_token(facebook, fake):
    pages = await facebook.list_pages(Credentials(access_token=USER_TOKEN))
    assert [(account.external_id, account.handle) for account, _ in pages] == [
        (PAGE_ID, "kopikita")
    ]  # the second Page only grants ANALYZE: nothing to publish with
    _, credentials = pages[0]
    assert credentials.access_token == PAGE_TOKEN
    assert credentials.extra == {"page_id": PAGE_ID} and credentials.expires_at is None
    exchange = fake.seen("POST", "oauth/access_token")[0]
    assert exchange.form["grant_type"] == "fb_exchange_token" and not exchange.params
    assert len(fake.seen("GET", "me/accounts")) == 2  # followed paging.next
    assert all("access_token" not in seen.params for seen in fake.requests)


async def test_fetch_account(facebook, page):
    account = await facebook.fetch_account(page)
    assert (account.external_id, account.name, account.handle) == (PAGE_ID, "Kopi Kita", "kopikita")


async def test_missing_page_id_needs_reconnection(facebook):
    with pytest.raises(AuthExpired):
        await facebook.fetch_account(Credentials(access_token=PAGE_TOKEN))


async def test_publish_text_with_link(facebook, fake, page):
    published = await facebook.publish(
        page, PublishRequest("kelola-target-1", "Fresh roast today", link="https://kopi.test")
    )
    [post] = fake.posts.values()
    assert published.network_post_id == post.id
    assert published.url == f"https://www.facebook.com/{post.id}"
    assert (post.message, post.link) == ("Fresh roast today", "https://kopi.test")
    [seen] = fake.seen("POST", f"{PAGE_ID}/feed")
    assert seen.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert "appsecret_proof" in seen.params and "access_token" not in seen.params


async def test_publish_photos_stages_them_unpublished_and_adds_the_first_comment(
    facebook, fake, page
):
    request = PublishRequest(
        "kelola-target-2",
        "Two cups",
        media=(IMAGE, IMAGE_2),
        link="https://kopi.test/menu",
        first_comment="Order at the counter",
    )
    published = await facebook.publish(page, request)
    assert [p["published"] for p in fake.photos.values()] == ["false", "false"]
    assert fake.seen("POST", "photos")[0].form["alt_text_custom"] == "A latte"
    post = fake.posts[published.network_post_id]
    assert post.media == list(fake.photos) and post.link is None
    assert post.message == "Two cups\n\nhttps://kopi.test/menu"
    [comment] = fake.comments.values()
    assert (comment.target, comment.message) == (post.id, "Order at the counter")


async def test_a_failing_first_comment_does_not_fail_the_post(facebook, fake, page):
    fake.fail("invalid", method="POST", path="comments")
    request = PublishRequest("t", "Hello", first_comment="First!")
    published = await facebook.publish(page, request)
    assert published.network_post_id in fake.posts and not fake.comments


async def test_publish_video(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Pour over", media=(VIDEO,)))
    [post] = fake.posts.values()
    assert post.kind == "video" and post.message == "Pour over"
    assert post.id.endswith(published.network_post_id)
    assert fake.seen("POST", "videos")[0].form["file_url"] == VIDEO.url


async def test_mixed_media_is_rejected_before_sending(facebook, fake, page):
    with pytest.raises(Rejected):
        await facebook.publish(page, PublishRequest("t", "x", media=(IMAGE, VIDEO)))
    assert fake.requests == []


async def test_validation_error_is_rejected_with_the_networks_message(facebook, fake, page):
    fake.fail("invalid", method="POST", path="photos")
    with pytest.raises(Rejected, match="image URL could not be downloaded"):
        await facebook.publish(page, PublishRequest("t", "x", media=(IMAGE,)))
    assert not fake.posts


async def test_duplicate_status_is_rejected(facebook, fake, page):
    await facebook.publish(page, PublishRequest("t1", "Same words"))
    with pytest.raises(Rejected, match="506"):
        await facebook.publish(page, PublishRequest("t2", "Same words"))
    assert len(fake.posts) == 1


@pytest.mark.parametrize("mode", ["expired", "invalid_token"])
async def test_token_errors_are_auth_expired(facebook, fake, page, mode):
    fake.fail(mode)
    with pytest.raises(AuthExpired) as raised:
        await facebook.publish(page, PublishRequest("t", "Hi"))
    assert PAGE_TOKEN not in str(raised.value)
    assert not fake.posts


async def test_unknown_token_is_auth_expired(facebook, fake):
    with pytest.raises(AuthExpired):
        await facebook.fetch_account(Credentials("EAAG-revoked", extra={"page_id": PAGE_ID}))


async def test_throttling_error_waits_for_metas_estimate(facebook, fake, page):
    fake.fail("rate_limit", times=1)
    with pytest.raises(RateLimited) as raised:
        await facebook.publish(page, PublishRequest("t", "Hi"))
    expected = datetime.now(UTC) + timedelta(minutes=fake.regain_minutes)
    assert abs((raised.value.retry_at - expected).total_seconds()) < 5
    with pytest.raises(RateLimited):  # remembered: nothing is sent until then
        await facebook.fetch_account(page)
    assert len(fake.requests) == 1


async def test_policy_block_backs_off_for_long(facebook, fake, page):
    fake.fail("blocked")
    with pytest.raises(RateLimited) as raised:
        await facebook.publish(page, PublishRequest("t", "Hi"))
    assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=50)


async def test_high_app_usage_stops_further_calls(facebook, fake, page):
    fake.app_usage = {"call_count": 95, "total_cputime": 20, "total_time": 40}
    await facebook.fetch_account(page)  # the answer that reports the usage still counts
    with pytest.raises(RateLimited) as raised:
        await facebook.publish(page, PublishRequest("t", "Hi"))
    assert raised.value.retry_at > datetime.now(UTC) + timedelta(minutes=9)
    assert len(fake.requests) == 1 and not fake.posts


async def test_server_error_on_a_read_is_transient(facebook, fake, page):
    fake.fail("unavailable", method="GET")
    with pytest.raises(TransientBeforeSend):
        await facebook.fetch_account(page)


async def test_refused_connection_is_transient_before_send(facebook, fake, page):
    fake.refuse = True
    with pytest.raises(TransientBeforeSend):
        await facebook.publish(page, PublishRequest("t", "Hi"))
    assert not fake.posts


async def test_timeout_while_staging_a_photo_is_safe_to_retry(facebook, fake, page):
    fake.fail("slow", method="POST", path="photos", times=1)
    with pytest.raises(TransientBeforeSend):
        await facebook.publish(page, PublishRequest("t", "Hi", media=(IMAGE,)))
    assert not fake.posts


@pytest.mark.parametrize("mode", ["server_error", "slow"])
async def test_ambiguous_failure_then_find_published_finds_the_one_post(facebook, fake, page, mode):
    fake.fail(mode, method="POST", path=f"{PAGE_ID}/feed", times=1)
    request = PublishRequest("kelola-target-7", "Grand opening!", link="https://kopi.test")
    with pytest.raises(Ambiguous):
        await facebook.publish(page, request)
    assert len(fake.posts) == 1  # the network stored it before failing
    found = await facebook.find_published(page, request, an_hour_ago())
    [post] = fake.posts.values()
    assert found is not None and found.network_post_id == post.id
    assert found.url.startswith("https://www.facebook.com/")


async def test_find_published_ignores_other_text_and_older_posts(facebook, fake, page):
    await facebook.publish(page, PublishRequest("a", "Something else"))
    request = PublishRequest("b", "Not posted")
    assert await facebook.find_published(page, request, an_hour_ago()) is None
    await facebook.publish(page, request)
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await facebook.find_published(page, request, later) is None


async def test_find_published_follows_pages_of_the_feed(facebook, fake, page):
    target = PublishRequest("t0", "The first one")
    await facebook.publish(page, target)
    for index in range(120):
        await facebook.publish(page, PublishRequest(f"t{index + 1}", f"Post {index}"))
    found = await facebook.find_published(page, target, an_hour_ago())
    assert found is not None and fake.posts[found.network_post_id].message == "The first one"
    assert len(fake.seen("GET", "feed")) == 2


async def test_metrics(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Metrics please"))
    post_id = published.network_post_id
    fake.insights[post_id] = {
        "post_media_view": 340,
        "post_total_media_view_unique": 210,
        "post_clicks": 12,
    }
    fake.reactions[post_id] = 9
    fake.add_comment(post_id, "Nice", "Ana")
    [metrics] = await facebook.fetch_metrics(page, [post_id])
    assert (metrics.impressions, metrics.reach, metrics.clicks) == (340, 210, 12)
    assert (metrics.likes, metrics.comments, metrics.shares) == (9, 1, 0)
    assert metrics.saves is None and metrics.video_views is None


async def test_metrics_without_insights_are_none_not_zero(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Small page"))
    fake.insights_available = False
    [metrics] = await facebook.fetch_metrics(page, [published.network_post_id])
    assert metrics.impressions is None and metrics.reach is None and metrics.clicks is None
    assert metrics.likes == 0


async def test_interactions_are_comments_since(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Talk to us"))
    old = fake.add_comment(published.network_post_id, "Old news", "Budi", minutes_ago=120)
    new = fake.add_comment(published.network_post_id, "Love it", "Citra", minutes_ago=2)
    answer = fake.add_comment(new.id, "Me too", "Dewi")
    fake.add_comment(new.id, "Thank you!", "Kopi Kita")  # the Page itself: not an interaction
    interactions = await facebook.fetch_interactions(page, an_hour_ago())
    assert [i.network_id for i in interactions] == [new.id, answer.id]
    assert interactions[0].in_reply_to == published.network_post_id
    assert interactions[1].in_reply_to == new.id
    assert (interactions[0].author_handle, interactions[0].text) == ("Citra", "Love it")
    assert interactions[0].author_followers is None
    assert old.id not in {i.network_id for i in interactions}


async def test_reply(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Ask us"))
    question = fake.add_comment(published.network_post_id, "Open late?", "Eka")
    reply_id = await facebook.reply(page, question.id, "Until 10pm")
    assert fake.comments[reply_id].parent == question.id
    assert fake.comments[reply_id].message == "Until 10pm"


async def test_mentions_and_refresh_are_unsupported(facebook, page):
    with pytest.raises(Unsupported):
        await facebook.search_mentions(page, ["kopi"], an_hour_ago())
    with pytest.raises(Unsupported):
        await facebook.refresh_token(page)


def add_posts(fake, count: int, **options) -> list[str]:
    posts = [
        FakePost(f"{PAGE_ID}_{fake.next_id()}", f"Post {index}", datetime.now(UTC), **options)
        for index in range(count)
    ]
    fake.posts |= {post.id: post for post in posts}
    return [post.id for post in posts]


async def test_channel_metrics_read_followers_and_the_latest_days_page_views(facebook, fake, page):
    today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    fake.page_views = [(today - timedelta(days=1), 41), (today, 57)]
    audience = await facebook.fetch_channel_metrics(page)
    assert (audience.followers, audience.profile_views) == (1534, 57)
    [insights] = fake.seen("GET", f"{PAGE_ID}/insights")
    assert (insights.params["metric"], insights.params["period"]) == ("page_views_total", "day")


async def test_refused_page_insights_leave_profile_views_none(facebook, fake, page):
    fake.page_insights_available = False
    audience = await facebook.fetch_channel_metrics(page)
    assert (audience.followers, audience.profile_views) == (1534, None)


async def test_no_page_views_reported_yet_is_none_not_zero(facebook, fake, page):
    assert (await facebook.fetch_channel_metrics(page)).profile_views is None


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(facebook, fake, page, mode, error):
    fake.fail(mode, method="GET", path=PAGE_ID)
    with pytest.raises(error) as raised:
        await facebook.fetch_channel_metrics(page)
    if mode == "rate_limit":
        expected = datetime.now(UTC) + timedelta(minutes=fake.regain_minutes)
        assert abs((raised.value.retry_at - expected).total_seconds()) < 5


async def test_metrics_use_the_multiple_id_read_fifty_at_a_time(facebook, fake, page):
    ids = add_posts(fake, 118)
    for index, post_id in enumerate(ids):
        fake.insights[post_id] = {"post_media_view": index, "post_clicks": 1}
        fake.reactions[post_id] = index
    gone = [f"{PAGE_ID}_404", f"{PAGE_ID}_410"]  # deleted since publishing
    metrics = await facebook.fetch_metrics(page, ids + gone)
    assert [m.network_post_id for m in metrics] == ids
    assert [(m.impressions, m.likes) for m in metrics] == [(i, i) for i in range(118)]
    reads = fake.seen("GET", "")
    reads = [r for r in reads if r.path == ""]
    # 50 + 50 + 20, the last refused for naming the deleted posts and read again without
    assert [len(r.params["ids"].split(",")) for r in reads] == [50, 50, 20, 18]
    assert "insights.metric(post_media_view" in reads[0].params["fields"]
    assert not fake.seen("GET", "/insights")


async def test_watch_time_of_video_posts_in_seconds(facebook, fake, page):
    [video_post] = add_posts(fake, 1, kind="video")
    [status] = add_posts(fake, 1)
    fake.insights[video_post] = {
        "post_media_view": 900,
        "post_video_views": 310,
        "post_video_view_time": 45_600,
    }
    fake.insights[status] = {"post_media_view": 100}
    by_id = {m.network_post_id: m for m in await facebook.fetch_metrics(page, [video_post, status])}
    assert (by_id[video_post].video_views, by_id[video_post].watch_time_s) == (310, 46)
    assert by_id[video_post].impressions == 900
    assert by_id[status].video_views is None and by_id[status].watch_time_s is None


async def test_watch_time_of_videos_published_through_the_videos_edge(facebook, fake, page):
    published = await facebook.publish(page, PublishRequest("t", "Pour over", media=(VIDEO,)))
    video_id = published.network_post_id
    fake.video_insights[video_id] = {"total_video_views": 120, "total_video_view_total_time": 9_400}
    fake.reactions[fake.videos[video_id]] = 6
    [metrics] = await facebook.fetch_metrics(page, [video_id])
    assert (metrics.video_views, metrics.watch_time_s, metrics.likes) == (120, 9, 6)
    assert metrics.impressions is None and metrics.shares is None


async def test_retired_video_metrics_leave_the_rest(facebook, fake, page):
    [video_post] = add_posts(fake, 1, kind="video")
    fake.insights[video_post] = {"post_media_view": 900, "post_video_view_time": 5_000}
    fake.retired_metrics = {"post_video_view_time"}
    [metrics] = await facebook.fetch_metrics(page, [video_post])
    assert metrics.impressions == 900
    assert metrics.video_views is None and metrics.watch_time_s is None


async def test_a_batch_whose_insights_are_refused_reads_them_post_by_post(facebook, fake, page):
    ids = add_posts(fake, 3)
    fake.insights[ids[0]] = {"post_media_view": 70}
    fake.retired_metrics = {"post_clicks"}  # refuses the batch's insights (and each post's)
    metrics = await facebook.fetch_metrics(page, ids)
    assert [m.network_post_id for m in metrics] == ids
    assert all(m.impressions is None and m.likes == 0 for m in metrics)
    assert len(fake.seen("GET", "/insights")) == 3
