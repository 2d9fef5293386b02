"""Keyset pagination over id order, with opaque cursors."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from pypika_tortoise import Query, Table
from pypika_tortoise.analytics import RowNumber
from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import ErrorCode, Problems, ValidationFailed

M = TypeVar("M", bound=Model)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        row_id = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # Ids are positive 64-bit integers; anything else would reach the database and fail there.
    return row_id if kind == "cursor" and 0 < row_id < 2**63 else None


@dataclass
class Page(Generic[M]):
    """One page of rows; `count()` runs its query only when the caller asks for it."""

    items: list[M]
    has_next_page: bool
    has_previous_page: bool
    _filtered: QuerySet[M]
    _count: Callable[[], Awaitable[int]] | None = None  # a batched count, see paginate_each

    async def count(self) -> int:
        if self._count is not None:
            return await self._count()
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


async def paginate_newest(
    queryset: QuerySet[M], *, first: int | None, after: str | None
) -> Page[M]:
    """`paginate`, newest first (cursors walk the ids downward)."""
    size, after_id = check_page_args(first, after)
    window = queryset.order_by("-id")
    if after_id is not None:
        window = window.filter(id__lt=after_id)
    rows = await window.limit(size + 1)
    return Page(rows[:size], len(rows) > size, after_id is not None, queryset)


async def paginate(queryset: QuerySet[M], *, first: int | None, after: str | None) -> Page[M]:
    size, after_id = check_page_args(first, after)
    window = queryset.order_by("id")
    if after_id is not None:
        window = window.filter(id__gt=after_id)
    rows = await window.limit(size + 1)
    return Page(rows[:size], len(rows) > size, after_id is not None, queryset)


@dataclass(frozen=True)
class PageRequest:
    """One parent's page of children in a batch (a DataLoader key): whose, and which page."""

    parent_id: int
    first: int | None = None
    after: str | None = None


async def paginate_each(
    queryset: QuerySet[M], parent: str, requests: Sequence[PageRequest]
) -> list[Page[M] | ValidationFailed]:
    """`paginate` for the children of many parents, in one statement per distinct page
    arguments (not one per parent); counts, if asked for, share one more statement.

    `parent` names the foreign key column, e.g. "workspace_id". Bad page arguments fail
    only the requests that carry them.
    """
    counts = _ChildCounts(queryset, parent, [request.parent_id for request in requests])
    groups: dict[tuple[int | None, str | None], list[PageRequest]] = defaultdict(list)
    for request in requests:
        groups[request.first, request.after].append(request)
    pages: dict[PageRequest, Page[M] | ValidationFailed] = {}
    for (first, after), group in groups.items():
        try:
            size, after_id = check_page_args(first, after)
        except ValidationFailed as error:
            pages.update(dict.fromkeys(group, error))
            continue
        parent_ids = sorted({request.parent_id for request in group})
        rows = await _leading_rows(queryset, parent, parent_ids, size + 1, after_id)
        for request in group:
            children = rows[request.parent_id]
            pages[request] = Page(
                children[:size],
                len(children) > size,
                after_id is not None,
                queryset.filter(**{parent: request.parent_id}),
                partial(counts.of, request.parent_id),
            )
    return [pages[request] for request in requests]


async def _leading_rows(
    queryset: QuerySet[M], parent: str, parent_ids: list[int], limit: int, after_id: int | None
) -> defaultdict[int, list[M]]:
    """The first `limit` rows (by id, after `after_id`) of each parent, numbered per parent
    with ROW_NUMBER() in a subquery, since a window cannot be filtered on directly."""
    model = queryset.model
    table = Table(model._meta.db_table)
    candidates = queryset.filter(**{f"{parent}__in": parent_ids})
    if after_id is not None:
        candidates = candidates.filter(id__gt=after_id)
    position = RowNumber().over(table.field(parent)).orderby(table.field("id"))
    ranked = Subquery(candidates.annotate(position=position).values("id", "position")).as_("ranked")
    leading = Query.from_(ranked).select(ranked.id).where(ranked.position <= limit)
    grouped: defaultdict[int, list[M]] = defaultdict(list)
    for row in await queryset.filter(id__in=leading).order_by("id"):
        grouped[getattr(row, parent)].append(row)
    return grouped


class _ChildCounts:
    """How many children each parent has, counted with one GROUP BY on first use."""

    def __init__(self, queryset: QuerySet[M], parent: str, parent_ids: list[int]) -> None:
        self._query = (
            queryset.filter(**{f"{parent}__in": sorted(set(parent_ids))})
            .annotate(children=Count("id"))
            .group_by(parent)
            .values_list(parent, "children")
        )
        self._counts: dict[int, int] | None = None
        self._lock = asyncio.Lock()

    async def of(self, parent_id: int) -> int:
        async with self._lock:
            if self._counts is None:
                self._counts = dict(await self._query)
        return self._counts.get(parent_id, 0)
