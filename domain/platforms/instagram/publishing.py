"""Instagram's container flow: stage media in containers, wait until Meta has fetched and
processed them, then publish (https://developers.facebook.com/docs/instagram-platform/content-publishing).

  POST /{ig-user-id}/media                image_url [+alt_text] | media_type=REELS video_url |
                                          is_carousel_item children, then media_type=CAROUSEL
                                          with children=<ids>; caption on the post container
  GET  /{container-id}?fields=status_code  IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED
  POST /{ig-user-id}/media_publish        creation_id: the only step that makes a post
  GET  /{ig-user-id}/content_publishing_limit?fields=quota_usage,config

Creating containers publishes nothing (unused ones expire after 24 hours), so only
`media_publish` is sent as a publishing request: a timeout before it is safe to retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.platforms.base import MediaItem, RateLimited, Rejected, TransientBeforeSend
from domain.platforms.facebook.graph import GraphClient

NETWORK = "Instagram"
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_CAROUSEL = 10
READY = frozenset({"FINISHED", "PUBLISHED"})
FAILED = frozenset({"ERROR", "EXPIRED"})


@dataclass(frozen=True)
class PollPolicy:
    interval_s: float
    max_polls: int
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def check_publishable(caption: str, media: tuple[MediaItem, ...]) -> None:
    """Instagram's documented limits, checked before anything is staged."""
    if not media:
        raise Rejected(f"{NETWORK}: a post needs at least one image or video")
    if len(media) > MAX_CAROUSEL:
        raise Rejected(f"{NETWORK}: a carousel holds at most {MAX_CAROUSEL} items")
    if any(item.kind not in ("IMAGE", "VIDEO") for item in media):
        raise Rejected(f"{NETWORK}: only JPEG images and videos can be published")
    if len(caption) > MAX_CAPTION:
        raise Rejected(f"{NETWORK}: the caption is longer than {MAX_CAPTION} characters")
    if caption.count("#") > MAX_HASHTAGS:
        raise Rejected(f"{NETWORK}: a caption holds at most {MAX_HASHTAGS} hashtags")


async def require_quota(
    graph: GraphClient, ig_user: str, token: str, wait: timedelta, now: datetime | None = None
) -> None:
    """Refuse locally once the rolling 24-hour publishing quota is spent: Meta would reject
    `media_publish` anyway, after we had staged every container."""
    body = await graph.get(
        f"{ig_user}/content_publishing_limit",
        token,
        {"fields": "quota_usage,config"},
        owner=ig_user,
    )
    entry = (body.get("data") or [{}])[0]
    used = entry.get("quota_usage")
    total = (entry.get("config") or {}).get("quota_total")
    if isinstance(used, int) and isinstance(total, int) and used >= total:
        raise RateLimited(
            f"{NETWORK}: the 24-hour publishing quota ({total} posts) is used up",
            retry_at=(now or datetime.now(UTC)) + wait,
            status=None,
        )


async def stage(
    graph: GraphClient,
    ig_user: str,
    token: str,
    caption: str,
    media: tuple[MediaItem, ...],
    poll: PollPolicy,
) -> str:
    """The id of a FINISHED container ready for `media_publish`."""
    if len(media) == 1:
        single = {**_item(media[0], carousel=False), "caption": caption}
        container = await _create(graph, ig_user, token, single)
    else:
        children = []
        for item in media:
            data = {**_item(item, carousel=True), "is_carousel_item": "true"}
            child = await _create(graph, ig_user, token, data)
            if item.kind == "VIDEO":
                await wait_until_ready(graph, ig_user, token, child, poll)
            children.append(child)
        container = await _create(
            graph,
            ig_user,
            token,
            {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption},
        )
    await wait_until_ready(graph, ig_user, token, container, poll)
    return container


async def wait_until_ready(
    graph: GraphClient, ig_user: str, token: str, container: str, poll: PollPolicy
) -> None:
    for attempt in range(poll.max_polls):
        body = await graph.get(container, token, {"fields": "status_code,status"}, owner=ig_user)
        status = body.get("status_code")
        if status in READY:
            return
        if status in FAILED:
            detail = body.get("status") or "the media could not be processed"
            raise Rejected(f"{NETWORK}: media container {status}: {detail}")
        if attempt + 1 < poll.max_polls:
            await poll.sleep(poll.interval_s)
    raise TransientBeforeSend(
        f"{NETWORK}: media still processing after {poll.max_polls} checks; nothing was published"
    )


async def _create(graph: GraphClient, ig_user: str, token: str, data: dict[str, Any]) -> str:
    body = await graph.post(f"{ig_user}/media", token, data, owner=ig_user, publishing=False)
    return str(body["id"])


def _item(item: MediaItem, *, carousel: bool) -> dict[str, str]:
    """Single feed videos are published as reels since July 2023; carousel videos keep
    media_type=VIDEO. Alt text is documented for single image posts only."""
    if item.kind == "VIDEO":
        return {"media_type": "VIDEO" if carousel else "REELS", "video_url": item.url}
    if item.alt_text and not carousel:
        return {"image_url": item.url, "alt_text": item.alt_text}
    return {"image_url": item.url}
