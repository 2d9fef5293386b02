"""Channel queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.types import Channel, ChannelHealth, Platform
from api.identity.types import After, First
from api.ids import parse_id
from api.node import node_resolver
from api.pagination import Connection
from domain.channels import service


@node_resolver("Channel")
async def _channel_node(info: Info, pk: int) -> Channel | None:
    channel = await service.get_channel(info.context.actor, pk)
    return Channel.from_model(channel) if channel else None


@strawberry.type
class ChannelQuery:
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
