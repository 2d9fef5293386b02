"""bestTimes and queueSlotsSuggest: when a channel's audience engages most."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.types import Channel
from api.ids import parse_id
from domain.analytics import timing
from domain.analytics import timing_service as service

CHANNEL = "The channel."
LOOKBACK = "How many days of results to learn from, 7 to 730."

CellSource = strawberry.enum(
    timing.CellSource,
    name="BestTimeSource",
    description="Where a cell's rate comes from: CHANNEL (enough posts in that hour), "
    "CHANNEL_HOUR (the channel's same hour on any day), WORKSPACE (the same network's posts "
    "across the workspace), DEFAULT (a general curve: no data of the workspace's own).",
)
RateBasis = strawberry.enum(
    timing.RateBasis,
    name="EngagementRateBasis",
    description="What engagement is divided by: REACH, IMPRESSIONS, or POSTS for networks "
    "that report neither.",
)


@strawberry.type(description="One hour of the week in the heatmap.")
class BestTimeCell:
    day_of_week: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    hour: int = strawberry.field(description="0 to 23, in the workspace's timezone.")
    posts: int = strawberry.field(description="The channel's posts published in this hour.")
    engagement_rate: float | None = strawberry.field(
        description="Engagements per unit of the basis; null when nothing is known."
    )
    score: float = strawberry.field(description="0 to 1; 1 is the week's best hour.")
    source: CellSource = strawberry.field(description="Where the rate comes from.")


@strawberry.type(description="An hour-of-week heatmap of a channel's engagement.")
class BestTimes:
    channel: Channel = strawberry.field(description="The channel.")
    timezone: str = strawberry.field(description="The workspace timezone of the hours.")
    basis: RateBasis = strawberry.field(description="What the rates are relative to.")
    posts: int = strawberry.field(description="Posts behind the heatmap.")
    lookback_days: int = strawberry.field(description="Days of results used.")
    cells: list[BestTimeCell] = strawberry.field(description="168 cells, Monday 00:00 first.")


@strawberry.type(description="A suggested weekly queue slot.")
class SuggestedSlot:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    time: str = strawberry.field(description="Wall-clock time, HH:MM.")
    score: float = strawberry.field(description="0 to 1, from the heatmap.")
    posts: int = strawberry.field(description="The channel's posts behind the cell.")
    source: CellSource = strawberry.field(description="Where the cell's rate comes from.")


@strawberry.type(
    description="Queue slots at the channel's best hours; pass them to `queueSlotsSet` "
    "(weekday, time, timezone) to use them."
)
class QueueSlotSuggestions:
    channel: Channel = strawberry.field(description="The channel.")
    timezone: str = strawberry.field(description="The timezone of the times.")
    slots: list[SuggestedSlot] = strawberry.field(description="Ordered by weekday and time.")


def _cell(cell: timing.Cell) -> BestTimeCell:
    return BestTimeCell(
        day_of_week=cell.weekday,
        hour=cell.hour,
        posts=cell.posts,
        engagement_rate=cell.rate,
        score=cell.score,
        source=cell.source,
    )


@strawberry.type
class TimingQuery:
    @strawberry.field(description="When a channel's posts earn the most engagement.")
    async def best_times(
        self,
        info: Info,
        channel_id: Annotated[strawberry.ID, strawberry.argument(description=CHANNEL)],
        lookback_days: Annotated[int, strawberry.argument(description=LOOKBACK)] = 90,
    ) -> BestTimes:
        result = await service.best_times(
            info.context.actor, parse_id(channel_id, "Channel", "channelId"), lookback_days
        )
        return BestTimes(
            channel=Channel.from_model(result.channel),
            timezone=result.timezone,
            basis=result.heatmap.basis,
            posts=result.heatmap.posts,
            lookback_days=lookback_days,
            cells=[_cell(cell) for cell in result.heatmap.cells],
        )

    @strawberry.field(description="Weekly queue slots at a channel's best hours.")
    async def queue_slots_suggest(
        self,
        info: Info,
        channel_id: Annotated[strawberry.ID, strawberry.argument(description=CHANNEL)],
        count: Annotated[int, strawberry.argument(description="How many slots, 1 to 56.")] = 7,
        lookback_days: Annotated[int, strawberry.argument(description=LOOKBACK)] = 90,
    ) -> QueueSlotSuggestions:
        result, slots = await service.suggested_slots(
            info.context.actor, parse_id(channel_id, "Channel", "channelId"), count, lookback_days
        )
        return QueueSlotSuggestions(
            channel=Channel.from_model(result.channel),
            timezone=result.timezone,
            slots=[
                SuggestedSlot(
                    weekday=slot.weekday,
                    time=f"{slot.hour:02d}:00",
                    score=slot.score,
                    posts=slot.posts,
                    source=slot.source,
                )
                for slot in slots
            ],
        )
