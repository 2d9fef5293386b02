"""The publish benchmark under chaos: 10 % of publishes fail in each failure class, the
worker is killed with SIGKILL at random moments and restarted, and Redis is flushed once.
At the end: duplicates (from the sandbox ledger), lost posts and posts stuck in a
non-final status.

    .venv/bin/python bench/publish_chaos.py [--json PATH] [--targets N] [--channels N]

Lost: a target marked PUBLISHED that the network never received, or one the network
received that Kelola does not record as PUBLISHED. Stuck: SCHEDULED, PUBLISHING or
UNCONFIRMED when everything should have settled. Rejected posts (one of the injected
classes) end FAILED with a reason: that is an outcome, not a loss.
Goal: 0 duplicates, 0 lost, 0 stuck. JSON keys: published, duplicates, lost, stuck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.publishing_kit import (  # noqa: E402
    FINAL,
    Worker,
    prepare_environment,
    seed,
    status_counts,
)

FAILURES = {
    "rate_limit": 0.1,
    "auth_expired": 0.1,
    "server_error_before": 0.1,
    "rejected": 0.1,
    "server_error_after": 0.1,
    "timeout": 0.1,
}
# Short fuses so the run settles in minutes: a killed worker's claims are checked with the
# network after 20 s (jobs are cancelled after 15 s, so nothing is in flight by then).
CHAOS_SETTINGS = {
    "KELOLA_PUBLISH_JOB_TIMEOUT_S": "15",
    "KELOLA_PUBLISH_STUCK_AFTER_S": "20",
    "KELOLA_RECONCILE_EVERY_S": "1",
}


async def ledger_verdict() -> tuple[int, int, int]:
    """(published, duplicates, lost) from our rows against the sandbox's ledger."""
    from domain.content.models import PostTarget, TargetStatus
    from domain.platforms.sandbox.models import SandboxPost

    received: dict[str, int] = {}
    for reference in await SandboxPost.all().values_list("reference", flat=True):
        received[reference] = received.get(reference, 0) + 1
    rows = await PostTarget.all().values_list("id", "status")
    published = {f"kelola-target-{i}" for i, status in rows if status == TargetStatus.PUBLISHED}
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    lost = len(published - received.keys()) + len(received.keys() - published)
    return len(published), duplicates, lost


async def chaos(args: argparse.Namespace, env: dict[str, str], log: Path) -> dict[str, int]:
    from domain.db import close_database, migrate, open_database
    from domain.jobs import close_job_pool
    from domain.redis import close_redis, get_redis

    await migrate()
    await open_database()
    print(f"seeding {args.channels} channels and {args.targets} targets …", flush=True)
    due = await seed(
        channels=args.channels,
        targets=args.targets,
        latency_ms=args.latency_ms,
        failure_rates=FAILURES,
        lead_s=args.lead_s,
    )
    rng = random.Random(args.seed)  # noqa: S311 - chaos, not cryptography
    worker = Worker(env, log)
    worker.start()
    kills = flushed = 0
    started = time.monotonic()
    wait = (due - datetime.now(UTC)).total_seconds()
    print(f"all scheduled for {due:%H:%M:%S} UTC; chaos starts in {wait:.1f} s", flush=True)
    await asyncio.sleep(max(0.0, wait))
    chaos_until = time.monotonic() + args.chaos_s
    flush_at = time.monotonic() + rng.uniform(1, args.chaos_s)
    try:
        while time.monotonic() < chaos_until:
            await asyncio.sleep(rng.uniform(0.5, 4.0))
            worker.kill()
            kills += 1
            if not flushed and time.monotonic() >= flush_at:
                await get_redis().flushall()
                flushed = 1
                print("redis FLUSHALL", flush=True)
            await asyncio.sleep(rng.uniform(0.1, 1.0))
            worker.start()
        if not flushed:
            await get_redis().flushall()
            flushed = 1
        print(f"chaos over after {kills} kills; letting it settle …", flush=True)
        deadline = time.monotonic() + args.settle_s
        while time.monotonic() < deadline:
            counts = await status_counts()
            if sum(counts.get(status, 0) for status in FINAL) >= args.targets:
                break
            await asyncio.sleep(1)
    finally:
        worker.stop()
    counts = await status_counts()
    published, duplicates, lost = await ledger_verdict()
    stuck = sum(count for status, count in counts.items() if status not in FINAL)
    await close_job_pool()
    await close_redis()
    await close_database()
    print(f"statuses: {counts}")
    return {
        "published": published,
        "duplicates": duplicates,
        "lost": lost,
        "stuck": stuck,
        "failed": counts.get("FAILED", 0),
        "kills": kills,
        "redis_flushes": flushed,
        "wall_s": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--lead-s", type=float, default=8.0)
    parser.add_argument("--chaos-s", type=float, default=40.0, help="how long workers get killed")
    parser.add_argument("--settle-s", type=float, default=360.0, help="time allowed to settle")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    environment = prepare_environment(**CHAOS_SETTINGS)
    log = Path(environment.env["KELOLA_DATA_DIR"]) / "worker.log"
    try:
        figures = asyncio.run(chaos(args, environment.env, log))
    finally:
        environment.close()
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    met = figures["duplicates"] == figures["lost"] == figures["stuck"] == 0
    print(f"goal 0 duplicates, 0 lost, 0 stuck: {'met' if met else 'NOT met'}")
    if args.json:
        keys = ("published", "duplicates", "lost", "stuck")
        Path(args.json).write_text(json.dumps({key: figures[key] for key in keys}))


if __name__ == "__main__":
    main()
