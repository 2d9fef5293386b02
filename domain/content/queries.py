"""Reads of content, scoped to the actor: batch loads for the API and the calendar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.channels.models import Channel
from domain.content.models import (
    Media,
    Post,
    PostComment,
    PostTarget,
    PublishAttempt,
    StatusChange,
    TargetStatus,
)
from domain.errors import ErrorCode, Problems
from domain.identity.roles import Permission
from domain.tenancy import Actor, visible_by_ids, visible_to, workspace_for

MAX_CALENDAR_RANGE = timedelta(days=366)
MAX_CALENDAR_ENTRIES = 5000


async def _grouped(actor: Actor, model, key: str, ids: Sequence[int], order: str) -> list[list]:
    rows = await visible_to(actor, model).filter(**{f"{key}__in": list(set(ids))}).order_by(order)
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return [groups.get(row_id, []) for row_id in ids]


async def posts_by_ids(actor: Actor, ids: Sequence[int]) -> list[Post | None]:
    return await visible_by_ids(actor, Post, ids)


async def channels_by_ids(actor: Actor, ids: Sequence[int]) -> list[Channel | None]:
    return await visible_by_ids(actor, Channel, ids)


async def media_by_ids(actor: Actor, ids: Sequence[int]) -> list[Media | None]:
    return await visible_by_ids(actor, Media, ids)


async def targets_by_post_ids(actor: Actor, ids: Sequence[int]) -> list[list[PostTarget]]:
    return await _grouped(actor, PostTarget, "post_id", ids, "id")


async def history_by_target_ids(actor: Actor, ids: Sequence[int]) -> list[list[StatusChange]]:
    return await _grouped(actor, StatusChange, "target_id", ids, "id")


async def attempts_by_target_ids(actor: Actor, ids: Sequence[int]) -> list[list[PublishAttempt]]:
    return await _grouped(actor, PublishAttempt, "target_id", ids, "id")


async def comments_by_post_ids(actor: Actor, ids: Sequence[int]) -> list[list[PostComment]]:
    return await _grouped(actor, PostComment, "post_id", ids, "id")


async def get_post(actor: Actor, post_id: int) -> Post | None:
    return await visible_to(actor, Post).get_or_none(id=post_id)


async def get_target(actor: Actor, target_id: int) -> PostTarget | None:
    return await visible_to(actor, PostTarget).get_or_none(id=target_id)


@dataclass(frozen=True)
class CalendarFilter:
    start: datetime
    end: datetime
    channel_ids: tuple[int, ...] = ()
    statuses: tuple[TargetStatus, ...] = ()
    tags: tuple[str, ...] = ()
    author_ids: tuple[int, ...] = ()
    campaign_ids: tuple[int, ...] = ()


async def calendar(actor: Actor, workspace_id: int, where: CalendarFilter) -> list[PostTarget]:
    """Targets placed in the range, in time order, with their posts: one query whatever the
    size (channels follow in one more through the API's loader). Tags live in the post's
    JSON list, so that filter applies to the fetched rows."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_READ)
    problems = Problems()
    if where.start.tzinfo is None or where.end.tzinfo is None:
        problems.add("from", ErrorCode.INVALID, "from and to need a UTC offset")
    elif where.end <= where.start:
        problems.add("to", ErrorCode.INVALID, "to must be after from")
    elif where.end - where.start > MAX_CALENDAR_RANGE:
        problems.add("to", ErrorCode.INVALID, "a calendar spans at most 366 days")
    problems.raise_if_any()
    targets = visible_to(actor, PostTarget).filter(
        workspace_id=workspace.id, scheduled_at__gte=where.start, scheduled_at__lt=where.end
    )
    if where.channel_ids:
        targets = targets.filter(channel_id__in=list(where.channel_ids))
    if where.statuses:
        targets = targets.filter(status__in=list(where.statuses))
    if where.campaign_ids:
        targets = targets.filter(post__campaign_id__in=list(where.campaign_ids))
    if where.author_ids:
        targets = targets.filter(post__author_id__in=list(where.author_ids))
    rows = (
        await targets.select_related("post")
        .order_by("scheduled_at", "id")
        .limit(MAX_CALENDAR_ENTRIES)
    )
    if not where.tags:
        return rows
    # Tags live in a JSON list; filter the (already bounded) rows by their posts' tags.
    wanted = set(where.tags)
    return [row for row in rows if wanted & set(row.post.tags)]
