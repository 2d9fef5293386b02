"""postSubmitForReview, postApprove, postReject, postCommentAdd."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.inputs import PostApproveInput, PostCommentAddInput, PostRefInput, PostRejectInput
from api.content.mutations.common import INPUT, post_mutation
from api.content.payloads import PostCommentPayload, PostPayload
from api.content.types import PostComment
from api.errors import user_errors
from api.ids import parse_id
from domain.content import workflow
from domain.errors import DomainError
from domain.uow import unit_of_work


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(description="Send a post's DRAFT, FAILED or CANCELLED targets to review.")
    async def post_submit_for_review(
        self, info: Info, input: Annotated[PostRefInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: workflow.submit_for_review(
                info.context.actor, post_id=parse_id(input.post_id, "Post", "postId")
            )
        )

    @strawberry.mutation(description="Approve a post under review (APPROVER, ADMIN, OWNER).")
    async def post_approve(
        self, info: Info, input: Annotated[PostApproveInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: workflow.approve(
                info.context.actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                comment=input.comment,
            )
        )

    @strawberry.mutation(description="Send a post back to its author as a draft, with a reason.")
    async def post_reject(
        self, info: Info, input: Annotated[PostRejectInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: workflow.reject(
                info.context.actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="Add a comment to a post's review discussion.")
    async def post_comment_add(
        self,
        info: Info,
        input: Annotated[PostCommentAddInput, strawberry.argument(description=INPUT)],
    ) -> PostCommentPayload:
        try:
            async with unit_of_work():
                comment = await workflow.add_comment(
                    info.context.actor,
                    post_id=parse_id(input.post_id, "Post", "postId"),
                    body=input.body,
                )
        except DomainError as error:
            return PostCommentPayload(errors=user_errors(error))
        return PostCommentPayload(comment=PostComment.from_model(comment))
