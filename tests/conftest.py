"""Test set-up: real PostgreSQL + Redis when KELOLA_TEST_* are set, else the embedded default.

Each session gets its own database with the migrations applied (never generate_schemas);
every test starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="kelola-test-"))
_PG_BASE = os.environ.get("KELOLA_TEST_DATABASE_URL")
_REDIS = os.environ.get("KELOLA_TEST_REDIS_URL")
_DB_NAME = f"kelola_test_{uuid.uuid4().hex[:10]}"

os.environ.update(
    {
        "KELOLA_ENV": "test",
        "KELOLA_DATA_DIR": str(_TMP),
        "KELOLA_JWT_SECRET": "test-secret-" + "x" * 40,
        "KELOLA_ENCRYPTION_KEY": "n2mFOBfqTdgXh0aWbMKHWv3VqIaH2vI4T5BHkBqC6kA=",
        "KELOLA_RATE_LIMIT_BURST": "100000",
        "KELOLA_RATE_LIMIT_PER_MINUTE": "100000",
    }
)
if _PG_BASE:
    os.environ["KELOLA_DATABASE_URL"] = _PG_BASE.rsplit("/", 1)[0] + "/" + _DB_NAME
else:
    os.environ["KELOLA_DATABASE_URL"] = f"sqlite://{_TMP / 'test.sqlite3'}"
if _REDIS:
    os.environ["KELOLA_REDIS_URL"] = _REDIS
else:
    os.environ.pop("KELOLA_REDIS_URL", None)

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402
from tortoise.contrib.test import truncate_all_models  # noqa: E402

from domain.db import close_database, migrate, open_database  # noqa: E402
from domain.redis import close_redis, get_redis  # noqa: E402
from tests.helpers import GraphQLClient, QueryCounter  # noqa: E402

DATABASE_URL = os.environ["KELOLA_DATABASE_URL"]
USES_POSTGRES = DATABASE_URL.startswith("postgres")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(_PG_BASE.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def database():
    if USES_POSTGRES:
        await _admin(f'CREATE DATABASE "{_DB_NAME}"')
    await migrate()
    await open_database()
    yield DATABASE_URL
    await close_database()
    from domain.jobs import close_job_pool

    await close_job_pool()
    await get_redis().flushdb()
    await close_redis()
    if USES_POSTGRES:
        await _admin(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)')


@pytest_asyncio.fixture(autouse=True)
async def clean_state(database):
    await get_redis().flushdb()
    yield
    await truncate_all_models()
    await get_redis().flushdb()


@pytest.fixture(scope="session")
def app():
    from api.app import create_app

    return create_app(manage_database=False)


@pytest_asyncio.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://kelola.test") as client:
        yield client


@pytest_asyncio.fixture
async def gql(http) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
def queries() -> QueryCounter:
    return QueryCounter()
