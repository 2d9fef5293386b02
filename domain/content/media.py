"""Media: declaring an upload, receiving its bytes, describing, listing and deleting it.

An upload is declared first (`create_upload`: kind, type, exact size, dimensions, duration,
alt text), which returns a signed, expiring URL; the bytes are then PUT there
(`receive_upload`), checked against the declaration — exact size, real type from the
file's magic bytes — and stored through the Storage interface. Small files can also come in
one multipart request (`upload_file`), checked the same way.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from domain.content.models import FINAL, Media, MediaKind, Post, PostTarget
from domain.content.sniffing import HEAD_BYTES, sniff
from domain.errors import DomainError, ErrorCode, NotFound, Problem, Problems
from domain.identity.roles import Permission
from domain.pagination import Page, paginate
from domain.settings import get_settings
from domain.storage import (
    Signature,
    check_signature,
    get_storage,
    public_url,
    signed_url_until,
)
from domain.tenancy import Actor, visible_to, workspace_for
from domain.uow import after_commit

UPLOAD_PURPOSE = "uploads"
DOWNLOAD_PURPOSE = "media"  # what domain.storage.public_url signs for networks

# Accepted types, the kind each one is, and the file extension it is stored with.
MIME_KINDS: dict[str, MediaKind] = {
    "image/jpeg": MediaKind.IMAGE,
    "image/png": MediaKind.IMAGE,
    "image/webp": MediaKind.IMAGE,
    "image/gif": MediaKind.GIF,
    "video/mp4": MediaKind.VIDEO,
    "video/quicktime": MediaKind.VIDEO,
}
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
}
MAX_ALT_TEXT = 1500
MAX_FILE_NAME = 255
MAX_DIMENSION = 100_000
MAX_DURATION_S = 24 * 3600.0


@dataclass(frozen=True)
class MediaDeclaration:
    """What an uploader says about a file before Kelola sees it."""

    kind: MediaKind
    mime_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    alt_text: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class UploadTicket:
    """A declared media and where to PUT its bytes, until when."""

    media: Media
    upload_url: str
    expires_at: datetime


def _check_alt_text(problems: Problems, alt_text: str | None) -> None:
    if alt_text is None:
        return
    if "\x00" in alt_text:
        problems.add("altText", ErrorCode.INVALID, "altText must not contain NUL characters")
    elif len(alt_text) > MAX_ALT_TEXT:
        problems.add(
            "altText", ErrorCode.TOO_LONG, f"altText must have at most {MAX_ALT_TEXT} characters"
        )


def _clean_alt_text(alt_text: str | None) -> str | None:
    return alt_text.strip() or None if alt_text is not None else None


def _clean_file_name(file_name: str | None) -> str | None:
    """The last path segment only: a name for people, never a path."""
    if file_name is None:
        return None
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def declaration_problems(declared: MediaDeclaration) -> Problems:
    """Every problem with a declaration, not just the first."""
    problems = Problems()
    expected = MIME_KINDS.get(declared.mime_type)
    if expected is None:
        problems.add(
            "mimeType",
            ErrorCode.INVALID,
            f"{declared.mime_type[:100]!r} is not accepted; use one of {', '.join(MIME_KINDS)}",
        )
    elif expected != declared.kind:
        problems.add(
            "kind",
            ErrorCode.INVALID,
            f"a {declared.mime_type} file is {expected.value}, not {declared.kind.value}",
        )
    limit = get_settings().media_max_bytes
    if declared.size_bytes < 1:
        problems.add("sizeBytes", ErrorCode.INVALID, "sizeBytes must be at least 1")
    elif declared.size_bytes > limit:
        problems.add("sizeBytes", ErrorCode.TOO_LARGE, f"files may have at most {limit:,} bytes")
    if (declared.width is None) != (declared.height is None):
        problems.add("width", ErrorCode.INVALID, "give width and height together")
    for name, value in (("width", declared.width), ("height", declared.height)):
        if value is not None and not 1 <= value <= MAX_DIMENSION:
            problems.add(name, ErrorCode.INVALID, f"{name} must be 1 to {MAX_DIMENSION:,} pixels")
    duration = declared.duration_s
    if duration is not None and (not math.isfinite(duration) or not 0 < duration <= MAX_DURATION_S):
        problems.add(
            "durationSeconds", ErrorCode.INVALID, "durationSeconds must be above 0 and at most 24 h"
        )
    elif declared.kind == MediaKind.VIDEO and duration is None:
        problems.add("durationSeconds", ErrorCode.REQUIRED, "a video needs its durationSeconds")
    elif declared.kind == MediaKind.IMAGE and duration is not None:
        problems.add("durationSeconds", ErrorCode.INVALID, "an image has no duration")
    _check_alt_text(problems, declared.alt_text)
    if declared.file_name is not None:
        if "\x00" in declared.file_name:
            problems.add("fileName", ErrorCode.INVALID, "fileName must not contain NUL characters")
        elif len(declared.file_name) > MAX_FILE_NAME:
            problems.add(
                "fileName", ErrorCode.TOO_LONG, f"fileName has at most {MAX_FILE_NAME} characters"
            )
    return problems


def _new_key(mime_type: str) -> str:
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}{_EXTENSIONS.get(mime_type, '')}"


def _new_media(workspace_id: int, actor: Actor, declared: MediaDeclaration) -> Media:
    return Media(
        workspace_id=workspace_id,
        kind=declared.kind,
        mime_type=declared.mime_type,
        size_bytes=declared.size_bytes,
        width=declared.width,
        height=declared.height,
        duration_s=declared.duration_s,
        alt_text=_clean_alt_text(declared.alt_text),
        file_name=_clean_file_name(declared.file_name),
        storage_key=_new_key(declared.mime_type),
        created_by_id=actor.user_id,
    )


async def create_upload(
    actor: Actor, *, workspace_id: int, declared: MediaDeclaration
) -> UploadTicket:
    """Record a declared file and sign the URL its bytes go to."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    declaration_problems(declared).raise_if_any()
    media = _new_media(workspace.id, actor, declared)
    await media.save()
    expires = int(time.time()) + get_settings().media_upload_url_ttl_s
    return UploadTicket(
        media,
        signed_url_until(UPLOAD_PURPOSE, media.storage_key, expires),
        datetime.fromtimestamp(expires, UTC),
    )


