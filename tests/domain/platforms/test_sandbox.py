import random
from datetime import UTC, datetime, timedelta

import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.sandbox.models import SandboxAccount, SandboxPost
from domain.platforms.sandbox.network import engagement, followers, profile_views
from domain.platforms.sandbox.provider import SandboxProvider


async def account(**overrides):
    options = {"followers": 10_000, "latency_ms": 0, "failure_rates": {}, "seed": 42}
    options.update(overrides)
    return await SandboxProvider.open_account("kopi", **options)


async def test_publish_assigns_ids_and_records_the_ledger():
    provider = SandboxProvider(random.Random(1))
    _, credentials = await account()
    published = await provider.publish(credentials, PublishRequest("target:1", "Hello"))
    assert published.network_post_id.startswith("sbx_")
    rows = await SandboxPost.all()
    assert [(row.reference, row.text, row.answered) for row in rows] == [
        ("target:1", "Hello", "OK")
    ]
    found = await provider.find_published(
        credentials, PublishRequest("target:1", "Hello"), datetime.now(UTC) - timedelta(hours=1)
    )
    assert found == published
    assert (
        await provider.find_published(
            credentials, PublishRequest("target:2", "x"), datetime.now(UTC)
        )
        is None
    )


@pytest.mark.parametrize(
    ("kind", "error", "stored"),
    [
        ("rate_limit", RateLimited, False),
        ("auth_expired", AuthExpired, False),
        ("server_error_before", TransientBeforeSend, False),
        ("rejected", Rejected, False),
        ("server_error_after", Ambiguous, True),
        ("timeout", Ambiguous, True),
    ],
)
async def test_injected_failures_fail_in_their_class(kind, error, stored):
    provider = SandboxProvider(random.Random(7))
    _, credentials = await account(failure_rates={kind: 1.0})
    await SandboxAccount.all().update(token_issued_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(error):
        await provider.publish(credentials, PublishRequest("target:9", "Hi"))
    # Ambiguous failures happen after the network stored the post, like a real timeout.
    assert await SandboxPost.filter(reference="target:9").count() == (1 if stored else 0)


async def test_a_just_issued_token_does_not_expire():
    provider = SandboxProvider(random.Random(7))
    _, credentials = await account(failure_rates={"auth_expired": 1.0})
    assert (await provider.publish(credentials, PublishRequest("t", "Hi"))).network_post_id
    await SandboxAccount.all().update(token_issued_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(AuthExpired):
        await provider.publish(credentials, PublishRequest("t2", "Hi"))
    refreshed = await provider.refresh_token(credentials)  # the expiry is real: refresh heals
    assert (await provider.publish(refreshed, PublishRequest("t3", "Hi"))).network_post_id


async def test_rate_limit_says_when_to_come_back():
    provider = SandboxProvider(random.Random(7))
    _, credentials = await account(failure_rates={"rate_limit": 1.0})
    with pytest.raises(RateLimited) as raised:
        await provider.publish(credentials, PublishRequest("t", "Hi"))
    assert raised.value.retry_at > datetime.now(UTC)


async def test_wrong_token_is_auth_expired():
    provider = SandboxProvider()
    _, credentials = await account()
    credentials.access_token = "stolen"
    with pytest.raises(AuthExpired):
        await provider.publish(credentials, PublishRequest("t", "Hi"))


async def test_failure_rates_are_honoured_statistically():
    provider = SandboxProvider(random.Random(3))
    _, credentials = await account(failure_rates={"server_error_before": 0.3})
    failures = 0
    for index in range(300):
        try:
            await provider.publish(credentials, PublishRequest(f"t{index}", "Hi"))
        except TransientBeforeSend:
            failures += 1
    assert 60 <= failures <= 120


async def test_refresh_rotates_the_access_token():
    provider = SandboxProvider()
    _, credentials = await account()
    refreshed = await provider.refresh_token(credentials)
    assert refreshed.access_token != credentials.access_token
    assert refreshed.refresh_token == credentials.refresh_token
    await provider.publish(refreshed, PublishRequest("t", "works"))
    with pytest.raises(AuthExpired):
        await provider.publish(credentials, PublishRequest("t2", "old token"))


async def test_engagement_is_deterministic_and_grows():
    provider = SandboxProvider()
    _, credentials = await account()
    published = await provider.publish(credentials, PublishRequest("t", "Hi", link=None))
    row = await SandboxPost.get()
    sandbox_account = await row.account
    early = engagement(sandbox_account, row, row.received_at + timedelta(hours=1))
    late = engagement(sandbox_account, row, row.received_at + timedelta(hours=48))
    assert engagement(sandbox_account, row, row.received_at + timedelta(hours=1)) == early
    assert 0 < early.impressions < late.impressions
    assert late.likes > 0 and late.comments > 0
    assert early.clicks is None and early.video_views is None  # not reported: null, never 0
    [metrics] = await provider.fetch_metrics(credentials, [published.network_post_id, "bogus"])
    assert metrics.network_post_id == published.network_post_id


async def test_comments_and_mentions_are_produced():
    provider = SandboxProvider()
    _, credentials = await account()
    await provider.publish(credentials, PublishRequest("t", "Hi"))
    row = await SandboxPost.get()
    interactions = await provider.network.interactions(
        (await row.account).id,
        (await row.account).token_hash,
        since=row.received_at,
        until=row.received_at + timedelta(hours=3),
    )
    comments = [i for i in interactions if i.kind == "COMMENT"]
    assert comments and all(c.in_reply_to == f"sbx_{row.id}" for c in comments)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    mentions = await provider.network.search(["kopi"], start, start + timedelta(minutes=10))
    again = await provider.network.search(["kopi"], start, start + timedelta(minutes=10))
    assert len(mentions) == 20 and mentions == again


async def test_direct_messages_arrive_over_time_deterministically():
    provider = SandboxProvider()
    _, credentials = await account()
    row = await SandboxAccount.get()
    start = row.created_at
    window = (start, start + timedelta(hours=10))
    first = await provider.network.interactions(row.id, row.token_hash, *window)
    again = await provider.network.interactions(row.id, row.token_hash, *window)
    messages = [i for i in first if i.kind == "MESSAGE"]
    assert messages and first == again
    assert all(window[0] <= m.created_at <= window[1] for m in messages)
    assert len({m.network_id for m in messages}) == len(messages)
    later = await provider.fetch_interactions(credentials, since=start + timedelta(hours=10))
    assert not [i for i in later if i.kind == "MESSAGE" and i.created_at <= window[1]]


VIDEO_URL = "http://127.0.0.1:8000/media/ab/abcdef.mp4?expires=1&signature=x"
IMAGE_URL = "http://127.0.0.1:8000/media/cd/cdef01.jpg?expires=1&signature=y"


async def ledger_row(account_row, index: int, media: list[str]) -> SandboxPost:
    return await SandboxPost.create(
        account=account_row, reference=f"r{index}", text="Hi", media=media, answered="OK"
    )


async def test_video_posts_gather_views_and_watch_time():
    await account()
    owner = await SandboxAccount.get()
    video = await ledger_row(owner, 1, [VIDEO_URL])
    image = await ledger_row(owner, 2, [IMAGE_URL])
    text = await ledger_row(owner, 3, [])
    early = engagement(owner, video, video.received_at + timedelta(hours=1))
    late = engagement(owner, video, video.received_at + timedelta(hours=48))
    assert engagement(owner, video, video.received_at + timedelta(hours=1)) == early
    assert 0 < early.video_views < late.video_views and 0 < early.watch_time_s < late.watch_time_s
    assert 4 * late.video_views <= late.watch_time_s <= 30 * late.video_views
    for row in (image, text):  # not a video: null, never 0
        metrics = engagement(owner, row, row.received_at + timedelta(hours=48))
        assert metrics.video_views is None and metrics.watch_time_s is None


async def test_media_whose_url_names_no_kind_is_video_for_a_seeded_share():
    await account()
    owner = await SandboxAccount.get()
    rows = [await ledger_row(owner, i, [f"https://cdn.test/blob/{i}"]) for i in range(200)]
    at = datetime.now(UTC) + timedelta(days=2)
    first = [engagement(owner, row, at).video_views is not None for row in rows]
    assert first == [engagement(owner, row, at).video_views is not None for row in rows]
    assert 20 <= sum(first) <= 80  # about a quarter


async def test_metrics_of_500_posts_are_one_ledger_query(queries):
    provider = SandboxProvider()
    _, credentials = await account()
    owner = await SandboxAccount.get()
    await SandboxPost.bulk_create(
        [
            SandboxPost(
                account=owner,
                reference=f"r{i}",
                text="Hi",
                media=[[], [IMAGE_URL], [VIDEO_URL]][i % 3],
                answered="OK",
            )
            for i in range(500)
        ]
    )
    ids = [f"sbx_{i}" for i in await SandboxPost.all().values_list("id", flat=True)]
    with queries.count() as statements:
        metrics = await provider.fetch_metrics(credentials, ids)
    assert len(metrics) == 500 and len(statements) == 2  # the account, then the ledger
    assert sum(m.video_views is not None for m in metrics) == 166


async def test_followers_grow_slowly_and_deterministically():
    _, credentials = await account(followers=10_000)
    owner = await SandboxAccount.get()
    start = owner.created_at
    week = [followers(owner, start + timedelta(days=day, hours=13)) for day in range(8)]
    assert week == [followers(owner, start + timedelta(days=d, hours=13)) for d in range(8)]
    assert followers(owner, start) == 10_000
    for before, after in zip(week, week[1:], strict=False):
        assert after >= before * 0.996  # a dip of a few per mille at most
        assert after <= before * 1.01  # ~0.1-0.5 % a day, plus the day's wobble
    assert week[-1] > week[0]
    year = followers(owner, start + timedelta(days=365))
    assert 10_000 < year < 60_000  # growth slows with age


async def test_profile_views_are_fixed_per_utc_day():
    await account(followers=10_000)
    owner = await SandboxAccount.get()
    day = owner.created_at + timedelta(days=3)
    morning = day.replace(hour=1, minute=0, second=0, microsecond=0)
    evening = day.replace(hour=23, minute=0, second=0, microsecond=0)
    assert profile_views(owner, morning) == profile_views(owner, evening) > 0
    days = {profile_views(owner, morning + timedelta(days=n)) for n in range(7)}
    assert len(days) > 1 and all(30 <= views <= 250 for views in days)


async def test_channel_metrics_through_the_provider():
    provider = SandboxProvider()
    _, credentials = await account(followers=5_000)
    audience = await provider.fetch_channel_metrics(credentials)
    assert 5_000 <= audience.followers <= 5_100 and audience.profile_views >= 0
    at = datetime.now(UTC) + timedelta(days=2)
    network = provider.network
    owner = await SandboxAccount.get()
    same = [await network.channel_metrics(owner.id, owner.token_hash, at) for _ in range(2)]
    assert same[0] == same[1]
    credentials.access_token = "stolen"
    with pytest.raises(AuthExpired):
        await provider.fetch_channel_metrics(credentials)
