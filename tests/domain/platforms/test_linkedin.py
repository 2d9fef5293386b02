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
from domain.platforms.linkedin.provider import LinkedInProvider, LinkedInSettings, provider
from domain.platforms.linkedin.text import from_commentary, to_commentary
from domain.platforms.registry import is_available
from tests.domain.platforms.fakes.linkedin import (
    CLIENT_ID,
    CLIENT_SECRET,
    IMAGE_BYTES,
    MEMBER,
    ORGANIZATION,
    REFRESH_TOKEN,
    TOKEN,
    VERSION,
    VIDEO_BYTES,
    LinkedInState,
    create_app,
)
from tests.domain.platforms.fakes.transport import fake_client

SETTINGS = LinkedInSettings(
    api_base="http://api.linkedin.test",
    auth_base="http://www.linkedin.test/oauth/v2",
    api_version=VERSION,
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
)
IMAGE = MediaItem("IMAGE", "https://cdn.kelola.test/media/a.jpg", "image/jpeg", "A flat white")
IMAGE_2 = MediaItem("IMAGE", "https://cdn.kelola.test/media/b.jpg", "image/jpeg")
VIDEO = MediaItem("VIDEO", "https://cdn.kelola.test/media/v.mp4", "video/mp4")


@pytest.fixture
def fake() -> LinkedInState:
    return LinkedInState()


@pytest.fixture
async def linkedin(fake):
    async with fake_client(create_app(fake), refuse=lambda: fake.refuse) as client:
        yield LinkedInProvider(client, SETTINGS)


@pytest.fixture
def member() -> Credentials:
    return Credentials(TOKEN, REFRESH_TOKEN, extra={"author_urn": MEMBER})


@pytest.fixture
def organization() -> Credentials:
    return Credentials(TOKEN, REFRESH_TOKEN, extra={"author_urn": ORGANIZATION})


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_registry_finds_the_adapter():
    assert is_available(Platform.LINKEDIN)
    assert isinstance(provider(), LinkedInProvider)


def test_oauth_endpoints(linkedin):
    member = linkedin.oauth_endpoints({})
    assert member.authorize_url == "http://www.linkedin.test/oauth/v2/authorization"
    assert member.token_url == "http://www.linkedin.test/oauth/v2/accessToken"
    assert member.scopes == ("openid", "profile", "w_member_social")
    assert (member.client_id, member.client_secret) == (CLIENT_ID, CLIENT_SECRET)
    assert member.token_endpoint_auth_method == "client_secret_post" and not member.uses_pkce
    pages = linkedin.oauth_endpoints({"kind": "ORGANIZATION"})
    assert {"w_organization_social", "r_organization_social"} <= set(pages.scopes)


def test_capabilities(linkedin):
    assert Capability.REFRESH_TOKEN in linkedin.capabilities
    assert Capability.MENTIONS not in linkedin.capabilities


def test_little_text_format_escapes_reserved_characters_and_keeps_hashtags():
    text = "Brewing (new) beans @ 10_am #coffee #Kopi2026 costs ~5 <3 [sic] a|b {x} *\\ c#d"
    commentary = to_commentary(text)
    assert commentary == (
        "Brewing \\(new\\) beans \\@ 10\\_am {hashtag|\\#|coffee} {hashtag|\\#|Kopi2026} "
        "costs \\~5 \\<3 \\[sic\\] a\\|b \\{x\\} \\*\\\\ c\\#d"
    )
    assert from_commentary(commentary) == text


async def test_fetch_account_member_and_organization(linkedin, member, organization):
    person = await linkedin.fetch_account(member)
    assert (person.external_id, person.name) == (MEMBER, "Ana Wijaya")
    page = await linkedin.fetch_account(organization)
    assert (page.external_id, page.name, page.handle) == (ORGANIZATION, "Kopi Kita", "kopi-kita")


async def test_list_organizations_keeps_pages_the_member_may_post_for(linkedin, member):
    [(page, credentials)] = await linkedin.list_organizations(member)
    assert page.external_id == ORGANIZATION
    assert credentials.extra["author_urn"] == ORGANIZATION
    assert credentials.refresh_token == REFRESH_TOKEN


