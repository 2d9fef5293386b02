"""Relay cursor connections with `totalCount`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from domain.pagination import Page, encode_cursor

NodeT = TypeVar("NodeT")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )


@strawberry.type(description="An item in a list, with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with cursors and the total count.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @strawberry.field(description="How many items the whole list holds.")
    async def total_count(self) -> int:
        return await self._page.count()

    @classmethod
    def from_page(cls, page: Page[Any], to_node: Callable[[Any], NodeT]) -> Connection[NodeT]:
        edges = [Edge(cursor=encode_cursor(row.id), node=to_node(row)) for row in page.items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _page=page,
        )


FIRST_DESCRIPTION = "How many items to return, 1 to 100 (default 20)."
AFTER_DESCRIPTION = "Return the items after this cursor (a `pageInfo.endCursor`)."
