"""Latency of `analyticsOverview` and `metricSeries` over one workspace with 5,000,000
metric snapshots (50,000 published targets on 20 channels over the last year, 100 readings
each), served by one `kelola serve` process over HTTP.

    KELOLA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/analytics_query.py [--json PATH] [--targets N] [--readings N]

The data is bulk-loaded with COPY into a scratch PostgreSQL database (created here, dropped
at the end); a user and the workspace are made through the API first. Each query is asked
REQUESTS times, one at a time, cycling through a dashboard's windows: this week, this
month and the last 90 days (the overview with and without a breakdown by channel; the
series by day and by week). A year-long window is measured apart (`*_year_*` keys).
Without KELOLA_DATABASE_URL it runs on the embedded default with the same shape, which is
slow to load; the goal is stated for PostgreSQL.

Goal: p95 <= 150 ms for both. JSON keys: overview_p50_ms, overview_p95_ms, series_p50_ms,
series_p95_ms, overview_year_p50_ms, overview_year_p95_ms, series_year_p50_ms,
series_year_p95_ms, snapshots.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publishing_kit import prepare_environment  # noqa: E402

REQUESTS = 200
CHANNELS = 20
METRICS = (
    "posts impressions reach likes comments shares saves engagements "
    "engagementRateByReach linkClicks conversions revenue { amount currency } followers "
    "followerGrowth"
)
OVERVIEW = f"""
query($ws: ID!, $window: AnalyticsWindowInput, $by: AnalyticsDimension) {{
  analyticsOverview(workspaceId: $ws, window: $window, breakdownBy: $by) {{
    current {{ {METRICS} }} previous {{ {METRICS} }} changes {{ metric change }}
    breakdown {{ key current {{ posts likes }} }}
  }}
}}"""
SERIES = f"""
query($ws: ID!, $window: AnalyticsWindowInput, $interval: AnalyticsInterval) {{
  metricSeries(workspaceId: $ws, window: $window, interval: $interval, metric: ENGAGEMENTS) {{
    points {{ start value posts metrics {{ {METRICS} }} }}
  }}
}}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _graphql(client: httpx.AsyncClient, query: str, variables: dict, token: str | None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def _account(client: httpx.AsyncClient) -> tuple[str, str]:
    registered = (
        await _graphql(
            client,
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            {
                "input": {
                    "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                    "password": "correct horse battery",
                    "name": "Bench",
                }
            },
            None,
        )
    )["register"]
    token = registered["accessToken"]
    created = (
        await _graphql(
            client,
            "mutation($input: WorkspaceCreateInput!) { workspaceCreate(input: $input) "
            "{ workspace { id } } }",
            {"input": {"name": "Analytics bench", "timezone": "Asia/Jakarta"}},
            token,
        )
    )["workspaceCreate"]
    return token, created["workspace"]["id"]


async def load(workspace_id: int, targets: int, readings: int) -> int:
    """Channels, posts, targets, their rollups and tags, readings, audience days, links and
    conversions for the workspace, bulk-loaded. Returns the number of snapshots."""
    from tortoise import connections

    from domain.analytics.periods import hour_of_week, in_zone

    connection = connections.get("default")
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    channel_rows = [
        (workspace_id, "SANDBOX", str(900_000 + i), f"Channel {i}", "CONNECTED", "x", now, now)
        for i in range(CHANNELS)
    ]
    channel_ids = await _insert_returning(
        connection,
        "channels",
        (
            "workspace_id",
            "platform",
            "external_account_id",
            "name",
            "health",
            "access_token_encrypted",
            "health_changed_at",
            "connected_at",
        ),
        channel_rows,
    )
    published = [now - timedelta(seconds=rng.randint(3600, 365 * 86400)) for _ in range(targets)]
    post_ids = await _insert_returning(
        connection,
        "posts",
        ("workspace_id", "body", "media_ids", "tags", "created_at", "updated_at"),
        [
            (workspace_id, f"post {i}", "[]", '["promo"]' if i % 3 else '["kopi"]', now, now)
            for i in range(targets)
        ],
    )
    target_ids = await _insert_returning(
        connection,
        "post_targets",
        (
            "workspace_id",
            "post_id",
            "channel_id",
            "status",
            "timezone",
            "attempts",
            "published_at",
            "network_post_id",
            "created_at",
            "updated_at",
        ),
        [
            (
                workspace_id,
                post_ids[i],
                channel_ids[i % CHANNELS],
                "PUBLISHED",
                "UTC",
                1,
                published[i],
                f"sbx_{i}",
                now,
                now,
            )
            for i in range(targets)
        ],
    )
    latest = []
    snapshots = []
    for i in range(targets):
        peak = rng.randint(500, 50_000)
        for r in range(readings):
            grown = int(peak * (1 - 0.97 ** (r + 1)))
            snapshots.append(
                (
                    workspace_id,
                    target_ids[i],
                    published[i] + timedelta(minutes=15 * (r + 1)),
                    published[i] + timedelta(minutes=15 * (r + 1)),
                    grown,
                    int(grown * 0.7),
                    grown // 20,
                    grown // 200,
                    grown // 100,
                    grown // 150,
                    None,
                    None,
                    None,
                )
            )
        local = in_zone(published[i], "Asia/Jakarta")
        last = snapshots[-1]
        latest.append(
            (
                workspace_id,
                target_ids[i],
                post_ids[i],
                channel_ids[i % CHANNELS],
                "SANDBOX",
                published[i],
                local.date(),
                hour_of_week(local),
                None,
                last[3],
                readings,
                *last[4:],
            )
        )
        if len(snapshots) >= 200_000:
            await _copy(connection, "metric_snapshots", _SNAPSHOT_COLUMNS, snapshots)
            snapshots = []
    await _copy(connection, "metric_snapshots", _SNAPSHOT_COLUMNS, snapshots)
    rollup_ids = await _insert_returning(connection, "target_metrics", _ROLLUP_COLUMNS, latest)
    await _copy(
        connection,
        "target_tags",
        ("workspace_id", "target_metrics_id", "tag"),
        [(workspace_id, rollup_ids[i], "promo" if i % 3 else "kopi") for i in range(targets)],
    )
    days = [
        (
            workspace_id,
            channel_ids[c],
            (now - timedelta(days=d)).date(),
            10_000 + c * 10 - d,
            rng.randint(0, 90),
            now,
        )
        for c in range(CHANNELS)
        for d in range(400)
    ]
    await _copy(
        connection,
        "channel_metric_days",
        ("workspace_id", "channel_id", "day", "followers", "profile_views", "collected_at"),
        days,
    )
    await _copy(
        connection,
        "conversions",
        (
            "workspace_id",
            "idempotency_key",
            "request_hash",
            "source",
            "occurred_at",
            "value",
            "currency",
            "customer_hash",
            "target_id",
            "post_id",
            "channel_id",
            "created_at",
        ),
        [
            (
                workspace_id,
                f"k{i}",
                "h",
                "API",
                now,
                rng.randint(1, 500) * 1000,
                "IDR",
                f"c{rng.randint(0, 3000)}",
                target_ids[j],
                post_ids[j],
                channel_ids[j % CHANNELS],
                now,
            )
            for i in range(20_000)
            for j in [rng.randrange(targets)]
        ],
    )
    await connection.execute_script("ANALYZE")
    return targets * readings


_SNAPSHOT_COLUMNS = (
    "workspace_id",
    "target_id",
    "bucket",
    "collected_at",
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
    "watch_time_s",
)
_ROLLUP_COLUMNS = (
    "workspace_id",
    "target_id",
    "post_id",
    "channel_id",
    "platform",
    "published_at",
    "published_day",
    "published_hour_of_week",
    "next_poll_at",
    "collected_at",
    "polls",
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
    "watch_time_s",
)


async def _copy(connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    async with connection.acquire_connection() as raw:
        await raw.copy_records_to_table(table, records=rows, columns=list(columns))


async def _insert_returning(connection, table, columns, rows) -> list[int]:
    """COPY the rows, then read their ids back in insertion order."""
    async with connection.acquire_connection() as raw:
        before = await raw.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        await raw.copy_records_to_table(table, records=rows, columns=list(columns))
        ids = await raw.fetch(f"SELECT id FROM {table} WHERE id > $1 ORDER BY id", before)  # noqa: S608
    return [row["id"] for row in ids]


def _windows(today: date) -> list[dict]:
    """A dashboard's windows: this week, this month, the last 90 days."""
    start = (today - timedelta(days=89)).isoformat()
    return [
        {"period": "WEEK"},
        {"period": "MONTH"},
        {"period": "CUSTOM", "start": start, "end": today.isoformat()},
    ]


def _year(today: date) -> list[dict]:
    start = (today - timedelta(days=364)).isoformat()
    return [{"period": "CUSTOM", "start": start, "end": today.isoformat()}]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(port: int, args: argparse.Namespace) -> dict[str, float]:
    from domain.db import close_database, open_database

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token, workspace_gid = await _account(client)
        from api.ids import from_global_id

        await open_database()
        started = time.monotonic()
        snapshots = await load(from_global_id(workspace_gid)[1], args.targets, args.readings)
        await close_database()
        print(f"loaded {snapshots:,} snapshots in {time.monotonic() - started:.0f} s", flush=True)
        today = datetime.now(UTC).date()
        timings: dict[str, list[float]] = {}
        for suffix, windows, requests in (
            ("", _windows(today), args.requests),
            ("_year", _year(today), max(20, args.requests // 4)),  # overview_year, …
        ):
            plans = {
                "overview": [
                    (OVERVIEW, {"window": w, "by": by}) for w in windows for by in (None, "CHANNEL")
                ],
                "series": [
                    (SERIES, {"window": w, "interval": interval})
                    for w in windows
                    for interval in ("DAY", "WEEK")
                ],
            }
            for name, plan in plans.items():
                for query, variables in plan:  # warm-up
                    await _graphql(client, query, {"ws": workspace_gid, **variables}, token)
                samples = timings.setdefault(name + suffix, [])
                for index in range(requests):
                    query, variables = plan[index % len(plan)]
                    begun = time.perf_counter()
                    await _graphql(client, query, {"ws": workspace_gid, **variables}, token)
                    samples.append((time.perf_counter() - begun) * 1000)
    figures: dict[str, float] = {}
    for name, samples in timings.items():
        figures[f"{name}_p50_ms"] = round(_percentile(samples, 0.5), 1)
        figures[f"{name}_p95_ms"] = round(_percentile(samples, 0.95), 1)
    figures["snapshots"] = snapshots
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--targets", type=int, default=50_000)
    parser.add_argument("--readings", type=int, default=100)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    if not (os.environ.get("KELOLA_DATABASE_URL") or "").startswith("postgres"):
        sys.exit(
            "bench/analytics_query.py loads data with COPY: set KELOLA_DATABASE_URL to a "
            "PostgreSQL server (the goal is stated for PostgreSQL)"
        )
    port = _free_port()
    environment = prepare_environment(
        KELOLA_PORT=str(port),
        KELOLA_RATE_LIMIT_PER_MINUTE="100000",
        KELOLA_RATE_LIMIT_BURST="100000",
    )
    server = None
    try:
        subprocess.run(
            [sys.executable, "-m", "api.cli", "migrate"],
            env=environment.env,  # noqa: S603
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        log = open(Path(environment.env["KELOLA_DATA_DIR"]) / "server.log", "ab")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],  # noqa: S603
            env=environment.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        figures = asyncio.run(measure(port, args))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        environment.close()
    for name, value in figures.items():
        print(f"{name}: {value}")
    if max(figures["overview_p95_ms"], figures["series_p95_ms"]) > 150:
        print("goal (p95 <= 150 ms) NOT met")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
