"""How the X fake stores and renders posts and media (X API v2 data dictionary: Post,
Media object)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_URL = re.compile(r"https?://\S+")


@dataclass
class StoredTweet:
    id: str
    author_id: str
    text: str
    created_at: datetime
    media_keys: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    in_reply_to_user_id: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)


def stored_text(text: str, media_keys: list[str], id_: str) -> str:
    """What X keeps: HTML-escaped text, links as t.co URLs, a t.co link for the media."""
    escaped = html.escape(text, quote=False)
    stored = _URL.sub(lambda m: f"https://t.co/{abs(hash(m.group())) % 10**10}", escaped)
    if media_keys:
        stored = f"{stored} https://t.co/m{id_[-8:]}".strip()
    return stored


def render(tweet: StoredTweet, fields: set[str], *, own: bool) -> dict[str, Any]:
    text = tweet.text
    rendered: dict[str, Any] = {
        "id": tweet.id,
        "text": text[:280],
        "edit_history_tweet_ids": [tweet.id],
    }
    if len(text) > 280 and "note_tweet" in fields:
        rendered["note_tweet"] = {"text": text}
    if "created_at" in fields:
        rendered["created_at"] = tweet.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "author_id" in fields:
        rendered["author_id"] = tweet.author_id
    if "attachments" in fields and tweet.media_keys:
        rendered["attachments"] = {"media_keys": tweet.media_keys}
    if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
        rendered["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if "referenced_tweets" in fields and tweet.in_reply_to:
        rendered["referenced_tweets"] = [{"type": "replied_to", "id": tweet.in_reply_to}]
    if "public_metrics" in fields:
        rendered["public_metrics"] = {
            "retweet_count": tweet.metrics.get("retweet_count", 0),
            "reply_count": tweet.metrics.get("reply_count", 0),
            "like_count": tweet.metrics.get("like_count", 0),
            "quote_count": tweet.metrics.get("quote_count", 0),
            "bookmark_count": tweet.metrics.get("bookmark_count", 0),
            "impression_count": tweet.metrics.get("impression_count", 0),
        }
    recent = tweet.created_at > datetime.now(UTC) - timedelta(days=30)
    if "non_public_metrics" in fields and own and recent:
        rendered["non_public_metrics"] = {
            "impression_count": tweet.metrics.get("impression_count", 0),
            "url_link_clicks": tweet.metrics.get("url_link_clicks", 0),
            "user_profile_clicks": 0,
        }
    return rendered


def media_object(views: dict[str, int], key: str, fields: set[str]) -> dict[str, Any]:
    """A media object as expanded into `includes.media`: photos have no view count,
    videos count views in `public_metrics.view_count`."""
    video = key.startswith("7_")
    rendered: dict[str, Any] = {"media_key": key, "type": "video" if video else "photo"}
    if "public_metrics" in fields and video:
        rendered["public_metrics"] = {"view_count": views.get(key, 0)}
    return rendered
