import asyncio
from datetime import UTC, datetime, timedelta

from domain.channels.models import Channel, ChannelHealth
from domain.content.models import PostTarget, PublishAttempt, StatusChange, TargetStatus
from domain.platforms.sandbox.models import SandboxAccount, SandboxPost
from domain.publishing.publisher import MAX_ATTEMPTS, publish_target, verify_target
from domain.publishing.reconciler import reconcile, release_stuck


async def reload(target: PostTarget) -> PostTarget:
    return await PostTarget.get(id=target.id)


async def test_publishes_once_and_records_everything(world):
    channel = await world.channel()
    target = await world.due_target(channel, "Kopi pagi")
    outcome = await publish_target(target.id)
    assert outcome.status == TargetStatus.PUBLISHED
    target = await reload(target)
    assert target.status == TargetStatus.PUBLISHED
    assert target.network_post_id.startswith("sbx_") and target.network_url
    assert target.published_at is not None and target.attempts == 1
    [attempt] = await PublishAttempt.filter(target_id=target.id)
    assert attempt.outcome == "PUBLISHED" and attempt.latency_ms is not None
    statuses = [
        (row.from_status, row.to_status)
        for row in await StatusChange.filter(target_id=target.id).order_by("id")
    ]
    assert statuses == [
        (TargetStatus.SCHEDULED, TargetStatus.PUBLISHING),
        (TargetStatus.PUBLISHING, TargetStatus.PUBLISHED),
    ]
    assert [row.text for row in await SandboxPost.all()] == ["Kopi pagi"]


