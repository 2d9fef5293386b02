"""postCreate, postUpdate, postDelete."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.inputs import PostCreateInput, PostRefInput, PostUpdateInput
from api.content.mutations.common import INPUT, post_mutation
from api.content.payloads import PostDeletePayload, PostPayload
from api.errors import user_errors
from api.ids import parse_id, to_global_id
from domain.content import posts
from domain.errors import DomainError
from domain.uow import unit_of_work


@strawberry.type
class PostMutation:
    @strawberry.mutation(description="Create a post; every target starts as a DRAFT.")
    async def post_create(
        self, info: Info, input: Annotated[PostCreateInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: posts.create_post(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                draft=input.content.to_draft(),
            )
        )

    @strawberry.mutation(
        description="Replace a post's content and channels. With approvals on, an approved "
        "or scheduled post goes back to review."
    )
    async def post_update(
        self, info: Info, input: Annotated[PostUpdateInput, strawberry.argument(description=INPUT)]
    ) -> PostPayload:
        return await post_mutation(
            lambda: posts.update_post(
                info.context.actor,
                post_id=parse_id(input.post_id, "Post", "postId"),
                draft=input.content.to_draft(),
            )
        )

    @strawberry.mutation(description="Delete a post that was never (possibly) published.")
    async def post_delete(
        self, info: Info, input: Annotated[PostRefInput, strawberry.argument(description=INPUT)]
    ) -> PostDeletePayload:
        try:
            async with unit_of_work():
                post = await posts.delete_post(
                    info.context.actor, post_id=parse_id(input.post_id, "Post", "postId")
                )
        except DomainError as error:
            return PostDeletePayload(errors=user_errors(error))
        return PostDeletePayload(deleted_post_id=strawberry.ID(to_global_id("Post", post.id)))
