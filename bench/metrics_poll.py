"""One metric-polling cycle over 100,000 published targets on the sandbox network.

    .venv/bin/python bench/metrics_poll.py [--json PATH] [--targets N] [--channels N]
                                           [--workers N]

Seeds channels and published posts (the posts, their targets and the sandbox ledger are
bulk-inserted: publishing 100,000 posts one by one is another benchmark), enrolls them for
polling, then runs one round the way the worker's cron does (`metrics_round`: one poll job
per channel with posts due) and times `kelola worker` processes (two by default, one per
core) until every reading is stored. Runs on the embedded default unless
KELOLA_DATABASE_URL / KELOLA_REDIS_URL name servers (a scratch database is made there).

Goal: >= 20,000 snapshots written per second. JSON keys: snapshots_per_s, cycle_s,
enroll_s, snapshots.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.publishing_kit import Worker, prepare_environment  # noqa: E402

BATCH = 5000


async def seed(channels: int, targets: int) -> list[int]:
    """Channels with published targets spread over the last 20 days, all due now."""
    from domain.channels.service import SandboxOptions, connect_sandbox
    from domain.content.models import Post, PostTarget, TargetStatus
    from domain.identity import workspaces
    from domain.identity.models import User
    from domain.platforms.sandbox.models import SandboxPost
    from domain.platforms.sandbox.network import network_post_id
    from domain.tenancy import Actor
    from domain.uow import unit_of_work

    user = await User.create(email="bench@example.com", name="bench", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="Bench")
    channel_rows = []
    for index in range(channels):
        async with unit_of_work():
            channel_rows.append(
                await connect_sandbox(
                    actor,
                    workspace_id=workspace.id,
                    options=SandboxOptions(handle=f"bench{index}", seed=index, followers=20_000),
                )
            )
    accounts = {channel.id: int(channel.external_account_id) for channel in channel_rows}
    now = datetime.now(UTC)
    per_channel = targets // channels
    for channel in channel_rows:
        published = [now - timedelta(hours=1 + 480 * i / per_channel) for i in range(per_channel)]
        async with unit_of_work():
            await Post.bulk_create(
                [
                    Post(workspace_id=workspace.id, body=f"bench {channel.id}/{i}", tags=["bench"])
                    for i in range(per_channel)
                ],
                batch_size=BATCH,
            )
            await SandboxPost.bulk_create(
                [
                    SandboxPost(
                        account_id=accounts[channel.id],
                        reference=f"bench-{channel.id}-{i}",
                        text="bench",
                        media=[],
                        answered="OK",
                        received_at=published[i],
                    )
                    for i in range(per_channel)
                ],
                batch_size=BATCH,
            )
        post_ids = (
            await Post.filter(body__startswith=f"bench {channel.id}/")
            .order_by("id")
            .values_list("id", flat=True)
        )
        ledger = (
            await SandboxPost.filter(account_id=accounts[channel.id])
            .order_by("id")
            .values_list("id", flat=True)
        )
        async with unit_of_work():
            await PostTarget.bulk_create(
                [
                    PostTarget(
                        workspace_id=workspace.id,
                        post_id=post_id,
                        channel_id=channel.id,
                        status=TargetStatus.PUBLISHED,
                        published_at=published[i],
                        network_post_id=network_post_id(ledger[i]),
                    )
                    for i, post_id in enumerate(post_ids)
                ],
                batch_size=BATCH,
            )
    return [channel.id for channel in channel_rows]


async def snapshot_count() -> int:
    from domain.analytics.models import MetricSnapshot

    return await MetricSnapshot.all().count()


async def run(args: argparse.Namespace, env: dict[str, str], log: Path) -> dict[str, float]:
    from domain.analytics.collection import enroll_published
    from domain.analytics.polling import metrics_round
    from domain.db import close_database, migrate, open_database
    from domain.jobs import close_job_pool
    from domain.redis import close_redis

    await migrate()
    await open_database()
    started = time.monotonic()
    await seed(args.channels, args.targets)
    print(f"seeded {args.targets} published targets in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    enrolled = await enroll_published()
    enroll_s = time.monotonic() - started
    print(f"enrolled {enrolled} targets for polling in {enroll_s:.1f} s", flush=True)

    workers = [Worker(env, log) for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    await asyncio.sleep(4)  # let the workers connect before the round
    try:
        started = time.monotonic()
        channels = await metrics_round()
        while (written := await snapshot_count()) < enrolled:
            if time.monotonic() - started > 480:
                break
            await asyncio.sleep(0.05)
        cycle_s = time.monotonic() - started
    finally:
        for worker in workers:
            worker.stop()
    await close_job_pool()
    await close_redis()
    await close_database()
    print(f"{channels} channel jobs, {written} snapshots in {cycle_s:.2f} s")
    return {
        "snapshots_per_s": round(written / cycle_s, 1),
        "cycle_s": round(cycle_s, 3),
        "enroll_s": round(enroll_s, 3),
        "snapshots": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    environment = prepare_environment(KELOLA_WORKER_MAX_JOBS="8")
    log = Path(environment.env["KELOLA_DATA_DIR"]) / "worker.log"
    try:
        figures = asyncio.run(run(args, environment.env, log))
    finally:
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-5:]
            print("worker log tail:", *tail, sep="\n  ")
        environment.close()
    for name, value in figures.items():
        print(f"{name}: {value}")
    if figures["snapshots_per_s"] < 20_000:
        print("goal (>= 20,000 snapshots/s) NOT met")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
