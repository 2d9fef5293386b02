"""Listening jobs: thin wrappers over the domain's collection."""

from __future__ import annotations

from domain.listening.collection import listening_round, search
from domain.listening.feeds import read_feed


async def listening_round_job(ctx: dict) -> int:
    return await listening_round()


async def search_job(ctx: dict, query_id: int, channel_id: int) -> int:
    return await search(query_id, channel_id)


async def read_feed_job(ctx: dict, feed_id: int) -> int:
    return await read_feed(feed_id)
