"""X API v2 payloads into Kelola's dataclasses, and X's rate-limit headers into a retry time.

Kept apart from the HTTP calls so the mapping rules (which metric is which, how X rewrites a
post's text) are stated once and can be tested on plain dictionaries.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.platforms.base import Interaction, PostMetrics
from domain.platforms.http_errors import parse_reset

# X ids are snowflakes: milliseconds since this epoch, shifted left by 22 bits.
_SNOWFLAKE_EPOCH_MS = 1288834974657
_URL = re.compile(r"https?://\S+")
# The 24-hour posting caps; when one of them is exhausted the 15-minute window reset in
# x-rate-limit-reset would only lead to another 429.
_DAILY_WINDOWS = ("x-user-limit-24hour", "x-app-limit-24hour")


def rate_limit_reset(headers: Mapping[str, str], *, now: datetime) -> datetime | None:
    """The latest reset among the exhausted windows X reports, or None without headers."""
    resets = [
        parse_reset(headers[f"{window}-reset"], now=now)
        for window in _DAILY_WINDOWS
        if headers.get(f"{window}-remaining") == "0" and headers.get(f"{window}-reset")
    ]
    if not resets and headers.get("x-rate-limit-reset"):
        resets.append(parse_reset(headers["x-rate-limit-reset"], now=now))
    known = [reset for reset in resets if reset is not None]
    return max(known) if known else None


def snowflake_time(post_id: str) -> datetime:
    """When X created the post, read from its id (exact to the millisecond)."""
    milliseconds = (int(post_id) >> 22) + _SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def x_time(moment: datetime) -> str:
    """The RFC 3339 form X's start_time parameters accept (seconds, UTC, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def post_text(tweet: Mapping[str, Any]) -> str:
    """The full text: posts over 280 characters carry it in `note_tweet`, `text` is cut."""
    note = tweet.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str):
        return note["text"]
    return str(tweet.get("text", ""))


def comparable(text: str) -> str:
    """Text as X stores it, reduced to what survives X's rewriting: X HTML-escapes `&<>`,
    wraps every link in a t.co URL and appends one for attached media, so links are dropped
    and whitespace collapsed before two texts are compared."""
    return " ".join(_URL.sub(" ", html.unescape(text)).split())


def media_count(tweet: Mapping[str, Any]) -> int:
    attachments = tweet.get("attachments") or {}
    return len(attachments.get("media_keys") or ())


def metrics(
    tweet: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]] | None = None
) -> PostMetrics:
    """X reports likes, replies, reposts, quotes, bookmarks and impressions publicly; link
    clicks and the owner's impression count only in `non_public_metrics` (own posts, last 30
    days). Video views are the attached videos' `public_metrics.view_count` (media expanded
    with `attachments.media_keys`); posts without a video leave them None. Reach and watch
    time have no X counterpart (media's non-public metrics count playback quartiles only)."""
    public = tweet.get("public_metrics") or {}
    private = tweet.get("non_public_metrics") or {}
    shares = _sum(public.get("retweet_count"), public.get("quote_count"))
    return PostMetrics(
        network_post_id=str(tweet["id"]),
        impressions=private.get("impression_count", public.get("impression_count")),
        likes=public.get("like_count"),
        comments=public.get("reply_count"),
        shares=shares,
        saves=public.get("bookmark_count"),
        clicks=private.get("url_link_clicks"),
        video_views=_video_views(tweet, media or {}),
    )


def media_by_key(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    media = (payload.get("includes") or {}).get("media") or ()
    return {str(item["media_key"]): item for item in media if item.get("media_key")}


def _video_views(tweet: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]) -> int | None:
    keys = (tweet.get("attachments") or {}).get("media_keys") or ()
    videos = [media[key] for key in keys if (media.get(key) or {}).get("type") == "video"]
    counts = [(item.get("public_metrics") or {}).get("view_count") for item in videos]
    return _sum(*(count for count in counts if isinstance(count, int)))


def interaction(
    tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], own_user_id: str
) -> Interaction:
    """A mention of the account; a reply to one of its posts counts as a comment."""
    author = users.get(str(tweet.get("author_id")), {})
    replied_to = next(
        (
            ref.get("id")
            for ref in tweet.get("referenced_tweets") or ()
            if ref.get("type") == "replied_to"
        ),
        None,
    )
    is_comment = replied_to is not None and tweet.get("in_reply_to_user_id") == own_user_id
    followers = (author.get("public_metrics") or {}).get("followers_count")
    return Interaction(
        network_id=str(tweet["id"]),
        kind="COMMENT" if is_comment else "MENTION",
        author_handle=str(author.get("username") or tweet.get("author_id") or ""),
        author_followers=followers,
        text=post_text(tweet),
        created_at=parse_time(tweet["created_at"])
        if tweet.get("created_at")
        else snowflake_time(str(tweet["id"])),
        in_reply_to=str(replied_to) if replied_to else None,
    )


def users_by_id(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    users = (payload.get("includes") or {}).get("users") or ()
    return {str(user["id"]): user for user in users}


def _sum(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None
