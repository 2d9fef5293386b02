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
from domain.platforms.sandbox.network import engagement
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