# Reading and changing media, scoped to the actor.


async def visible_media(actor: Actor, media_id: int, field_name: str = "mediaId") -> Media:
    media = await visible_to(actor, Media).get_or_none(id=media_id)
    if media is None:
        raise NotFound("media", field=field_name)
    return media


async def get_media(actor: Actor, media_id: int) -> Media | None:
    return await visible_to(actor, Media).get_or_none(id=media_id)


async def list_media(
    actor: Actor, workspace_id: int, *, first: int | None, after: str | None
) -> Page[Media]:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_READ)
    return await paginate(
        visible_to(actor, Media).filter(workspace_id=workspace.id), first=first, after=after
    )


async def update_media(actor: Actor, *, media_id: int, alt_text: str | None) -> Media:
    """Set (or, with null or blank text, clear) the alt text."""
    media = await visible_media(actor, media_id)
    await actor.require(media.workspace_id, Permission.CONTENT_WRITE)
    problems = Problems()
    _check_alt_text(problems, alt_text)
    problems.raise_if_any()
    media.alt_text = _clean_alt_text(alt_text)
    await media.save(update_fields=["alt_text"])
    return media


async def posts_using(media: Media) -> list[int]:
    """Ids of posts with a target that is not final (published, failed, cancelled) and would
    publish this media: through its override, or through the post's media."""
    targets = (
        await PostTarget.filter(workspace_id=media.workspace_id)
        .exclude(status__in=list(FINAL))
        .values_list("post_id", "media_override")
    )
    users = {post_id for post_id, override in targets if override and media.id in override}
    inheriting = {post_id for post_id, override in targets if override is None} - users
    if inheriting:
        for post_id, media_ids in await Post.filter(id__in=list(inheriting)).values_list(
            "id", "media_ids"
        ):
            if media.id in (media_ids or ()):
                users.add(post_id)
    return sorted(users)


async def delete_media(actor: Actor, *, media_id: int) -> Media:
    """Delete media no pending post needs; the file goes once the deletion commits."""
    media = await visible_media(actor, media_id)
    await actor.require(media.workspace_id, Permission.CONTENT_WRITE)
    media = await Media.filter(id=media.id).select_for_update().get()
    users = await posts_using(media)
    if users:
        raise DomainError(
            [
                Problem(
                    "mediaId",
                    ErrorCode.IN_USE,
                    f"{len(users)} post(s) not yet published, failed or cancelled use this "
                    "media; remove it from them (or cancel them) first",
                )
            ]
        )
    key = media.storage_key
    await media.delete()

    async def remove_file() -> None:
        await get_storage().delete(key)

    after_commit(remove_file)
    return media


def download_url(media: Media) -> str | None:
    """A signed, expiring URL serving the file; None until it is uploaded."""
    if media.uploaded_at is None:
        return None
    return public_url(media.storage_key, get_settings().media_download_url_ttl_s)


# Receiving bytes.


def _refused(field: str | None, code: ErrorCode, message: str) -> DomainError:
    return DomainError([Problem(field, code, message)])


async def _checked(
    chunks: AsyncIterable[bytes], declared: MediaDeclaration
) -> AsyncIterator[bytes]:
    """The chunks, passed on only while they match the declaration: the real type (from the
    first bytes) must be the declared one and the size exactly the declared size. Reading
    stops as soon as the body runs over, so a lying client never makes us read more."""
    head = b""
    received = 0
    sniffed = False
    async for chunk in chunks:
        if not chunk:
            continue
        received += len(chunk)
        if received > declared.size_bytes:
            raise _refused(
                "body",
                ErrorCode.TOO_LARGE,
                f"the body is larger than the declared {declared.size_bytes:,} bytes",
            )
        if sniffed:
            yield chunk
            continue
        head += chunk
        if len(head) >= HEAD_BYTES or received == declared.size_bytes:
            _check_type(head, declared.mime_type)
            sniffed = True
            yield head
    if received < declared.size_bytes:
        raise _refused(
            "body",
            ErrorCode.SIZE_MISMATCH,
            f"the body has {received:,} bytes; {declared.size_bytes:,} were declared",
        )