async def test_a_second_call_does_nothing(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await publish_target(target.id)
    again = await publish_target(target.id)
    assert again.status is None
    assert await SandboxPost.all().count() == 1


async def test_concurrent_workers_publish_exactly_once(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    outcomes = await asyncio.gather(*(publish_target(target.id) for _ in range(6)))
    assert sorted(str(o.status) for o in outcomes).count("PUBLISHED") == 1
    assert await SandboxPost.all().count() == 1


async def test_not_yet_due_is_left_alone(world):
    channel = await world.channel()
    target = await world.due_target(channel, at=datetime.now(UTC) + timedelta(minutes=5))
    assert (await publish_target(target.id)).status is None
    assert (await reload(target)).status == TargetStatus.SCHEDULED


async def test_cancelled_before_the_claim_is_never_sent(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await PostTarget.filter(id=target.id).update(status=TargetStatus.CANCELLED)
    assert (await publish_target(target.id)).status is None
    assert await SandboxPost.all().count() == 0


async def test_rejected_fails_with_the_reason(world):
    channel = await world.channel(rejected=1.0)
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.FAILED
    target = await reload(target)
    assert "rejected" in target.failure_reason
    assert await SandboxPost.all().count() == 0


async def test_transient_failures_retry_with_backoff_then_give_up(world):
    channel = await world.channel(server_error_before=1.0)
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.SCHEDULED
    target = await reload(target)
    assert target.next_attempt_at > datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS - 1):
        await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
        outcome = await publish_target(target.id)
    assert outcome.status == TargetStatus.FAILED
    target = await reload(target)
    assert target.attempts == MAX_ATTEMPTS and "Gave up" in target.failure_reason


async def test_rate_limited_waits_for_the_reset_and_marks_the_channel(world):
    channel = await world.channel(rate_limit=1.0)
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.SCHEDULED
    target = await reload(target)
    channel = await Channel.get(id=channel.id)
    assert channel.health == ChannelHealth.RATE_LIMITED
    assert target.next_attempt_at == channel.rate_limited_until
    assert target.next_attempt_at > datetime.now(UTC) + timedelta(seconds=20)
    # Due again while the channel is still limited: it waits, sending nothing.
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    assert (await publish_target(target.id)).status == TargetStatus.SCHEDULED
    assert await PublishAttempt.filter(target_id=target.id).count() == 1


async def test_an_expired_token_is_refreshed_and_the_post_goes_out(world):
    channel = await world.channel(auth_expired=1.0)
    await SandboxAccount.all().update(token_issued_at=datetime.now(UTC) - timedelta(hours=1))
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.PUBLISHED
    assert (await Channel.get(id=channel.id)).health == ChannelHealth.CONNECTED
    outcomes = await PublishAttempt.filter(target_id=target.id).order_by("id")
    assert [a.outcome for a in outcomes] == ["AUTH", "PUBLISHED"]


async def test_auth_failure_refreshes_once_then_needs_reauth(world):
    channel = await world.channel(auth_expired=1.0, refresh_refused=1.0)
    await SandboxAccount.all().update(token_issued_at=datetime.now(UTC) - timedelta(hours=1))
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.FAILED
    channel = await Channel.get(id=channel.id)
    assert channel.health == ChannelHealth.NEEDS_REAUTH
    assert "reconnect" in (await reload(target)).failure_reason
    # One attempt, a refused refresh, no blind retry.
    assert await PublishAttempt.filter(target_id=target.id).count() == 1


async def test_auth_failure_healed_by_the_refresh(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    account = await SandboxAccount.get()
    await SandboxAccount.filter(id=account.id).update(token_hash="expired")
    assert (await publish_target(target.id)).status == TargetStatus.PUBLISHED
    assert (await Channel.get(id=channel.id)).health == ChannelHealth.CONNECTED


async def test_ambiguous_failure_is_confirmed_not_resent(world):
    channel = await world.channel(timeout=1.0)
    target = await world.due_target(channel)
    assert (await publish_target(target.id)).status == TargetStatus.UNCONFIRMED
    assert await SandboxPost.all().count() == 1  # it did arrive
    await SandboxAccount.all().update(failure_rates={})
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    assert (await verify_target(target.id)).status == TargetStatus.PUBLISHED
    target = await reload(target)
    assert target.network_post_id == f"sbx_{(await SandboxPost.get()).id}"
    assert await SandboxPost.all().count() == 1


async def test_unconfirmed_that_never_arrived_is_sent_once(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await PostTarget.filter(id=target.id).update(
        status=TargetStatus.UNCONFIRMED, next_attempt_at=datetime.now(UTC)
    )
    assert (await verify_target(target.id)).status == TargetStatus.PUBLISHED
    assert await SandboxPost.all().count() == 1


async def test_a_dead_workers_claim_is_checked_with_the_network(world, monkeypatch):
    channel = await world.channel()
    target = await world.due_target(channel)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await PostTarget.filter(id=target.id).update(
        status=TargetStatus.PUBLISHING, attempt_token="dead", claimed_at=long_ago
    )
    assert await release_stuck(datetime.now(UTC)) == 1
    assert (await reload(target)).status == TargetStatus.UNCONFIRMED
    assert (await verify_target(target.id)).status == TargetStatus.PUBLISHED
    assert await SandboxPost.all().count() == 1


async def test_a_late_worker_cannot_overwrite_what_happened_since(world):
    from domain.publishing.claims import finish

    channel = await world.channel()
    target = await world.due_target(channel)
    await publish_target(target.id)
    stale = await reload(target)
    stale.attempt_token = "an-older-claim"
    assert await finish(stale, TargetStatus.FAILED, reason="late") is False
    assert (await reload(target)).status == TargetStatus.PUBLISHED


async def test_disconnected_channel_fails_clearly(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await Channel.filter(id=channel.id).update(health=ChannelHealth.DISCONNECTED)
    assert (await publish_target(target.id)).status == TargetStatus.FAILED
    assert "DISCONNECTED" in (await reload(target)).failure_reason


async def test_reconciler_requeues_due_work_after_a_redis_flush(world):
    from domain.jobs import get_job_pool
    from domain.redis import get_redis

    channel = await world.channel()
    due = await world.due_target(channel)
    later = await world.due_target(channel, at=datetime.now(UTC) + timedelta(hours=1))
    await get_redis().flushdb()
    report = await reconcile()
    assert report.publish_jobs == 1
    queued = [job.job_id for job in await (await get_job_pool()).queued_jobs()]
    assert queued == [f"dispatch:{int(due.next_attempt_at.timestamp() * 1000)}"]
    assert (await reconcile()).publish_jobs == 0  # asking twice queues once
    from domain.publishing.dispatcher import dispatch_due

    assert await dispatch_due() == 1  # the due one, not the later one
    assert (await PostTarget.get(id=due.id)).status == TargetStatus.PUBLISHED
    assert (await PostTarget.get(id=later.id)).status == TargetStatus.SCHEDULED


async def test_unconfirmed_on_a_channel_needing_reauth_is_still_confirmed(world):
    channel = await world.channel(timeout=1.0)
    target = await world.due_target(channel)
    await publish_target(target.id)  # arrived, answer lost
    await Channel.filter(id=channel.id).update(health=ChannelHealth.NEEDS_REAUTH)
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    assert (await verify_target(target.id)).status == TargetStatus.PUBLISHED
    assert await SandboxPost.all().count() == 1


async def test_unconfirmed_never_arrived_on_a_channel_needing_reauth_fails_clearly(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await Channel.filter(id=channel.id).update(health=ChannelHealth.NEEDS_REAUTH)
    await PostTarget.filter(id=target.id).update(
        status=TargetStatus.UNCONFIRMED, next_attempt_at=datetime.now(UTC)
    )
    assert (await verify_target(target.id)).status == TargetStatus.FAILED
    assert "never reached" in (await reload(target)).failure_reason
    assert await SandboxPost.all().count() == 0


async def test_unconfirmed_waits_when_the_network_refuses_to_answer(world):
    channel = await world.channel()
    target = await world.due_target(channel)
    await SandboxAccount.all().update(token_hash="revoked")
    await Channel.filter(id=channel.id).update(health=ChannelHealth.NEEDS_REAUTH)
    await PostTarget.filter(id=target.id).update(
        status=TargetStatus.UNCONFIRMED, next_attempt_at=datetime.now(UTC)
    )
    assert (await verify_target(target.id)).status == TargetStatus.UNCONFIRMED
    target = await reload(target)
    assert "Reconnect" in target.failure_reason and target.next_attempt_at > datetime.now(UTC)


async def test_confirming_refreshes_an_expired_token_once(world):
    channel = await world.channel(timeout=1.0)
    target = await world.due_target(channel)
    await publish_target(target.id)
    await SandboxAccount.all().update(token_hash="expired-meanwhile", failure_rates={})
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    assert (await verify_target(target.id)).status == TargetStatus.PUBLISHED
    assert (await Channel.get(id=channel.id)).health == ChannelHealth.CONNECTED
    assert await SandboxPost.all().count() == 1


async def test_overdue_work_is_asked_for_again_under_a_fresh_id(world):
    from domain.jobs import get_job_pool

    channel = await world.channel()
    target = await world.due_target(channel, at=datetime.now(UTC) - timedelta(minutes=5))
    await PostTarget.filter(id=target.id).update(status=TargetStatus.UNCONFIRMED)
    pool = await get_job_pool()
    # A verify job under the plain id is stuck in arq (e.g. its worker died mid-run).
    plain = f"verify:{target.id}:{int(target.next_attempt_at.timestamp() * 1000)}"
    await pool.set(f"arq:result:{plain}", b"poisoned")
    assert (await reconcile()).verify_jobs == 1
    queued = [job.job_id for job in await pool.queued_jobs()]
    assert queued == [f"{plain}:r{int(datetime.now(UTC).timestamp() // 60)}"]
