"""Mastodon entities (Status, Notification, Account) into Kelola's dataclasses.

A Status carries its text only as HTML (`content`): Mastodon wraps paragraphs in <p>, line
breaks in <br>, and links, mentions and hashtags in anchors whose visible text is split over
spans. `plain_text` undoes that so an ambiguous publish can be recognised by its text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from domain.platforms.base import Interaction, PostMetrics, PublishRequest

# A remote mention (@user@host) is displayed by Mastodon as just @user.
_REMOTE_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    """The text a Status's HTML `content` displays."""
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    return html.unescape("".join(extractor.parts)).strip()


def comparable(text: str) -> str:
    """Text reduced to what survives Mastodon's rendering (whitespace, remote mentions)."""
    return " ".join(_REMOTE_MENTION.sub(r"@\1", text).split())


def compose(request: PublishRequest) -> str:
    """Mastodon has no link or title field: the link is appended unless already in the text
    (Mastodon builds its preview card from it); a title has no place in a status."""
    text = request.text.strip()
    if request.link and request.link not in text:
        text = f"{text}\n\n{request.link}" if text else request.link
    return text


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def metrics(status: Mapping[str, Any]) -> PostMetrics:
    """Mastodon counts favourites, boosts and replies; it has no impressions, reach, saves
    (bookmarks are private), clicks or views."""
    return PostMetrics(
        network_post_id=str(status["id"]),
        likes=status.get("favourites_count"),
        comments=status.get("replies_count"),
        shares=status.get("reblogs_count"),
    )


def interaction(status: Mapping[str, Any], kind: str) -> Interaction:
    account = status.get("account") or {}
    return Interaction(
        network_id=str(status["id"]),
        kind=kind,
        author_handle=str(account.get("acct") or account.get("username") or ""),
        author_followers=account.get("followers_count"),
        text=plain_text(str(status.get("content") or "")),
        created_at=parse_time(status["created_at"]),
        in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
    )


def notification_interaction(
    notification: Mapping[str, Any], own_account_id: str
) -> Interaction | None:
    """A mention notification; a mention that replies to one of the account's own statuses
    is a comment."""
    status = notification.get("status")
    if notification.get("type") != "mention" or not isinstance(status, Mapping):
        return None
    is_reply = str(status.get("in_reply_to_account_id") or "") == own_account_id
    return interaction(status, "COMMENT" if is_reply else "MENTION")
