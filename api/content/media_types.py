"""GraphQL types, inputs and payloads of media."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.content.payloads import ERRORS
from api.content.types import MediaKind, gid
from api.errors import UserError
from api.ids import to_global_id
from api.node import Node
from domain.content import media as media_service
from domain.content import models


@strawberry.type(
    description="An image, GIF or video of a workspace. It can be used in posts once uploaded."
)
class Media(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this media.")
    kind: MediaKind = strawberry.field(description="IMAGE, GIF or VIDEO.")
    mime_type: str = strawberry.field(description="The file's type, checked against its bytes.")
    size_bytes: int = strawberry.field(description="The file's exact size in bytes.")
    width: int | None = strawberry.field(description="Width in pixels, as declared.")
    height: int | None = strawberry.field(description="Height in pixels, as declared.")
    duration_seconds: float | None = strawberry.field(
        description="Length of a video (or GIF), as declared."
    )
    alt_text: str | None = strawberry.field(
        description="A description for people who cannot see the image."
    )
    file_name: str | None = strawberry.field(description="The uploader's name for the file.")
    uploaded: bool = strawberry.field(
        description="Whether the bytes arrived and passed the checks; only then can posts use it."
    )
    uploaded_at: datetime | None = strawberry.field(description="When the bytes arrived.")
    created_at: datetime = strawberry.field(description="When the upload was declared.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    url: str | None = strawberry.field(
        description="A signed URL serving the file, valid for a limited time (ask again for a "
        "fresh one); null until the file is uploaded."
    )

    @classmethod
    def from_model(cls, row: models.Media) -> Media:
        return cls(
            id=strawberry.ID(to_global_id("Media", row.id)),
            kind=row.kind,
            mime_type=row.mime_type,
            size_bytes=row.size_bytes,
            width=row.width,
            height=row.height,
            duration_seconds=row.duration_s,
            alt_text=row.alt_text,
            file_name=row.file_name,
            uploaded=row.uploaded_at is not None,
            uploaded_at=row.uploaded_at,
            created_at=row.created_at,
            workspace_id=gid("Workspace", row.workspace_id),
            url=media_service.download_url(row),
        )


@strawberry.input(
    description="Declare a file before sending it. Accepted: image/jpeg, image/png, image/webp "
    "(kind IMAGE), image/gif (GIF), video/mp4 and video/quicktime (VIDEO)."
)
class MediaUploadCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    kind: MediaKind = strawberry.field(description="IMAGE, GIF or VIDEO; must match mimeType.")
    mime_type: str = strawberry.field(
        description="The file's type; the upload is refused if its bytes are of another type."
    )
    size_bytes: int = strawberry.field(
        description="The file's exact size; the upload must send exactly this many bytes."
    )
    width: int | None = strawberry.field(default=None, description="Width in pixels.")
    height: int | None = strawberry.field(default=None, description="Height in pixels.")
    duration_seconds: float | None = strawberry.field(
        default=None, description="Length in seconds; required for videos."
    )
    alt_text: str | None = strawberry.field(
        default=None, description="A description of the image, at most 1,500 characters."
    )
    file_name: str | None = strawberry.field(
        default=None, description="The file's name, for people (at most 255 characters)."
    )

    def to_declaration(self) -> media_service.MediaDeclaration:
        return media_service.MediaDeclaration(
            kind=self.kind,
            mime_type=self.mime_type,
            size_bytes=self.size_bytes,
            width=self.width,
            height=self.height,
            duration_s=self.duration_seconds,
            alt_text=self.alt_text,
            file_name=self.file_name,
        )


@strawberry.input(description="New alt text for a media.")
class MediaUpdateInput:
    media_id: strawberry.ID = strawberry.field(description="The media.")
    alt_text: str | None = strawberry.field(
        description="The alt text, at most 1,500 characters; null or blank clears it."
    )


@strawberry.input(description="A media to act on.")
class MediaRefInput:
    media_id: strawberry.ID = strawberry.field(description="The media.")


@strawberry.type(description="Result of `mediaUploadCreate`.")
class MediaUploadCreatePayload:
    media: Media | None = strawberry.field(
        default=None, description="The declared media; `uploaded` turns true once its bytes land."
    )
    upload_url: str | None = strawberry.field(
        default=None,
        description="PUT the file's bytes here (exactly `sizeBytes` of them, with a "
        "Content-Type of your choice) before `uploadUrlExpiresAt`. Answers 200 with the media "
        "id, or 4xx with `errors` (403 forged or expired URL, 409 already uploaded, 413 or 400 "
        "size not as declared, 415 content not of the declared type).",
    )
    upload_url_expires_at: datetime | None = strawberry.field(
        default=None, description="When `uploadUrl` stops working."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="A media after a change, or why nothing changed.")
class MediaPayload:
    media: Media | None = strawberry.field(default=None, description="The media.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `mediaDelete`.")
class MediaDeletePayload:
    deleted_media_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the media that no longer exists."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
