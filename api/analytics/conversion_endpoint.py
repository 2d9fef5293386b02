"""`POST /conversions/{workspaceId}`: conversions reported server to server, signed with the
workspace's conversion secret instead of an API key.

Answers: 201 recorded, 200 a replay of an earlier report with the same idempotency key,
400 bad input (every problem listed), 401 a missing or wrong signature (also for an unknown
workspace, or one without a secret: the answers are the same), 409 the idempotency key was
used for a different report, 413 a body over 64 KB. Errors are
`{"errors": [{"field", "code", "message"}]}`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from api.ids import from_global_id, to_global_id
from domain.analytics import conversions
from domain.analytics.conversion_signatures import signature_valid
from domain.analytics.models import Conversion
from domain.errors import DomainError, ErrorCode, Problem, ValidationFailed
from domain.uow import unit_of_work

logger = logging.getLogger("kelola.api")

MAX_BODY_BYTES = 64 * 1024
SIGNATURE_HEADER = "kelola-signature"
KEY_HEADER = "idempotency-key"
_FIELDS = frozenset(
    {
        "idempotencyKey",
        "value",
        "currency",
        "occurredAt",
        "clickRefs",
        "linkCode",
        "customerId",
        "orderId",
    }
)


class _TooLarge(Exception):
    pass


def _errors(status: int, problems: list[Problem]) -> JSONResponse:
    body = [{"field": p.field, "code": p.code.value, "message": p.message} for p in problems]
    return JSONResponse({"errors": body}, status_code=status)


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": None, "code": code, "message": message}]}, status_code=status
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _workspace_pk(raw: str) -> int | None:
    decoded = from_global_id(raw) if len(raw) <= 128 else None
    return decoded[1] if decoded and decoded[0] == "Workspace" else None


def _report(body: bytes, header_key: str | None) -> conversions.ConversionReport:
    """The report in the body (ValidationFailed when it is not a JSON object); unknown
    fields become problems of the report, listed with the others."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise ValidationFailed([Problem(None, ErrorCode.INVALID, "the body is not JSON")]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([Problem(None, ErrorCode.INVALID, "the body must be a JSON object")])
    problems: list[Problem] = []
    for name in data:
        if name not in _FIELDS:
            problems.append(Problem(str(name)[:50], ErrorCode.INVALID, "unknown field"))
    key = data.get("idempotencyKey")
    if header_key is not None:
        if key is not None and key != header_key:
            problems.append(
                Problem(
                    "idempotencyKey",
                    ErrorCode.INVALID,
                    "the Idempotency-Key header and the body's idempotencyKey differ",
                )
            )
        key = header_key
    return conversions.ConversionReport(
        idempotency_key=key,
        value=data.get("value"),
        currency=data.get("currency"),
        occurred_at=data.get("occurredAt"),
        click_refs=data.get("clickRefs"),
        link_code=data.get("linkCode"),
        customer_id=data.get("customerId"),
        order_id=data.get("orderId"),
        problems=tuple(problems),
    )


def _conversion_json(row: Conversion) -> dict:
    def gid(type_name: str, pk: int | None) -> str | None:
        return to_global_id(type_name, pk) if pk is not None else None

    return {
        "id": to_global_id("Conversion", row.id),
        "value": format(row.value, "f"),
        "currency": row.currency,
        "occurredAt": row.occurred_at.isoformat(),
        "orderId": row.order_ref,
        "source": row.source.value,
        "attributed": row.attributed,
        "linkId": gid("TrackedLink", row.link_id),
        "postId": gid("Post", row.post_id),
        "channelId": gid("Channel", row.channel_id),
        "campaignId": gid("Campaign", row.campaign_id),
        "createdAt": row.created_at.isoformat(),
    }


async def conversion_post(request: Request) -> Response:
    try:
        return await _handle(request)
    except ClientDisconnect:
        return Response(status_code=400)
    except Exception:
        # Reports are idempotent: a partner retrying after this cannot double-count.
        logger.exception("conversion report failed")
        return _refused(503, "UNAVAILABLE", "The conversion could not be recorded; retry")


async def _handle(request: Request) -> Response:
    try:
        body = await _body(request)
    except _TooLarge:
        return _refused(413, "TOO_LARGE", f"the body must be at most {MAX_BODY_BYTES:,} bytes")
    now = datetime.now(UTC)
    workspace_id = _workspace_pk(request.path_params["workspace_id"])
    if not await signature_valid(workspace_id, request.headers.get(SIGNATURE_HEADER), body, now):
        return _refused(401, "UNAUTHENTICATED", "Missing or invalid Kelola-Signature")
    assert workspace_id is not None
    try:
        report = _report(body, request.headers.get(KEY_HEADER))
        async with unit_of_work():
            recorded = await conversions.record_signed_conversion(workspace_id, report, now)
    except DomainError as error:
        reused = any(p.code == ErrorCode.IDEMPOTENCY_KEY_REUSED for p in error.problems)
        return _errors(409 if reused else 400, error.problems)
    return JSONResponse(
        {
            "conversion": _conversion_json(recorded.conversion),
            "attributed": recorded.attributed,
            "replayed": recorded.replayed,
        },
        status_code=200 if recorded.replayed else 201,
    )
