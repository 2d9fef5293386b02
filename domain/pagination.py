"""Keyset pagination over id order, with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import ErrorCode, Problems

M = TypeVar("M", bound=Model)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return int(raw) if kind == "cursor" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass
class Page(Generic[M]):
    """One page of rows; `count()` runs its query only when the caller asks for it."""

    items: list[M]
    has_next_page: bool
    has_previous_page: bool
    _filtered: QuerySet[M]

    async def count(self) -> int:
        return await self._filtered.count()


def check_page_args(first: int | None, after: str | None) -> tuple[int, int | None]:
    problems = Problems()
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        problems.add("first", ErrorCode.INVALID, f"first must be between 1 and {MAX_PAGE_SIZE}")
    after_id = None
    if after is not None:
        after_id = decode_cursor(after)
        if after_id is None:
            problems.add("after", ErrorCode.INVALID, "after is not a cursor from this API")
    problems.raise_if_any()
    return size, after_id


async def paginate(queryset: QuerySet[M], *, first: int | None, after: str | None) -> Page[M]:
    size, after_id = check_page_args(first, after)
    window = queryset.order_by("id")
    if after_id is not None:
        window = window.filter(id__gt=after_id)
    rows = await window.limit(size + 1)
    return Page(rows[:size], len(rows) > size, after_id is not None, queryset)
