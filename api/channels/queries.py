"""Channel queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.types import Channel, ChannelConnectAttempt, ChannelHealth, Platform
from api.identity.types import After, First
from api.ids import parse_id
from api.node import node_type
from api.pagination import Connection
from domain.channels import attempts, service
from domain.errors import DomainError

node_type("Channel", service.get_channel, Channel.from_model)
node_type("ChannelConnectAttempt", attempts.attempt_view, ChannelConnectAttempt.from_view)


@strawberry.type
class ChannelQuery:
    @strawberry.field(
        description=(
            "A connection the viewer started through a network's sign-in (`attemptId` of "
            "the callback); null when unknown or started by someone else."
        )
    )
    async def channel_connect_attempt(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The attempt's id.")],
    ) -> ChannelConnectAttempt | None:
        try:
            pk = parse_id(id, "ChannelConnectAttempt", "id")
        except DomainError:
            return None
        view = await attempts.attempt_view(info.context.actor, pk)
        return ChannelConnectAttempt.from_view(view) if view else None

    @strawberry.field(description="Channels of a workspace, oldest first.")
    async def channels(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        platform: Annotated[
            Platform | None, strawberry.argument(description="Only this network.")
        ] = None,
        health: Annotated[
            ChannelHealth | None, strawberry.argument(description="Only channels in this health.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Channel]:
        page = await service.list_channels(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            platform=platform,
            health=health,
            first=first,
            after=after,
        )
        return Connection.from_page(page, Channel.from_model)
