"""mediaUploadCreate, mediaUpdate, mediaDelete."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.media_types import (
    Media,
    MediaDeletePayload,
    MediaPayload,
    MediaRefInput,
    MediaUpdateInput,
    MediaUploadCreateInput,
    MediaUploadCreatePayload,
)
from api.content.mutations.common import INPUT
from api.errors import user_errors
from api.ids import parse_id, to_global_id
from domain.content import media
from domain.errors import DomainError
from domain.uow import unit_of_work


@strawberry.type
class MediaMutation:
    @strawberry.mutation(
        description="Declare a file (type, exact size, dimensions, duration, alt text) and get "
        "a signed URL to PUT its bytes to. Small files can instead be sent in one request: "
        "`POST /uploads` (multipart/form-data: workspaceId, file, and the fields of this input; "
        "authenticated like /graphql)."
    )
    async def media_upload_create(
        self,
        info: Info,
        input: Annotated[MediaUploadCreateInput, strawberry.argument(description=INPUT)],
    ) -> MediaUploadCreatePayload:
        try:
            async with unit_of_work():
                ticket = await media.create_upload(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    declared=input.to_declaration(),
                )
        except DomainError as error:
            return MediaUploadCreatePayload(errors=user_errors(error))
        return MediaUploadCreatePayload(
            media=Media.from_model(ticket.media),
            upload_url=ticket.upload_url,
            upload_url_expires_at=ticket.expires_at,
        )

    @strawberry.mutation(description="Set or clear a media's alt text.")
    async def media_update(
        self, info: Info, input: Annotated[MediaUpdateInput, strawberry.argument(description=INPUT)]
    ) -> MediaPayload:
        try:
            async with unit_of_work():
                row = await media.update_media(
                    info.context.actor,
                    media_id=parse_id(input.media_id, "Media", "mediaId"),
                    alt_text=input.alt_text,
                )
        except DomainError as error:
            return MediaPayload(errors=user_errors(error))
        return MediaPayload(media=Media.from_model(row))

    @strawberry.mutation(
        description="Delete a media and its file. Refused (IN_USE) while a post that is not yet "
        "published, failed or cancelled uses it."
    )
    async def media_delete(
        self, info: Info, input: Annotated[MediaRefInput, strawberry.argument(description=INPUT)]
    ) -> MediaDeletePayload:
        try:
            async with unit_of_work():
                row = await media.delete_media(
                    info.context.actor, media_id=parse_id(input.media_id, "Media", "mediaId")
                )
        except DomainError as error:
            return MediaDeletePayload(errors=user_errors(error))
        return MediaDeletePayload(deleted_media_id=strawberry.ID(to_global_id("Media", row.id)))
