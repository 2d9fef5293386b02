"""The arq worker: registered jobs under stable names, start-up and shut-down."""

from __future__ import annotations

import asyncio
import contextlib

from arq import cron, func
from arq.worker import Worker, create_worker

from domain.analytics.polling import POLL_CHANNEL_JOB, READ_AUDIENCE_JOB
from domain.analytics.reports import BUILD_REPORT_JOB, BUILD_REPORT_TRIES
from domain.db import close_database, open_database
from domain.health import beat_forever, new_worker_id, stop_beating
from domain.jobs import QUEUE_NAME, close_job_pool
from domain.listening.collection import FEED_JOB, SEARCH_JOB
from domain.logs import configure_logging
from domain.publishing.jobs import DISPATCH_JOB, PUBLISH_JOB, VERIFY_JOB
from domain.redis import arq_redis_settings, close_redis
from domain.settings import get_settings
from domain.webhooks.outbox import DELIVER_JOB
from workers.analytics import (
    audience_round_job,
    build_report_job,
    metrics_round_job,
    poll_channel_job,
    read_audience_job,
    report_round_job,
)
from workers.identity import purge_expired_credentials
from workers.listening import listening_round_job, read_feed_job, search_job
from workers.maintenance import extend_recurring_series, refresh_expiring_tokens
from workers.publishing import (
    dispatch_due_job,
    publish_target_job,
    reconcile_forever,
    verify_target_job,
)
from workers.webhooks import deliver_webhook_job, webhook_round_job

_publish_timeout = get_settings().publish_job_timeout_s
JOBS = [
    func(purge_expired_credentials, name="identity.purge_expired_credentials", max_tries=3),
    # keep_result=0: the reconciler may ask again for the same id once a run is over.
    func(dispatch_due_job, name=DISPATCH_JOB, timeout=_publish_timeout, keep_result=0, max_tries=3),
    func(
        publish_target_job, name=PUBLISH_JOB, timeout=_publish_timeout, keep_result=0, max_tries=3
    ),
    func(verify_target_job, name=VERIFY_JOB, timeout=_publish_timeout, keep_result=0, max_tries=3),
    func(poll_channel_job, name=POLL_CHANNEL_JOB, timeout=600, keep_result=0, max_tries=3),
    func(read_audience_job, name=READ_AUDIENCE_JOB, timeout=120, keep_result=0, max_tries=2),
    # keep_result=0: the report round may ask again for a build whose job was lost.
    func(
        build_report_job,
        name=BUILD_REPORT_JOB,
        timeout=600,
        keep_result=0,
        max_tries=BUILD_REPORT_TRIES,
    ),
    # One job per attempt; retries are new jobs scheduled by the delivery itself, so arq
    # never retries one (max_tries=1) and keep_result=0 frees the id for the cron.
    func(deliver_webhook_job, name=DELIVER_JOB, timeout=60, keep_result=0, max_tries=1),
    func(search_job, name=SEARCH_JOB, timeout=120, keep_result=0, max_tries=1),
    func(read_feed_job, name=FEED_JOB, timeout=120, keep_result=0, max_tries=1),
]


async def startup(ctx: dict) -> None:
    settings = get_settings()
    if ctx.get("manage_database", True):
        ctx["tortoise"] = await open_database()
    ctx["worker_id"] = new_worker_id()
    ctx["heartbeat"] = asyncio.create_task(
        beat_forever(ctx["worker_id"], settings.worker_heartbeat_s)
    )
    if ctx.get("reconcile", True):
        ctx["reconciler"] = asyncio.create_task(reconcile_forever(settings.reconcile_every_s))


async def shutdown(ctx: dict) -> None:
    for name in ("reconciler", "heartbeat"):
        task = ctx.get(name)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if ctx.get("heartbeat") is not None:
        await stop_beating(ctx["worker_id"])
    await close_job_pool()
    await close_redis()
    # An arq worker on SQLite hangs at SIGTERM unless the Tortoise context is closed.
    if ctx.get("manage_database", True):
        await close_database()


class WorkerSettings:
    functions = JOBS
    cron_jobs = [
        cron(
            purge_expired_credentials,
            name="cron:identity.purge_expired_credentials",
            minute=17,
            second=0,
            unique=True,
        ),
        cron(
            refresh_expiring_tokens,
            name="cron:channels.refresh_expiring_tokens",
            minute=set(range(0, 60, 5)),
            second=30,
            unique=True,
        ),
        cron(
            extend_recurring_series,
            name="cron:content.extend_recurring_series",
            minute=41,
            second=0,
            unique=True,
        ),
        cron(
            metrics_round_job,
            name="cron:analytics.metrics_round",
            second=5,
            unique=True,
            timeout=120,
        ),
        cron(
            audience_round_job,
            name="cron:analytics.audience_round",
            minute=7,
            second=20,
            unique=True,
        ),
        cron(
            report_round_job,
            name="cron:analytics.report_round",
            minute=12,
            second=40,
            unique=True,
            timeout=300,
        ),
        cron(
            webhook_round_job,
            name="cron:webhooks.round",
            second=50,
            unique=True,
            timeout=120,
        ),
        cron(
            listening_round_job,
            name="cron:listening.round",
            second=15,
            unique=True,
            timeout=120,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE_NAME
    max_jobs = get_settings().worker_max_jobs
    # arq takes new jobs only when it polls: a short delay keeps a burst of due posts moving.
    poll_delay = get_settings().worker_poll_delay_s
    job_timeout = 300
    keep_result = 3600


def build_worker(
    *,
    handle_signals: bool = True,
    burst: bool = False,
    manage_database: bool = True,
    reconcile: bool = True,
) -> Worker:
    """The worker. Tests that run it in-process pass `manage_database=False`: its start-up
    would re-initialise Tortoise and its shut-down close the test session's connections.
    `reconcile=False` leaves out the reconciler loop (tests drive it themselves)."""
    configure_logging(json_lines=get_settings().uses_json_logs)
    return create_worker(
        WorkerSettings,
        redis_settings=arq_redis_settings(),
        handle_signals=handle_signals,
        burst=burst,
        ctx={"manage_database": manage_database, "reconcile": reconcile},
    )
