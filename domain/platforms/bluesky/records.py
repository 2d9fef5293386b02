"""Building app.bsky.feed.post records: deterministic record keys, rich-text facets, embeds.

Record keys. The post lexicon's key type is `tid` (atproto.com/specs/tid: 13 base32-sortable
characters encoding a 0 bit, 53 bits of microseconds and a 10-bit clock id), and the PDS
validates a client-supplied rkey against it. Kelola derives the TID from a hash of the
request's reference, so a retried createRecord addresses the same record and can never create
a second post, and `find_published` is a single getRecord. The timestamp bits are confined to
2023 so the key is valid, stable and never in the future; the AppView orders feeds by
createdAt/indexedAt, not by rkey, so only raw repo listings see that date.

Facets (lexicon app.bsky.richtext.facet, docs.bsky.app/docs/advanced-guides/post-richtext)
index the UTF-8 bytes of the text, not its characters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

POST_COLLECTION = "app.bsky.feed.post"
_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z
_TID_SPAN_BITS = 45  # about 1.1 years of microseconds
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""
_MENTION = re.compile(r"(?<![\w@/])@([a-zA-Z0-9][a-zA-Z0-9.-]*\.[a-zA-Z][a-zA-Z0-9-]*)")
# A hashtag needs at least one non-digit word character (#2024 is not a tag).
_TAG = re.compile(r"(?<![\w#&])#(\w*[^\W\d]\w*)")


def record_key(seed: str) -> str:
    """A valid TID, the same for the same seed every time."""
    digest = int.from_bytes(hashlib.sha256(f"kelola:{seed}".encode()).digest()[:8], "big")
    timestamp = _TID_EPOCH_US + (digest >> 10) % (1 << _TID_SPAN_BITS)
    value = (timestamp << 10) | (digest & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_BASE32_SORTABLE[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def rkey_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def post_url(uri: str, handle: str | None) -> str:
    """The bsky.app page of a post (`at://did/app.bsky.feed.post/rkey`)."""
    did = uri.removeprefix("at://").split("/", 1)[0]
    return f"https://bsky.app/profile/{handle or did}/post/{rkey_of(uri)}"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def link_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, uri) character spans of the URLs in the text, trailing punctuation
    left out as the Bluesky app does."""
    spans = []
    for match in _URL.finditer(text):
        uri = match.group().rstrip(_TRAILING)
        spans.append((match.start(), match.start() + len(uri), uri))
    return spans


def mention_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, handle) character spans of @handle mentions."""
    return [(m.start(), m.end(), m.group(1).lower()) for m in _MENTION.finditer(text)]


def tag_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in _TAG.finditer(text)]


def facets(text: str, dids: Mapping[str, str]) -> list[dict[str, Any]]:
    """Link, mention (only handles that resolved to a DID) and tag facets, by byte offset."""
    found: list[dict[str, Any]] = []
    for start, end, uri in link_spans(text):
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": uri}
        found.append(_facet(text, start, end, feature))
    for start, end, handle in mention_spans(text):
        if handle in dids:
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": dids[handle]}
            found.append(_facet(text, start, end, feature))
    for start, end, tag in tag_spans(text):
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        found.append(_facet(text, start, end, feature))
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    byte_start = len(text[:start].encode())
    byte_end = byte_start + len(text[start:end].encode())
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def images_embed(blobs: Iterable[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """app.bsky.embed.images from (blob, alt text) pairs; alt is required, may be empty."""
    images = [{"image": blob, "alt": alt} for blob, alt in blobs]
    return {"$type": "app.bsky.embed.images", "images": images}


def video_embed(blob: dict[str, Any], alt_text: str | None) -> dict[str, Any]:
    embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob}
    if alt_text:
        embed["alt"] = alt_text
    return embed


def external_embed(uri: str, title: str | None) -> dict[str, Any]:
    """A link card; Kelola does not fetch the page, so the card carries the title given."""
    external = {"uri": uri, "title": title or "", "description": ""}
    return {"$type": "app.bsky.embed.external", "external": external}


def post_record(
    text: str,
    *,
    dids: Mapping[str, str],
    embed: dict[str, Any] | None = None,
    reply: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": now_iso()}
    if found := facets(text, dids):
        record["facets"] = found
    if embed:
        record["embed"] = embed
    if reply:
        record["reply"] = reply
    return record


def strong_ref(post: Mapping[str, Any]) -> dict[str, str]:
    return {"uri": str(post["uri"]), "cid": str(post["cid"])}


def reply_ref(parent: Mapping[str, Any]) -> dict[str, Any]:
    """Replying to a post view: the thread's root is the parent's root, or the parent."""
    parent_ref = strong_ref(parent)
    root = ((parent.get("record") or {}).get("reply") or {}).get("root") or parent_ref
    return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}
