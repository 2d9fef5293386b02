"""Channels' audience, once per UTC day: followers and profile views."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from tortoise.expressions import Subquery

from domain.analytics.models import ChannelMetricDay
from domain.channels.models import READABLE, Channel
from domain.channels.tokens import ChannelUnusable, fresh_credentials
from domain.platforms.base import Capability, ProviderError
from domain.platforms.registry import provider_for
from domain.publishing.limits import take_read_slot
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)


async def channels_without_day(day: date) -> list[int]:
    """Usable channels whose audience has not been read on `day` yet."""
    done = ChannelMetricDay.filter(day=day).values("channel_id")
    return list(
        await Channel.filter(health__in=READABLE)
        .exclude(id__in=Subquery(done))
        .order_by("id")
        .values_list("id", flat=True)
    )


async def read_audience(channel_id: int, now: datetime | None = None) -> ChannelMetricDay | None:
    """Read and store the channel's audience for today (UTC); the day's first reading stays."""
    now = now or datetime.now(UTC)
    channel = await Channel.get_or_none(id=channel_id)
    if channel is None or channel.health not in READABLE:
        return None
    provider = provider_for(channel.platform)
    if Capability.METRICS not in provider.capabilities:
        return None
    if not (await take_read_slot(channel.platform, channel_id)).allowed:
        return None  # the next hourly round asks again
    try:
        credentials = await fresh_credentials(channel_id, channel)
        audience = await provider.fetch_channel_metrics(credentials)
    except (ChannelUnusable, ProviderError) as error:
        logger.warning("audience of channel %s not read: %s", channel_id, error)
        return None
    async with unit_of_work():
        await ChannelMetricDay.bulk_create(
            [
                ChannelMetricDay(
                    workspace_id=channel.workspace_id,
                    channel_id=channel_id,
                    day=now.date(),
                    followers=audience.followers,
                    profile_views=audience.profile_views,
                    collected_at=now,
                )
            ],
            ignore_conflicts=True,
        )
    return await ChannelMetricDay.get_or_none(channel_id=channel_id, day=now.date())
