"""HTTP routes for media bytes: PUT to a signed upload URL, a one-request multipart upload,
and signed downloads. Errors answer JSON `{"errors": [{field, code, message}]}`.

These routes stream and cap their own bodies (see `api.middleware.SELF_LIMITED_PATHS`).
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Message

from api.ids import from_global_id, to_global_id
from domain.content import media as media_service
from domain.content.models import Media, MediaKind
from domain.content.sniffing import HEAD_BYTES, sniff
from domain.errors import DomainError, ErrorCode, Forbidden, Problem, Problems, Unauthenticated
from domain.identity.authentication import InvalidCredentials, actor_for, bearer_credential
from domain.ratelimit import TokenBucket
from domain.settings import get_settings
from domain.storage import CHUNK_BYTES
from domain.tenancy import Actor
from domain.uow import unit_of_work

_STATUS = {
    ErrorCode.TOKEN_INVALID: 403,
    ErrorCode.TOKEN_EXPIRED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.ALREADY_EXISTS: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.TYPE_MISMATCH: 415,
}
_FORM_FIELDS = frozenset(
    {
        "workspaceId",
        "file",
        "kind",
        "mimeType",
        "width",
        "height",
        "durationSeconds",
        "altText",
        "fileName",
    }
)


def _error_response(problems: list[Problem], status: int | None = None) -> JSONResponse:
    statuses = {_STATUS.get(problem.code, 400) for problem in problems}
    return JSONResponse(
        {
            "errors": [
                {"field": p.field, "code": p.code.value, "message": p.message} for p in problems
            ]
        },
        status_code=status or (statuses.pop() if len(statuses) == 1 else 400),
    )


def _top_level(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": None, "code": code, "message": message}]}, status_code=status
    )


def _media_json(row: Media) -> dict:
    return {
        "id": to_global_id("Media", row.id),
        "kind": row.kind.value,
        "mimeType": row.mime_type,
        "sizeBytes": row.size_bytes,
        "uploaded": row.uploaded_at is not None,
        "url": media_service.download_url(row),
    }


async def upload_put(request: Request) -> Response:
    """`PUT /uploads/{key}?expires=…&signature=…`: the bytes of a declared media."""
    try:
        row = await media_service.receive_upload(
            key=request.path_params["key"],
            expires=request.query_params.get("expires", ""),
            signature=request.query_params.get("signature", ""),
            content_length=request.headers.get("content-length"),
            chunks=request.stream(),
        )
    except ClientDisconnect:
        return Response(status_code=400)  # the client is gone; nothing was stored
    except DomainError as error:
        return _error_response(error.problems)
    return JSONResponse({"media": _media_json(row)})


async def media_get(request: Request) -> Response:
    """`GET /media/{key}?expires=…&signature=…`: a file, for members and networks alike."""
    expires = request.query_params.get("expires", "")
    try:
        row, chunks = await media_service.served_file(
            key=request.path_params["key"],
            expires=expires,
            signature=request.query_params.get("signature", ""),
        )
    except DomainError as error:
        return _error_response(error.problems)
    return StreamingResponse(
        chunks,
        media_type=row.mime_type,
        headers={
            "content-length": str(row.size_bytes),
            "cache-control": f"private, max-age={max(0, int(expires) - int(time.time()))}",
            "x-content-type-options": "nosniff",
        },
    )


# `POST /uploads`: one multipart/form-data request for small files.


class _BodyTooLarge(Exception):
    pass


def _capped(request: Request, limit: int) -> Request:
    """The request, reading at most `limit` body bytes (then _BodyTooLarge)."""
    received = 0
    receive = request.receive

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return Request(request.scope, capped_receive)


async def _authenticate(request: Request) -> Actor:
    try:
        actor = await actor_for(bearer_credential(request.headers.get("authorization")))
    except InvalidCredentials:
        raise Unauthenticated("Invalid, expired or revoked credentials") from None
    actor.require_authenticated()
    return actor


def _text(form: FormData, name: str, problems: Problems, *, required: bool = False) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            problems.add(name, ErrorCode.REQUIRED, f"{name} is required")
        return None
    if not isinstance(value, str):
        problems.add(name, ErrorCode.INVALID, f"{name} must be a text field, not a file")
        return None
    return value


def _number(form: FormData, name: str, problems: Problems, kind: type) -> float | int | None:
    value = _text(form, name, problems)
    if value is None:
        return None
    try:
        number = kind(value.strip())
    except ValueError:
        problems.add(name, ErrorCode.INVALID, f"{name} must be a number")
        return None
    if isinstance(number, float) and not math.isfinite(number):
        problems.add(name, ErrorCode.INVALID, f"{name} must be a number")
        return None
    return number


async def _file_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def _declared_type(form: FormData, upload: UploadFile, problems: Problems) -> str:
    """The type the form declares, else the file part's own Content-Type, else its content."""
    declared = _text(form, "mimeType", problems)
    part_type = (upload.content_type or "").split(";")[0].strip().lower()
    if declared:
        return declared.strip().lower()
    if part_type and part_type != "application/octet-stream":
        return part_type
    head = await upload.read(HEAD_BYTES)
    return sniff(head) or "application/octet-stream"


