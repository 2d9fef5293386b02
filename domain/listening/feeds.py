"""RSS and Atom feeds a workspace reads for mentions (news, blogs).

A feed that cannot be reached or parsed records why on itself and is read again later,
backing off (5 minutes doubling to 6 hours): never a crash loop. XML is parsed with
defusedxml (no entity expansion, no external entities), bodies are capped at 2 MB. In
production a feed's URL, like a webhook's, must not point to an internal address.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from domain.errors import ErrorCode, NotFound, Problems
from domain.identity.roles import Permission
from domain.listening.collection import Found, store
from domain.listening.models import FeedStatus, ListeningFeed, ListeningQuery, SourceCursor
from domain.outbound import address_problems, guarded_client, url_problems
from domain.settings import get_settings
from domain.tenancy import Actor, visible_to, workspace_for

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_S = 10.0
READ_EVERY = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
_TAGS = re.compile(r"<[^>]+>")
_ATOM = "{http://www.w3.org/2005/Atom}"


class FeedError(Exception):
    """The feed could not be read or understood; the message says why, for the member."""


async def add_feed(actor: Actor, *, workspace_id: int, url: str) -> ListeningFeed:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    url = url.strip()
    problems = Problems()
    problems.items.extend(await url_problems(url))
    existing = ListeningFeed.filter(workspace_id=workspace.id, url=url)
    if not problems.items and await existing.exists():
        problems.add("url", ErrorCode.ALREADY_EXISTS, "this feed is already read")
    problems.raise_if_any()
    return await ListeningFeed.create(workspace_id=workspace.id, url=url)


async def remove_feed(actor: Actor, *, feed_id: int) -> ListeningFeed:
    feed = await visible_to(actor, ListeningFeed).get_or_none(id=feed_id)
    if feed is None:
        raise NotFound("feed", field="feedId")
    await actor.require(feed.workspace_id, Permission.CONTENT_WRITE)
    await feed.delete()
    return feed


def _text(value: str | None) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", value or "")).split())


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        moment = parsedate_to_datetime(value)  # RSS: RFC 822
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))  # Atom: RFC 3339
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_feed(body: bytes) -> tuple[str | None, list[Found]]:
    """The feed's title and items (RSS 2.0 or Atom)."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise FeedError(f"not a well-formed feed: {error}") from error
    items: list[Found] = []
    if root.tag == "rss" or root.find("channel") is not None:
        channel = root.find("channel")
        title = _text(channel.findtext("title")) if channel is not None else None
        for item in root.iter("item"):
            link = (item.findtext("link") or "").strip() or None
            key = (item.findtext("guid") or link or item.findtext("title") or "").strip()
            text = _text(f"{item.findtext('title') or ''}. {item.findtext('description') or ''}")
            when = _when(item.findtext("pubDate"))
            if key and text.strip(". ") and when:
                items.append(Found(key, text, when, url=link))
        return title, items
    if root.tag == f"{_ATOM}feed":
        title = _text(root.findtext(f"{_ATOM}title"))
        for entry in root.iter(f"{_ATOM}entry"):
            link_node = entry.find(f"{_ATOM}link")
            link = link_node.get("href") if link_node is not None else None
            key = (entry.findtext(f"{_ATOM}id") or link or "").strip()
            summary = entry.findtext(f"{_ATOM}summary") or entry.findtext(f"{_ATOM}content")
            text = _text(f"{entry.findtext(f'{_ATOM}title') or ''}. {summary or ''}")
            when = _when(entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated"))
            author = entry.find(f"{_ATOM}author")
            handle = _text(author.findtext(f"{_ATOM}name")) if author is not None else None
            if key and text.strip(". ") and when:
                items.append(Found(key, text, when, url=link, author_handle=handle or None))
        return title, items
    raise FeedError("neither RSS nor Atom")


def http_client() -> httpx.AsyncClient:
    """The client feeds are fetched with (tests route it to a fake site). In production it
    follows no redirects: only the checked address is ever fetched."""
    production = get_settings().env == "production"
    return guarded_client(timeout=TIMEOUT_S, follow_redirects=not production, max_redirects=3)


async def fetch(url: str) -> bytes:
    refused = await address_problems(url)
    if refused:
        raise FeedError(refused[0].message)
    try:
        async with http_client() as client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FeedError(f"the feed answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise FeedError("the feed is larger than 2 MB")
            return bytes(body)
    except httpx.HTTPError as error:
        raise FeedError(f"the feed could not be reached: {type(error).__name__}") from error


async def read_feed(feed_id: int, now: datetime | None = None) -> int:
    """Read one feed for every active query of its workspace; returns new mentions."""
    now = now or datetime.now(UTC)
    feed = await ListeningFeed.get_or_none(id=feed_id)
    if feed is None:
        return 0
    try:
        title, found = parse_feed(await fetch(feed.url))
    except FeedError as error:
        feed.failures += 1
        backoff = min(READ_EVERY * 2 ** min(feed.failures, 10), MAX_BACKOFF)
        await ListeningFeed.filter(id=feed.id).update(
            status=FeedStatus.FAILING,
            last_error=str(error)[:500],
            failures=feed.failures,
            next_read_at=now + backoff,
        )
        return 0
    await ListeningFeed.filter(id=feed.id).update(
        status=FeedStatus.OK,
        last_error=None,
        failures=0,
        title=(title or feed.title or "")[:300] or None,
        next_read_at=now + READ_EVERY,
    )
    stored = 0
    queries = await ListeningQuery.filter(workspace_id=feed.workspace_id, active=True)
    for query in queries:
        if query.networks and "RSS" not in query.networks:
            continue
        cursor, _ = await SourceCursor.get_or_create(
            query_id=query.id,
            source=f"feed:{feed.id}",
            defaults={"workspace_id": query.workspace_id},
        )
        stored += await store(query, f"feed:{feed.id}", "RSS", found, cursor, now)
    return stored
