"""Writing metric readings in bulk: snapshots inserted once per bucket, rollup rows updated.

The polling cycle writes tens of thousands of readings a second, so this is plain SQL in the
caller's transaction: on PostgreSQL one statement per table with the columns as arrays, on
SQLite prepared statements run over all rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from domain.db import from_db_time
from domain.platforms.base import PostMetrics

METRIC_FIELDS = (
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


@dataclass(frozen=True)
class Reading:
    """One target's metrics as read at `collected_at`, and when to read it next."""

    workspace_id: int
    target_id: int
    collected_at: datetime
    bucket: datetime
    next_poll_at: datetime | None
    metrics: PostMetrics


def _values(metrics: PostMetrics) -> list[int | None]:
    return [
        metrics.impressions,
        metrics.reach,
        metrics.likes,
        metrics.comments,
        metrics.shares,
        metrics.saves,
        metrics.clicks,
        metrics.video_views,
        metrics.watch_time_s,
    ]


_SNAPSHOT_COLUMNS = ("workspace_id", "target_id", "bucket", "collected_at", *METRIC_FIELDS)
_SNAPSHOT_TYPES = ("bigint", "bigint", "timestamptz", "timestamptz") + ("bigint",) * 9
_ROLLUP_COLUMNS = ("collected_at", "next_poll_at", *METRIC_FIELDS)
_ROLLUP_TYPES = ("timestamptz", "timestamptz") + ("bigint",) * 9


def _arrays(types: tuple[str, ...]) -> str:
    return ", ".join(f"${i + 1}::{kind}[]" for i, kind in enumerate(types))


# Built once from the constant column names above; values only ever travel as parameters.
_PG_SNAPSHOTS = (
    f"INSERT INTO metric_snapshots ({', '.join(_SNAPSHOT_COLUMNS)}) "  # noqa: S608
    f"SELECT * FROM unnest({_arrays(_SNAPSHOT_TYPES)}) ON CONFLICT (target_id, bucket) DO NOTHING"
)
_PG_ROLLUPS = (
    "UPDATE target_metrics AS t SET "  # noqa: S608
    + ", ".join(f"{name} = v.{name}" for name in _ROLLUP_COLUMNS)
    + f", polls = t.polls + 1 FROM unnest({_arrays((*_ROLLUP_TYPES, 'bigint'))}) "
    + f"AS v ({', '.join(_ROLLUP_COLUMNS)}, target_id) WHERE t.target_id = v.target_id"
)
_SQLITE_SNAPSHOTS = (
    f"INSERT INTO metric_snapshots ({', '.join(_SNAPSHOT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(_SNAPSHOT_COLUMNS))}) "
    "ON CONFLICT (target_id, bucket) DO NOTHING"
)
_SQLITE_ROLLUPS = (
    "UPDATE target_metrics SET "  # noqa: S608
    + ", ".join(f"{name} = ?" for name in _ROLLUP_COLUMNS)
    + ", polls = polls + 1 WHERE target_id = ?"
)


@dataclass(frozen=True)
class Due:
    """A target due for a reading."""

    target_id: int
    workspace_id: int
    post_id: int
    published_at: datetime
    network_post_id: str | None


_DUE = (
    "SELECT m.target_id, m.workspace_id, m.post_id, m.published_at, t.network_post_id "
    "FROM target_metrics m JOIN post_targets t ON t.id = m.target_id "
    "WHERE m.channel_id = {0} AND m.next_poll_at <= {1} ORDER BY m.next_poll_at, m.id LIMIT {2}"
)


async def due_targets(channel_id: int, now: datetime, limit: int) -> list[Due]:
    """The channel's targets due at `now`, longest waiting first (plain SQL: this runs for
    every batch of every poll, and the ORM's row conversion was most of its cost)."""
    connection = connections.get("default")
    marks = ("$1", "$2", "$3") if connection.capabilities.dialect == "postgres" else "???"
    _, rows = await connection.execute_query(_DUE.format(*marks), [channel_id, now, limit])
    return [Due(r[0], r[1], r[2], from_db_time(r[3]), r[4]) for r in rows]


async def write_readings(readings: Sequence[Reading]) -> None:
    """Insert each reading's snapshot (a second one in the same bucket is ignored) and move
    its target's rollup row to the new values and the next poll time. Call inside a
    transaction."""
    if not readings:
        return
    connection = connections.get("default")
    snapshots = [
        [r.workspace_id, r.target_id, r.bucket, r.collected_at, *_values(r.metrics)]
        for r in readings
    ]
    rollups = [[r.collected_at, r.next_poll_at, *_values(r.metrics), r.target_id] for r in readings]
    if connection.capabilities.dialect == "postgres":
        await _write_postgres(connection, snapshots, rollups)
    else:
        await _write_sqlite(connection, snapshots, rollups)


async def _write_postgres(connection, snapshots: list[list], rollups: list[list]) -> None:
    """One statement each, whatever the number of rows: columns travel as arrays."""
    await connection.execute_query(_PG_SNAPSHOTS, [list(c) for c in zip(*snapshots, strict=True)])
    await connection.execute_query(_PG_ROLLUPS, [list(c) for c in zip(*rollups, strict=True)])


async def _write_sqlite(connection, snapshots: list[list], rollups: list[list]) -> None:
    await connection.execute_many(_SQLITE_SNAPSHOTS, snapshots)
    await connection.execute_many(_SQLITE_ROLLUPS, rollups)
