"""Media queries and the Media node resolver."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.media_types import Media
from api.identity.types import After, First
from api.ids import parse_id
from api.node import node_type
from api.pagination import Connection
from domain.content import media as media_service

node_type("Media", media_service.get_media, Media.from_model)


@strawberry.type
class MediaQuery:
    @strawberry.field(description="A workspace's media, oldest first, uploaded or not.")
    async def media(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        first: First = None,
        after: After = None,
    ) -> Connection[Media]:
        page = await media_service.list_media(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, Media.from_model)