async def test_publish_text_post(linkedin, fake, member):
    published = await linkedin.publish(member, PublishRequest("t1", "Hello (world) #kopi"))
    [post] = fake.posts.values()
    assert published.network_post_id == post["id"] and post["id"].startswith("urn:li:share:")
    assert published.url == f"https://www.linkedin.com/feed/update/{post['id']}/"
    assert post["commentary"] == "Hello \\(world\\) {hashtag|\\#|kopi}"
    assert post["visibility"] == "PUBLIC" and post["author"] == MEMBER
    assert post["distribution"]["feedDistribution"] == "MAIN_FEED"
    [seen] = fake.seen("POST", "/rest/posts")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["linkedin-version"] == VERSION
    assert seen.headers["x-restli-protocol-version"] == "2.0.0"


async def test_link_becomes_an_article(linkedin, fake, organization):
    request = PublishRequest("t", "Read this", link="https://kopi.test/blog", title="Our story")
    await linkedin.publish(organization, request)
    [post] = fake.posts.values()
    assert post["content"] == {
        "article": {"source": "https://kopi.test/blog", "title": "Our story"}
    }
    assert post["commentary"] == "Read this"


async def test_single_image_is_uploaded_then_posted_with_first_comment(
    linkedin, fake, organization
):
    request = PublishRequest(
        "t", "New cup", media=(IMAGE,), link="https://kopi.test", first_comment="Try it"
    )
    published = await linkedin.publish(organization, request)
    [upload] = [path for path in fake.uploads if path.startswith("/dms-uploads/")]
    assert fake.uploads[upload] == IMAGE_BYTES
    post = fake.posts[published.network_post_id]
    image_urn = upload.removeprefix("/dms-uploads/")
    assert post["content"] == {"media": {"id": image_urn, "altText": "A flat white"}}
    assert post["commentary"] == "New cup\n\nhttps://kopi.test"
    init = fake.seen("POST", "/rest/images")[0]
    assert init.json() == {"initializeUploadRequest": {"owner": ORGANIZATION}}
    [comment] = fake.comments.values()
    assert (comment["object"], comment["actor"]) == (post["id"], ORGANIZATION)
    assert "%3A" in fake.seen("POST", "/rest/socialActions")[0].raw_path


async def test_several_images_are_a_multi_image_post(linkedin, fake, member):
    published = await linkedin.publish(member, PublishRequest("t", "Two", media=(IMAGE, IMAGE_2)))
    content = fake.posts[published.network_post_id]["content"]
    assert len(content["multiImage"]["images"]) == 2
    assert published.network_post_id.startswith("urn:li:ugcPost:")


async def test_video_is_uploaded_in_parts_and_finalized(linkedin, fake, member):
    published = await linkedin.publish(
        member, PublishRequest("t", "Watch", media=(VIDEO,), title="Pour")
    )
    video_urn = fake.posts[published.network_post_id]["content"]["media"]["id"]
    parts = [path for path in fake.uploads if path.startswith(f"/dms-uploads/{video_urn}/")]
    assert b"".join(fake.uploads[path] for path in parts) == VIDEO_BYTES
    finalize = fake.seen("POST", "/rest/videos")[-1].json()["finalizeUploadRequest"]
    assert finalize["video"] == video_urn and len(finalize["uploadedPartIds"]) == len(parts)


async def test_unreachable_media_is_rejected(linkedin, fake, member):
    missing = MediaItem("IMAGE", "https://cdn.kelola.test/media/missing.jpg", "image/jpeg")
    with pytest.raises(Rejected, match="cannot be fetched"):
        await linkedin.publish(member, PublishRequest("t", "x", media=(missing,)))
    assert not fake.posts


async def test_validation_errors_are_rejected(linkedin, fake, member):
    with pytest.raises(Rejected):
        await linkedin.publish(member, PublishRequest("t", "x" * 3001))
    fake.fail("invalid", method="POST", path="/rest/posts")
    with pytest.raises(Rejected, match="maximum length"):
        await linkedin.publish(member, PublishRequest("t", "fine"))
    assert not fake.posts


async def test_duplicate_content_is_rejected(linkedin, fake, member):
    await linkedin.publish(member, PublishRequest("t1", "Same"))
    with pytest.raises(Rejected, match="duplicate"):
        await linkedin.publish(member, PublishRequest("t2", "Same"))


