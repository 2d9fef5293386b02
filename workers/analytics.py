"""Analytics jobs: thin wrappers over the domain's polling."""

from __future__ import annotations

from domain.analytics.audience import read_audience
from domain.analytics.collection import poll_channel
from domain.analytics.polling import audience_round, metrics_round


async def metrics_round_job(ctx: dict) -> int:
    return await metrics_round()


async def audience_round_job(ctx: dict) -> int:
    return await audience_round()


async def poll_channel_job(ctx: dict, channel_id: int) -> int:
    return (await poll_channel(channel_id)).read


async def read_audience_job(ctx: dict, channel_id: int) -> bool:
    return await read_audience(channel_id) is not None