def _check_type(head: bytes, declared_type: str) -> None:
    actual = sniff(head)
    if actual != declared_type:
        found = actual or "not a JPEG, PNG, GIF, WebP, MP4 or QuickTime file"
        raise _refused(
            "body",
            ErrorCode.TYPE_MISMATCH,
            f"the file was declared {declared_type}, but its content is {found}",
        )


def _declared(media: Media) -> MediaDeclaration:
    return MediaDeclaration(media.kind, media.mime_type, media.size_bytes)


def _check_length_header(content_length: str | None, size_bytes: int) -> None:
    if content_length is None:
        return  # chunked: counted while streaming
    if not content_length.isascii() or not content_length.isdigit():
        raise _refused("Content-Length", ErrorCode.INVALID, "Content-Length is not a number")
    length = int(content_length)
    if length > size_bytes:
        raise _refused(
            "Content-Length",
            ErrorCode.TOO_LARGE,
            f"the body has {length:,} bytes; {size_bytes:,} were declared",
        )
    if length < size_bytes:
        raise _refused(
            "Content-Length",
            ErrorCode.SIZE_MISMATCH,
            f"the body has {length:,} bytes; {size_bytes:,} were declared",
        )


def _check_url(purpose: str, key: str, expires: str, signature: str) -> None:
    verdict = check_signature(purpose, key, expires, signature)
    if verdict == Signature.EXPIRED:
        raise _refused("expires", ErrorCode.TOKEN_EXPIRED, "this URL has expired")
    if verdict != Signature.VALID:
        raise _refused("signature", ErrorCode.TOKEN_INVALID, "this URL is not valid")


async def receive_upload(
    *,
    key: str,
    expires: str,
    signature: str,
    content_length: str | None,
    chunks: AsyncIterable[bytes],
) -> Media:
    """Store the bytes PUT to a signed upload URL and mark the media uploaded.

    The signed URL is the credential: it names one storage key and was signed for the
    member who declared it, so the media is found by that key rather than through an actor.
    No transaction stays open during the transfer: the bytes are stored first, then one
    conditional UPDATE (atomic on its own) marks the media uploaded. A file is uploaded
    once: its content is what posts were validated against.
    """
    _check_url(UPLOAD_PURPOSE, key, expires, signature)
    media = await Media.get_or_none(storage_key=key)
    if media is None:
        raise NotFound("upload", field="key")
    if media.uploaded_at is not None:
        raise _refused("key", ErrorCode.ALREADY_EXISTS, "this media is already uploaded")
    _check_length_header(content_length, media.size_bytes)
    storage = get_storage()
    await storage.write_stream(key, _checked(chunks, _declared(media)))
    now = datetime.now(UTC)
    marked = await Media.filter(id=media.id, uploaded_at__isnull=True).update(uploaded_at=now)
    if not marked:
        if not await Media.exists(id=media.id):  # deleted meanwhile: keep no orphan file
            await storage.delete(key)
            raise NotFound("upload", field="key")
        raise _refused("key", ErrorCode.ALREADY_EXISTS, "this media is already uploaded")
    media.uploaded_at = now
    return media


async def upload_file(
    actor: Actor,
    *,
    workspace_id: int,
    declared: MediaDeclaration,
    chunks: AsyncIterable[bytes],
) -> Media:
    """Store a whole file sent in one request (multipart), checked like `receive_upload`.
    `declared.size_bytes` is the size the request carried; the kind may be left to the type."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    declaration_problems(declared).raise_if_any()
    media = _new_media(workspace.id, actor, declared)
    storage = get_storage()
    await storage.write_stream(media.storage_key, _checked(chunks, declared))
    media.uploaded_at = datetime.now(UTC)
    try:
        await media.save()
    except BaseException:
        await storage.delete(media.storage_key)
        raise
    return media


def kind_of(mime_type: str) -> MediaKind | None:
    """The kind a type is, for uploads that leave the kind out."""
    return MIME_KINDS.get(mime_type)


def with_size(declared: MediaDeclaration, size_bytes: int) -> MediaDeclaration:
    return replace(declared, size_bytes=size_bytes)


async def served_file(
    *, key: str, expires: str, signature: str
) -> tuple[Media, AsyncIterator[bytes]]:
    """The uploaded media a signed download URL names (`domain.storage.public_url`), and
    its bytes as a stream."""
    _check_url(DOWNLOAD_PURPOSE, key, expires, signature)
    media = await Media.get_or_none(storage_key=key, uploaded_at__isnull=False)
    storage = get_storage()
    if media is None or not await storage.exists(key):
        raise NotFound("media", field="key")
    return media, storage.read_stream(key)
