"""Opaque global ids: base64 of `TypeName:primary key`."""

from __future__ import annotations

import base64
import binascii

from domain.errors import ErrorCode, Problem, ValidationFailed
from domain.ids import to_global_id

__all__ = ["from_global_id", "parse_id", "to_global_id"]


def from_global_id(global_id: str) -> tuple[str, int] | None:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw_pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not type_name or pk <= 0 or pk >= 2**63:
        return None
    return type_name, pk


def parse_id(global_id: str, expected_type: str, field: str) -> int:
    """The primary key behind an id of the expected type, else a typed INVALID error."""
    decoded = from_global_id(global_id) if len(global_id) <= 128 else None
    if decoded is None or decoded[0] != expected_type:
        raise ValidationFailed(
            [Problem(field, ErrorCode.INVALID, f"{field} is not a {expected_type} id")]
        )
    return decoded[1]
