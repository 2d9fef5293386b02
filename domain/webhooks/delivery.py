"""Sending a delivery: claim it, POST the signed body, log the attempt, then mark it
DELIVERED, schedule a retry with backoff, or give up after the retry window.

The job may run more than once and several workers may race: a claim (a conditional update
that moves `next_attempt_at` past a lease and sets a fresh `claim_token`) lets exactly one
of them make an attempt, and the result is written only if that claim still holds. A worker
that dies mid-attempt leaves the row due again once the lease passes; the cron finds it.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from tortoise.expressions import F

from domain.events import Event, emit
from domain.jobs import enqueue_after_commit, get_job_pool
from domain.outbound import address_problems, shared_guarded_client, syntax_problems
from domain.uow import unit_of_work
from domain.webhooks.catalog import ENDPOINT_DISABLED
from domain.webhooks.endpoints import secrets_in_use
from domain.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from domain.webhooks.outbox import DELIVER_JOB, deliver_job_id
from domain.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0)
CLAIM_LEASE = timedelta(seconds=60)  # longer than any attempt may take
RETRY_BASE_S = 30.0
RETRY_CAP_S = 6 * 3600.0
RETRY_WINDOW = timedelta(days=3)
# An endpoint is disabled when no attempt to it has succeeded for RETRY_WINDOW while
# attempts kept failing, or when this many deliveries in a row ended FAILED.
DISABLE_AFTER_FAILED_DELIVERIES = 5
SNIPPET_CHARS = 200
OVERDUE = timedelta(seconds=60)
RECONCILE_BATCH = 1000


# Injectable (tests route requests to an in-process receiver through httpx.ASGITransport).
client_factory: Callable[[], httpx.AsyncClient] = shared_guarded_client


def retry_delay(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """30 s after the first failed attempt, doubling, capped at 6 h, +-20% jitter."""
    base = min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))
    return timedelta(seconds=min(RETRY_CAP_S, base * (0.8 + 0.4 * rng())))


@dataclass
class Outcome:
    started_at: datetime
    duration_ms: int = 0
    status_code: int | None = None
    error: str | None = None
    snippet: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    token = uuid.uuid4().hex
    claimed = await WebhookDelivery.filter(
        id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(claim_token=token, next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return await WebhookDelivery.get_or_none(id=delivery_id, claim_token=token).select_related(
        "endpoint"
    )


def _redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


async def _post(delivery: WebhookDelivery, secrets: list[str], now: datetime) -> Outcome:
    endpoint: WebhookEndpoint = delivery.endpoint
    outcome = Outcome(started_at=now)
    problems = syntax_problems(endpoint.url) or await address_problems(endpoint.url)
    if problems:
        outcome.error = problems[0].message[:500]
        return outcome
    timestamp = int(now.timestamp())
    signature = signature_header(secrets, timestamp, delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "Kelola-Event": delivery.event_type,
        "Kelola-Delivery": str(delivery.id),
        "Kelola-Signature": signature,
    }
    started = time.perf_counter()
    try:
        async with client_factory().stream(
            "POST",
            endpoint.url,
            content=delivery.payload.encode(),
            headers=headers,
            timeout=TIMEOUT,
            follow_redirects=False,
        ) as response:
            outcome.status_code = response.status_code
            raw = b""
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) >= 4 * SNIPPET_CHARS:
                    break
            text = raw.decode("utf-8", errors="replace")
            macs = [part[3:] for part in signature.split(",") if part.startswith("v1=")]
            outcome.snippet = _redact(text, *secrets, *macs)[:SNIPPET_CHARS] or None
        if not outcome.succeeded:
            outcome.error = f"HTTP {outcome.status_code}"
            if 300 <= outcome.status_code < 400:
                outcome.error += " (redirects are not followed)"
    except httpx.TimeoutException:
        outcome.error = "timed out after 10 s"
    except httpx.HTTPError as error:
        outcome.error = f"network error: {type(error).__name__}"
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    return outcome


async def deliver(delivery_id: int, now: datetime | None = None) -> DeliveryStatus | None:
    """Make the attempt that is due, if any; a delivered, finished, not yet due or
    already-claimed delivery is left alone. Returns the status afterwards."""
    now = now or datetime.now(UTC)
    delivery = await _claim(delivery_id, now)
    if delivery is None:
        current = await WebhookDelivery.get_or_none(id=delivery_id).values_list("status", flat=True)
        return DeliveryStatus(current) if current else None
    endpoint: WebhookEndpoint = delivery.endpoint
    if not endpoint.enabled:
        outcome = Outcome(started_at=now, error="not sent: the endpoint is disabled")
        return await _finish(delivery, outcome, now, give_up=True, counts=False)
    secrets = secrets_in_use(endpoint, now)
    if secrets is None:
        outcome = Outcome(started_at=now, error="not sent: the signing secret cannot be read")
        logger.error("webhook endpoint %s: secret cannot be decrypted", endpoint.id)
    else:
        outcome = await _post(delivery, secrets, now)
    return await _finish(delivery, outcome, now)


async def _finish(
    delivery: WebhookDelivery,
    outcome: Outcome,
    now: datetime,
    *,
    give_up: bool = False,
    counts: bool = True,
) -> DeliveryStatus:
    window_start = delivery.window_started_at or now
    deadline = window_start + RETRY_WINDOW
    changes: dict[str, object] = {
        "claim_token": None,
        "window_started_at": window_start,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.succeeded:
        status = DeliveryStatus.DELIVERED
        changes.update(delivered_at=now, finished_at=now, next_attempt_at=None)
    elif give_up or now >= deadline:
        status = DeliveryStatus.FAILED
        changes.update(finished_at=now, next_attempt_at=None)
    else:
        status = DeliveryStatus.PENDING
        changes["next_attempt_at"] = min(now + retry_delay(delivery.attempts), deadline)
    async with unit_of_work():
        await WebhookAttempt.create(
            workspace_id=delivery.workspace_id,
            delivery_id=delivery.id,
            number=delivery.attempts,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            error=outcome.error,
            response_snippet=outcome.snippet,
        )
        updated = await WebhookDelivery.filter(
            id=delivery.id, claim_token=delivery.claim_token
        ).update(status=status, **changes)
        if not updated:  # the claim was taken over (a redelivery): its owner decides
            return DeliveryStatus(
                await WebhookDelivery.get(id=delivery.id).values_list("status", flat=True)
            )
        if status == DeliveryStatus.PENDING:
            enqueue_after_commit(
                DELIVER_JOB,
                delivery.id,
                job_id=deliver_job_id(delivery.id, delivery.attempts + 1),
                _defer_until=changes["next_attempt_at"],
            )
        if counts:
            await _track_endpoint(delivery.endpoint, outcome, status, now)
    return status


async def _track_endpoint(
    endpoint: WebhookEndpoint, outcome: Outcome, status: DeliveryStatus, now: datetime
) -> None:
    if outcome.succeeded:
        await (
            WebhookEndpoint.filter(id=endpoint.id)
            .filter(consecutive_failures__gt=0)
            .update(consecutive_failures=0)
        )
        await WebhookEndpoint.filter(id=endpoint.id, failing_since__not_isnull=True).update(
            failing_since=None
        )
        return
    await WebhookEndpoint.filter(id=endpoint.id, failing_since__isnull=True).update(
        failing_since=now
    )
    if status == DeliveryStatus.FAILED:
        await WebhookEndpoint.filter(id=endpoint.id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
    current = await WebhookEndpoint.get(id=endpoint.id)
    reason = None
    if current.failing_since is not None and now - current.failing_since >= RETRY_WINDOW:
        reason = "Every delivery attempt failed for 3 days"
    elif current.consecutive_failures >= DISABLE_AFTER_FAILED_DELIVERIES:
        reason = f"{current.consecutive_failures} deliveries in a row failed"
    if current.enabled and reason:
        await disable_endpoint(current, reason, now)


async def disable_endpoint(endpoint: WebhookEndpoint, reason: str, now: datetime) -> bool:
    """Disable an endpoint automatically and announce it (to the workspace's other
    endpoints that subscribe, and to live subscribers). Inside a unit of work."""
    disabled = await WebhookEndpoint.filter(id=endpoint.id, enabled=True).update(
        enabled=False, disabled_at=now, disabled_reason=reason
    )
    if disabled:
        await emit(
            Event(
                ENDPOINT_DISABLED,
                endpoint.workspace_id,
                {"endpoint_id": endpoint.id, "url": endpoint.url, "reason": reason},
            )
        )
    return bool(disabled)


async def enqueue_due(now: datetime | None = None) -> int:
    """Re-derive delivery jobs from the database (a lost job, a dead worker, a flushed
    Redis): every PENDING delivery that is due gets its job again."""
    now = now or datetime.now(UTC)
    due = (
        await WebhookDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .limit(RECONCILE_BATCH)
        .values_list("id", "attempts", "next_attempt_at")
    )
    pool = await get_job_pool()
    enqueued = 0
    for delivery_id, attempts, next_attempt_at in due:
        # Late work: its own job id may be held by a job that died; ask under a fresh one.
        suffix = f":r{int(now.timestamp() // 60)}" if now - next_attempt_at > OVERDUE else ""
        job_id = deliver_job_id(delivery_id, attempts + 1, suffix)
        if await pool.enqueue_job(DELIVER_JOB, delivery_id, _job_id=job_id) is not None:
            enqueued += 1
    return enqueued