async def test_expired_token(linkedin, fake, member):
    fake.fail("expired")
    with pytest.raises(AuthExpired) as raised:
        await linkedin.publish(member, PublishRequest("t", "x"))
    assert TOKEN not in str(raised.value)


async def test_throttled_without_reset_headers_waits_a_minute(linkedin, fake, member):
    fake.fail("rate_limit")
    with pytest.raises(RateLimited) as raised:
        await linkedin.publish(member, PublishRequest("t", "x"))
    wait = (raised.value.retry_at - datetime.now(UTC)).total_seconds()
    assert 55 <= wait <= 61


async def test_forbidden_read_is_rejected(linkedin, fake, member):
    fake.fail("forbidden", method="GET", path="/rest/posts")
    with pytest.raises(Rejected, match="Not enough permissions"):
        await linkedin.find_published(member, PublishRequest("t", "x"), an_hour_ago())


async def test_refused_connection_and_unavailable_reads_are_transient(linkedin, fake, member):
    fake.refuse = True
    with pytest.raises(TransientBeforeSend):
        await linkedin.publish(member, PublishRequest("t", "x"))
    fake.refuse = False
    fake.fail("unavailable", method="GET")
    with pytest.raises(TransientBeforeSend):
        await linkedin.fetch_metrics(member, ["urn:li:share:1"])


async def test_timeout_during_upload_is_safe_to_retry(linkedin, fake, member):
    fake.fail("slow", method="PUT", times=1)
    with pytest.raises(TransientBeforeSend):
        await linkedin.publish(member, PublishRequest("t", "x", media=(IMAGE,)))
    assert not fake.posts


@pytest.mark.parametrize("mode", ["server_error", "slow"])
async def test_ambiguous_then_find_published(linkedin, fake, organization, mode):
    fake.fail(mode, method="POST", path="/rest/posts", times=1)
    request = PublishRequest("kelola-target-4", "Launch day (finally) #kopi")
    with pytest.raises(Ambiguous):
        await linkedin.publish(organization, request)
    [post] = fake.posts.values()
    found = await linkedin.find_published(organization, request, an_hour_ago())
    assert found is not None and found.network_post_id == post["id"]
    assert (
        await linkedin.find_published(organization, PublishRequest("x", "Other"), an_hour_ago())
        is None
    )
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await linkedin.find_published(organization, request, later) is None
    finder = fake.seen("GET", "/rest/posts")[0]
    assert "author=urn%3Ali%3Aorganization%3A2414183" in finder.query
    assert finder.headers["x-restli-method"] == "FINDER"


async def test_organization_metrics_use_share_statistics(linkedin, fake, organization):
    share = (await linkedin.publish(organization, PublishRequest("t", "a"))).network_post_id
    fake.statistics[share] = {
        "uniqueImpressionsCount": 80,
        "shareCount": 2,
        "engagement": 0.05,
        "clickCount": 7,
        "likeCount": 11,
        "impressionCount": 120,
        "commentCount": 3,
    }
    [metrics] = await linkedin.fetch_metrics(organization, [share])
    assert (metrics.impressions, metrics.reach, metrics.clicks) == (120, 80, 7)
    assert (metrics.likes, metrics.comments, metrics.shares) == (11, 3, 2)
    assert metrics.saves is None and metrics.video_views is None
    assert (
        "shares=List(urn%3Ali%3Ashare%3A" in fake.seen("GET", "/rest/organizationalEntity")[0].query
    )


async def test_member_metrics_are_likes_and_comments_only(linkedin, fake, member):
    share = (await linkedin.publish(member, PublishRequest("t", "a"))).network_post_id
    fake.statistics[share] = {"likeCount": 5}
    fake.add_comment(share, "Nice", "urn:li:person:other")
    [metrics] = await linkedin.fetch_metrics(member, [share])
    assert (metrics.likes, metrics.comments) == (5, 1)
    assert metrics.impressions is None and metrics.reach is None and metrics.shares is None


