"""Fixtures for analytics tests."""

from __future__ import annotations

import pytest_asyncio

from tests.domain.analytics.factories import World, make_world


@pytest_asyncio.fixture
async def world() -> World:
    return await make_world()