async def _declaration(
    form: FormData, problems: Problems
) -> tuple[int | None, media_service.MediaDeclaration | None, UploadFile | None]:
    for name in form:
        if name not in _FORM_FIELDS:
            problems.add(name, ErrorCode.INVALID, f"unknown field {name[:50]!r}")
    raw_workspace = _text(form, "workspaceId", problems, required=True)
    workspace = from_global_id(raw_workspace) if raw_workspace else None
    if raw_workspace and (workspace is None or workspace[0] != "Workspace"):
        problems.add("workspaceId", ErrorCode.INVALID, "workspaceId is not a Workspace id")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        problems.add("file", ErrorCode.REQUIRED, "send the file in a `file` part")
        return None, None, None
    mime_type = await _declared_type(form, upload, problems)
    raw_kind = _text(form, "kind", problems)
    kind = media_service.kind_of(mime_type) or MediaKind.IMAGE
    if raw_kind is not None:
        try:
            kind = MediaKind(raw_kind.strip().upper())
        except ValueError:
            problems.add("kind", ErrorCode.INVALID, "kind is IMAGE, GIF or VIDEO")
    declared = media_service.MediaDeclaration(
        kind=kind,
        mime_type=mime_type,
        size_bytes=upload.size or 0,
        width=_number(form, "width", problems, int),
        height=_number(form, "height", problems, int),
        duration_s=_number(form, "durationSeconds", problems, float),
        alt_text=_text(form, "altText", problems),
        file_name=_text(form, "fileName", problems) or upload.filename,
    )
    return (workspace[1] if workspace and workspace[0] == "Workspace" else None), declared, upload


async def upload_multipart(request: Request) -> Response:
    """`POST /uploads` (multipart/form-data): `workspaceId`, `file`, and optionally `kind`,
    `mimeType`, `width`, `height`, `durationSeconds`, `altText`, `fileName`. Authenticated
    like /graphql (a bearer access token, or an API key with the WRITE scope)."""
    settings = get_settings()
    try:
        actor = await _authenticate(request)
    except Unauthenticated as error:
        return _top_level("UNAUTHENTICATED", str(error), 401)
    bucket = TokenBucket("uploads", settings.rate_limit_burst, settings.rate_limit_per_minute)
    caller = f"key:{actor.api_key_id}" if actor.is_api_key else f"user:{actor.user_id}"
    state = await bucket.take(caller)
    if not state.allowed:
        response = _top_level("RATE_LIMITED", "Rate limit exceeded; retry later", 429)
        response.headers["retry-after"] = str(state.retry_after_s)
        return response
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return _top_level("UNSUPPORTED_MEDIA_TYPE", "send multipart/form-data", 415)
    limit = settings.media_multipart_max_bytes
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > limit:
        return _top_level("TOO_LARGE", f"multipart uploads take at most {limit:,} bytes", 413)
    request = _capped(request, limit)
    try:
        form = await request.form(max_files=1, max_fields=len(_FORM_FIELDS), max_part_size=8192)
    except _BodyTooLarge:
        return _top_level("TOO_LARGE", f"multipart uploads take at most {limit:,} bytes", 413)
    except HTTPException as error:
        return _top_level("BAD_REQUEST", str(error.detail), 400)
    except ClientDisconnect:
        return Response(status_code=400)
    try:
        problems = Problems()
        workspace_id, declared, upload = await _declaration(form, problems)
        if problems.items:
            if declared is not None:  # every problem at once, the declaration's too
                problems.items += media_service.declaration_problems(declared).items
            return _error_response(problems.items, 400)
        try:
            async with unit_of_work():
                row = await media_service.upload_file(
                    actor,
                    workspace_id=workspace_id,
                    declared=declared,
                    chunks=_file_chunks(upload),
                )
        except Forbidden as error:
            return _top_level("FORBIDDEN", str(error), 403)
        except DomainError as error:
            return _error_response(error.problems)
    finally:
        await form.close()
    return JSONResponse({"media": _media_json(row)}, status_code=201)
