"""Database configuration, start-up and migrations (Tortoise ORM)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as migrate_api

from domain.settings import get_settings

MODEL_MODULES = [
    "domain.identity.models",
    "domain.channels.models",
    "domain.platforms.sandbox.models",
    "domain.content.models",
    "domain.content.series_models",
    "domain.strategy.models",
    "domain.analytics.models",
    "domain.webhooks.models",
    "domain.listening.models",
    "domain.alerts.models",
]
APP_LABEL = "kelola"
T = TypeVar("T")


def _with_connection_options(url: str) -> str:
    """SQLite waits for a busy database instead of failing and syncs at checkpoints;
    PostgreSQL gets a pool sized for a worker's concurrent jobs (asyncpg's default of 5
    queues them)."""
    separator = "&" if "?" in url else "?"
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        # WAL (Tortoise's default) with synchronous=NORMAL: no fsync per commit, and a crash
        # still cannot corrupt the database (the last commits may be lost on power loss).
        return f"{url}{separator}busy_timeout=10000&synchronous=NORMAL"
    if url.startswith("postgres") and "maxsize" not in url:
        return f"{url}{separator}maxsize={get_settings().database_pool_size}"
    return url


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    url = _with_connection_options(database_url or get_settings().resolved_database_url)
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `tortoise -c domain.db.TORTOISE_ORM makemigrations` reads this, computed on access.
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)


async def open_database(database_url: str | None = None) -> TortoiseContext:
    # Requests and jobs run in tasks other than the one that opened the database.
    return await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str | None = None) -> None:
    """Apply every pending migration; safe to run on every start."""
    config = tortoise_config(database_url)
    async with TortoiseContext() as context:
        await context.init(config=config)
        await migrate_api(config=config)
        await context.close_connections()


async def ping_database() -> None:
    connection = Tortoise.get_connection("default")
    await connection.execute_query("SELECT 1")


def from_db_time(value: datetime | str) -> datetime:
    """A datetime read with plain SQL: SQLite hands back the ISO text Tortoise stored."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def read_concurrently(*reads: Awaitable[T]) -> list[T]:
    """Run independent reads at once, each on a pooled connection of its own (PostgreSQL
    runs them in parallel). Inside a transaction they share its one connection, so they
    run one after another there."""
    connection = connections.get("default")
    if isinstance(connection, TransactionalDBClient):
        return [await read for read in reads]
    return list(await asyncio.gather(*reads))
