"""Content queries: the calendar, postValidate, the content policy, and node resolvers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.inputs import CalendarFilterInput, PostValidateInput
from api.content.mutations.scheduling import content_policy
from api.content.payloads import ContentPolicy
from api.content.types import Post, PostTarget, ValidationReport
from api.ids import parse_id
from api.node import node_type
from domain.content import checks, queries
from domain.content import policy as policy_service
from domain.errors import ErrorCode, Problem, ValidationFailed

node_type("Post", queries.get_post, Post.from_model)
node_type("PostTarget", queries.get_target, PostTarget.from_model)


@strawberry.type
class ContentQuery:
    @strawberry.field(
        description="Targets placed between `from` and `to` (at most 366 days, 5,000 entries), "
        "in time order, with their posts."
    )
    async def calendar(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="Start (inclusive, UTC offset).")
        ],
        to: Annotated[datetime, strawberry.argument(description="End (exclusive, UTC offset).")],
        filter: Annotated[
            CalendarFilterInput | None, strawberry.argument(description="What to show.")
        ] = None,
    ) -> list[PostTarget]:
        where = filter or CalendarFilterInput()
        rows = await queries.calendar(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            queries.CalendarFilter(
                start=from_,
                end=to,
                channel_ids=tuple(parse_id(i, "Channel", "channelIds") for i in where.channel_ids),
                statuses=tuple(where.statuses),
                tags=tuple(where.tags),
                author_ids=tuple(parse_id(i, "User", "authorIds") for i in where.author_ids),
                campaign_ids=tuple(
                    parse_id(i, "Campaign", "campaignIds") for i in where.campaign_ids
                ),
            ),
        )
        posts = info.context.loaders.scoped(queries.posts_by_ids)
        for row in rows:
            posts.prime(row.post_id, row.post)
        return [PostTarget.from_model(row) for row in rows]

    @strawberry.field(
        description="Every rule a post (stored, or a draft) breaks on every channel it targets. "
        "The same checks run when scheduling."
    )
    async def post_validate(
        self,
        info: Info,
        input: Annotated[PostValidateInput, strawberry.argument(description="What to check.")],
    ) -> ValidationReport:
        actor = info.context.actor
        if input.post_id is not None:
            report = await checks.validate_stored(
                actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                at=input.at,
                timezone=input.timezone,
            )
        elif input.workspace_id is not None and input.content is not None:
            report = await checks.validate_draft(
                actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                draft=input.content.to_draft(),
                at=input.at,
                timezone=input.timezone,
            )
        else:
            raise ValidationFailed(
                [Problem("postId", ErrorCode.REQUIRED, "give postId, or workspaceId and content")]
            )
        return ValidationReport.from_report(report)

    @strawberry.field(description="A workspace's approval and posting-frequency rules.")
    async def content_policy(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
    ) -> ContentPolicy:
        row = await policy_service.get_policy(
            info.context.actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        return content_policy(row)
