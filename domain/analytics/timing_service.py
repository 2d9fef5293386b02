"""Best times for a channel the caller may read analytics of."""

from __future__ import annotations

from dataclasses import dataclass

from domain.analytics.periods import today_in
from domain.analytics.timing import Heatmap, SlotSuggestion, heatmap, suggest_slots
from domain.channels.models import Channel
from domain.errors import ErrorCode, NotFound, Problems
from domain.identity.models import Workspace
from domain.identity.roles import Permission
from domain.tenancy import Actor, visible_to


@dataclass(frozen=True)
class ChannelHeatmap:
    channel: Channel
    timezone: str
    heatmap: Heatmap


async def best_times(actor: Actor, channel_id: int, lookback_days: int) -> ChannelHeatmap:
    problems = Problems()
    if not 7 <= lookback_days <= 730:
        problems.add("lookbackDays", ErrorCode.INVALID, "lookbackDays must be 7 to 730")
    problems.raise_if_any()
    channel = await visible_to(actor, Channel).get_or_none(id=channel_id)
    if channel is None:
        raise NotFound("channel", field="channelId")
    await actor.require(channel.workspace_id, Permission.ANALYTICS_READ)
    workspace = await Workspace.get(id=channel.workspace_id)
    today = today_in(workspace.timezone)
    return ChannelHeatmap(channel, workspace.timezone, await heatmap(channel, today, lookback_days))


async def suggested_slots(
    actor: Actor, channel_id: int, count: int, lookback_days: int
) -> tuple[ChannelHeatmap, list[SlotSuggestion]]:
    problems = Problems()
    if not 1 <= count <= 56:
        problems.add("count", ErrorCode.INVALID, "count must be 1 to 56")
    problems.raise_if_any()
    result = await best_times(actor, channel_id, lookback_days)
    return result, suggest_slots(result.heatmap.cells, count)
