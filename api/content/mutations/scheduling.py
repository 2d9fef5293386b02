"""postSchedule, postAddToQueue, postCancel, queueSlotsSet, contentPolicyUpdate."""

from __future__ import annotations

import re
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.inputs import PostCancelInput, PostRefInput, PostScheduleInput, QueueSlotsSetInput
from api.content.mutations.common import INPUT, post_mutation
from api.content.payloads import (
    ContentPolicy,
    ContentPolicyPayload,
    PostPayload,
    QueueSlot,
    QueueSlotsPayload,
)
from api.errors import user_errors
from api.ids import parse_id
from domain.content import models, policy, scheduling, series
from domain.errors import DomainError, ErrorCode, Problem, ValidationFailed
from domain.uow import unit_of_work

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _minute_of_day(value: str, index: int) -> int:
    match = _TIME.match(value)
    if match is None:
        raise ValidationFailed(
            [Problem(f"slots.{index}.time", ErrorCode.INVALID, "time must be HH:MM (24 h)")]
        )
    return int(match.group(1)) * 60 + int(match.group(2))


def queue_slot(row: models.QueueSlot) -> QueueSlot:
    return QueueSlot(
        weekday=row.weekday,
        time=f"{row.minute_of_day // 60:02d}:{row.minute_of_day % 60:02d}",
        timezone=row.timezone,
    )


def content_policy(row: models.ContentPolicy) -> ContentPolicy:
    return ContentPolicy(
        approval_required=row.approval_required,
        max_posts_per_channel_per_day=row.max_posts_per_channel_per_day,
        min_minutes_between_posts=row.min_minutes_between_posts,
    )


@strawberry.input(description="A workspace's publishing rules.")
class ContentPolicyUpdateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    approval_required: bool = strawberry.field(description="Posts need approval to schedule.")
    max_posts_per_channel_per_day: int | None = strawberry.field(
        default=None, description="At most this many posts per channel per day; null: no limit."
    )
    min_minutes_between_posts: int | None = strawberry.field(
        default=None, description="Minutes between two posts on a channel; null: no limit."
    )


@strawberry.type
class SchedulingMutation:
    @strawberry.mutation(
        description="Schedule every target of a post at one instant. Runs the full "
        "validation; errors refuse it (listed in `validation`), warnings do not."
    )
    async def post_schedule(
        self,
        info: Info,
        input: Annotated[PostScheduleInput, strawberry.argument(description=INPUT)],
    ) -> PostPayload:
        if input.recurrence is not None:
            return await post_mutation(
                lambda: series.schedule_series(
                    info.context.actor,
                    post_id=parse_id(input.post_id, "Post", "postId"),
                    at=input.at,
                    timezone=input.timezone,
                    rule=input.recurrence,
                )
            )
        return await post_mutation(
            lambda: scheduling.schedule_post(
                info.context.actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                at=input.at,
                timezone=input.timezone,
            )
        )

    @strawberry.mutation(description="Put each target in the next free slot of its channel.")
    async def post_add_to_queue(
        self, info: Info, input: Annotated[PostRefInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: scheduling.add_to_queue(
                info.context.actor, post_id=parse_id(input.post_id, "Post", "postId")
            )
        )

    @strawberry.mutation(
        description="Cancel every target not yet publishing; works until the publisher "
        "claims a target, which is never earlier than one second before its time."
    )
    async def post_cancel(
        self, info: Info, input: Annotated[PostCancelInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        cancel = series.cancel_series if input.whole_series else scheduling.cancel_post
        return await post_mutation(
            lambda: cancel(
                info.context.actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="Replace a channel's weekly queue slots.")
    async def queue_slots_set(
        self,
        info: Info,
        input: Annotated[QueueSlotsSetInput, strawberry.argument(description=INPUT)],
    ) -> QueueSlotsPayload:
        try:
            async with unit_of_work():
                rows = await scheduling.set_queue_slots(
                    info.context.actor,
                    channel_id=parse_id(input.channel_id, "Channel", "channelId"),
                    timezone=input.timezone,
                    slots=[
                        scheduling.SlotInput(slot.weekday, _minute_of_day(slot.time, index))
                        for index, slot in enumerate(input.slots)
                    ],
                )
        except DomainError as error:
            return QueueSlotsPayload(errors=user_errors(error))
        return QueueSlotsPayload(slots=[queue_slot(row) for row in rows])

    @strawberry.mutation(description="Set a workspace's approval and posting-frequency rules.")
    async def content_policy_update(
        self,
        info: Info,
        input: Annotated[ContentPolicyUpdateInput, strawberry.argument(description=INPUT)],
    ) -> ContentPolicyPayload:
        try:
            async with unit_of_work():
                row = await policy.update_policy(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    approval_required=input.approval_required,
                    max_posts_per_channel_per_day=input.max_posts_per_channel_per_day,
                    min_minutes_between_posts=input.min_minutes_between_posts,
                )
        except DomainError as error:
            return ContentPolicyPayload(errors=user_errors(error))
        return ContentPolicyPayload(policy=content_policy(row))
