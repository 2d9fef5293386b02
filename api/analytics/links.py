"""Tracked links: `linkCreate` and the `links` query."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.link_types import TrackedLink
from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id
from api.mutations import mutation_payload
from api.node import node_type
from api.pagination import Connection
from domain.analytics import links
from domain.errors import Problem, ValidationFailed

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.input(description="A link to track.")
class LinkCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    url: str = strawberry.field(description="An http(s) URL with a host, at most 2,048 chars.")
    post_id: strawberry.ID | None = strawberry.field(
        default=None, description="The post it is for (sets utm_content to post-<id>)."
    )
    channel_id: strawberry.ID | None = strawberry.field(
        default=None, description="The channel it is shared on (sets utm_source to its network)."
    )
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The campaign (sets utm_campaign); defaults to the post's campaign.",
    )


@strawberry.type(description="Result of `linkCreate`.")
class LinkCreatePayload:
    link: TrackedLink | None = strawberry.field(default=None, description="The new link.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


def _optional_id(value: str | None, type_name: str, field: str, problems: list[Problem]):
    if value is None:
        return None
    try:
        return parse_id(value, type_name, field)
    except ValidationFailed as error:
        problems.extend(error.problems)
        return None


node_type("TrackedLink", links.get_link, TrackedLink.from_model)


@strawberry.type
class LinkMutation:
    @strawberry.mutation(
        description="Make a tracked short link to a URL, with UTM parameters for its post, "
        "channel and campaign."
    )
    async def link_create(
        self,
        info: Info,
        input: Annotated[LinkCreateInput, strawberry.argument(description=INPUT)],
    ) -> LinkCreatePayload:

        async def create():
            problems: list[Problem] = []
            workspace_id = parse_id(input.workspace_id, "Workspace", "workspaceId")
            draft = links.LinkDraft(
                url=input.url,
                post_id=_optional_id(input.post_id, "Post", "postId", problems),
                channel_id=_optional_id(input.channel_id, "Channel", "channelId", problems),
                campaign_id=_optional_id(input.campaign_id, "Campaign", "campaignId", problems),
                problems=tuple(problems),
            )
            return await links.create_link(
                info.context.actor, workspace_id=workspace_id, draft=draft
            )

        return await mutation_payload(
            create, LinkCreatePayload, lambda row: {"link": TrackedLink.from_model(row)}
        )


@strawberry.type
class LinkQuery:
    @strawberry.field(description="Tracked links of a workspace, oldest first.")
    async def links(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        post_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only the links of this post.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[TrackedLink]:
        page = await links.list_links(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            post_id=parse_id(post_id, "Post", "postId") if post_id is not None else None,
            first=first,
            after=after,
        )
        return Connection.from_page(page, TrackedLink.from_model)
