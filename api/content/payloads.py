"""Results of content mutations."""

from __future__ import annotations

import strawberry

from api.content.types import Post, PostComment, ValidationReport
from api.errors import UserError

ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.type(description="A post after a change, or why nothing changed.")
class PostPayload:
    post: Post | None = strawberry.field(default=None, description="The post.")
    validation: ValidationReport | None = strawberry.field(
        default=None,
        description="From mutations that schedule: every rule on every channel; errors "
        "refused it, warnings did not. Null for other mutations.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `postDelete`.")
class PostDeletePayload:
    deleted_post_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the post that no longer exists."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `postCommentAdd`.")
class PostCommentPayload:
    comment: PostComment | None = strawberry.field(default=None, description="The comment.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="A channel's weekly queue.")
class QueueSlot:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    time: str = strawberry.field(description="Wall-clock time, HH:MM.")
    timezone: str = strawberry.field(description="The IANA timezone of the time.")


@strawberry.type(description="Result of `queueSlotsSet`.")
class QueueSlotsPayload:
    slots: list[QueueSlot] = strawberry.field(default_factory=list, description="The slots.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="A workspace's publishing rules.")
class ContentPolicy:
    approval_required: bool = strawberry.field(
        description="Whether posts need an APPROVER's or ADMIN's approval before scheduling."
    )
    max_posts_per_channel_per_day: int | None = strawberry.field(
        description="At most this many posts per channel per day (workspace timezone)."
    )
    min_minutes_between_posts: int | None = strawberry.field(
        description="At least this many minutes between two posts on a channel."
    )


@strawberry.type(description="Result of `contentPolicyUpdate`.")
class ContentPolicyPayload:
    policy: ContentPolicy | None = strawberry.field(default=None, description="The policy.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