async def test_interactions_and_replies(linkedin, fake, organization):
    share = (await linkedin.publish(organization, PublishRequest("t", "Ask"))).network_post_id
    fake.add_comment(share, "Old", "urn:li:person:a", minutes_ago=120)
    question = fake.add_comment(share, "Open Sunday?", "urn:li:person:b", minutes_ago=3)
    interactions = await linkedin.fetch_interactions(organization, an_hour_ago())
    assert [(i.network_id, i.in_reply_to) for i in interactions] == [
        (question["commentUrn"], share)
    ]
    assert (interactions[0].author_handle, interactions[0].text) == (
        "urn:li:person:b",
        "Open Sunday?",
    )
    reply = await linkedin.reply(organization, question["commentUrn"], "Yes, 8 to 4")
    stored = fake.comments[reply]
    assert stored["parentComment"] == question["commentUrn"] and stored["object"] == share
    sent = fake.seen("POST", "/rest/socialActions")[-1].json()
    assert sent["object"].startswith("urn:li:activity:") and sent["actor"] == ORGANIZATION


async def test_refresh_keeps_the_refresh_token_when_none_is_returned(linkedin, fake, member):
    refreshed = await linkedin.refresh_token(member)
    assert refreshed.access_token.startswith("AQX-refreshed-")
    assert refreshed.refresh_token == REFRESH_TOKEN
    assert refreshed.expires_at > datetime.now(UTC) + timedelta(days=59)
    assert refreshed.extra == member.extra
    fake.rotate_refresh_token = True
    again = await linkedin.refresh_token(member)
    assert again.refresh_token == "AQT-rotated"


async def test_refused_refresh_is_auth_expired(linkedin):
    with pytest.raises(AuthExpired):
        await linkedin.refresh_token(Credentials(TOKEN, "AQT-revoked"))
    with pytest.raises(AuthExpired):
        await linkedin.refresh_token(Credentials(TOKEN))


async def test_mentions_are_unsupported(linkedin, member):
    with pytest.raises(Unsupported):
        await linkedin.search_mentions(member, ["kopi"], an_hour_ago())


async def test_organization_channel_metrics(linkedin, fake, organization):
    today = datetime.now(UTC).date()
    fake.page_views = {today - timedelta(days=5): 99, today - timedelta(days=2): 31}
    fake.page_views[today - timedelta(days=1)] = 47  # today is not reported yet
    audience = await linkedin.fetch_channel_metrics(organization)
    assert (audience.followers, audience.profile_views) == (4210, 47)
    [size] = fake.seen("GET", "/rest/networkSizes/")
    assert size.raw_path == "/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183"
    assert "edgeType=COMPANY_FOLLOWED_BY_MEMBER" in size.query
    [statistics] = fake.seen("GET", "/rest/organizationPageStatistics")
    assert "timeGranularityType:DAY" in statistics.query


async def test_no_page_views_reported_is_none_not_zero(linkedin, fake, organization):
    audience = await linkedin.fetch_channel_metrics(organization)
    assert (audience.followers, audience.profile_views) == (4210, None)


async def test_member_channel_metrics(linkedin, fake, member):
    audience = await linkedin.fetch_channel_metrics(member)
    assert (audience.followers, audience.profile_views) == (None, None)  # scope not granted
    fake.member_followers = 812
    assert (await linkedin.fetch_channel_metrics(member)).followers == 812


@pytest.mark.parametrize(("mode", "error"), [("expired", AuthExpired), ("rate_limit", RateLimited)])
async def test_channel_metrics_failures_fall_in_their_class(
    linkedin, fake, organization, mode, error
):
    fake.fail(mode, method="GET", path=f"/rest/networkSizes/{ORGANIZATION}")
    with pytest.raises(error) as raised:
        await linkedin.fetch_channel_metrics(organization)
    if mode == "rate_limit":  # LinkedIn sends no reset header: the one-minute default
        assert raised.value.retry_at > datetime.now(UTC) + timedelta(seconds=50)


async def test_member_metrics_read_twenty_posts_a_call(linkedin, fake, member):
    shares = [
        (await linkedin.publish(member, PublishRequest(f"t{i}", f"Post {i}"))).network_post_id
        for i in range(41)
    ]
    for index, share in enumerate(shares):
        fake.statistics[share] = {"likeCount": index}
    gone = "urn:li:share:404"
    metrics = await linkedin.fetch_metrics(member, [*shares, gone])
    assert [(m.network_post_id, m.likes) for m in metrics] == [
        (share, index) for index, share in enumerate(shares)
    ]
    assert all(m.watch_time_s is None and m.video_views is None for m in metrics)
    batches = [s for s in fake.requests if s.path == "/rest/socialActions"]
    assert len(batches) == 3 and not fake.seen("GET", "/rest/socialActions/")
