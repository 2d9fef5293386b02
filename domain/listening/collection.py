"""Collecting mentions: a cron round asks for one search job per active query and channel
that can search, and one read per due feed; found texts become mentions once per query.

Each source keeps a cursor per query (`SourceCursor.seen_until`), so a run asks only for
what is new; the unique (query, network, external id) keeps a text that two runs both see
from being stored twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.alerts.evaluation import Arrival, evaluate
from domain.channels.models import READABLE, Channel
from domain.channels.tokens import ChannelUnusable, fresh_credentials
from domain.events import Event, publish_many_after_commit
from domain.jobs import enqueue_after_commit
from domain.listening.language import detect_language
from domain.listening.matching import compile_query
from domain.listening.models import ListeningFeed, ListeningQuery, Mention, SourceCursor
from domain.listening.sentiment import score
from domain.listening.service import SEARCHABLE
from domain.platforms.base import ProviderError, RateLimited
from domain.platforms.registry import provider_for
from domain.publishing.limits import take_read_slot
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)

SEARCH_JOB = "listening.search"
FEED_JOB = "listening.read_feed"
MENTION_RECEIVED = "listening.mention_received"
FIRST_LOOK_BACK = timedelta(hours=1)


@dataclass(frozen=True)
class Found:
    """A text a source returned, before matching."""

    external_id: str
    text: str
    published_at: datetime
    url: str | None = None
    author_handle: str | None = None
    author_reach: int | None = None


async def listening_round(now: datetime | None = None) -> int:
    """Ask for this minute's searches and due feed reads; returns how many were asked for."""
    now = now or datetime.now(UTC)
    minute = now.strftime("%Y%m%d%H%M")
    queries = await ListeningQuery.filter(active=True).values("id", "workspace_id", "networks")
    workspaces = {row["workspace_id"] for row in queries}
    channels = await Channel.filter(
        workspace_id__in=workspaces or [0], health__in=READABLE, platform__in=SEARCHABLE
    ).values("id", "workspace_id", "platform")
    feeds = await ListeningFeed.filter(workspace_id__in=workspaces or [0]).values(
        "id", "workspace_id", "next_read_at"
    )
    asked = 0
    async with unit_of_work():
        for query in queries:
            for channel in channels:
                wanted = query["networks"]
                if channel["workspace_id"] != query["workspace_id"]:
                    continue
                if wanted and str(channel["platform"]) not in wanted:
                    continue
                job_id = f"listen:{query['id']}:{channel['id']}:{minute}"
                enqueue_after_commit(SEARCH_JOB, query["id"], channel["id"], job_id=job_id)
                asked += 1
        for feed in feeds:
            if feed["next_read_at"] is None or feed["next_read_at"] <= now:
                enqueue_after_commit(FEED_JOB, feed["id"], job_id=f"feed:{feed['id']}:{minute}")
                asked += 1
    return asked


async def search(query_id: int, channel_id: int, now: datetime | None = None) -> int:
    """Search one network through one channel for one query; returns new mentions."""
    now = now or datetime.now(UTC)
    query = await ListeningQuery.get_or_none(id=query_id, active=True)
    channel = await Channel.get_or_none(id=channel_id)
    if query is None or channel is None or channel.workspace_id != query.workspace_id:
        return 0
    source = f"channel:{channel.id}"
    cursor, _ = await SourceCursor.get_or_create(
        query_id=query.id, source=source, defaults={"workspace_id": query.workspace_id}
    )
    compiled = compile_query(query)
    if not (await take_read_slot(channel.platform, channel.id)).allowed:
        return 0
    since = cursor.seen_until or now - FIRST_LOOK_BACK
    try:
        credentials = await fresh_credentials(channel.id, channel)
        results = await provider_for(channel.platform).search_mentions(
            credentials, compiled.search_terms, since
        )
    except (ChannelUnusable, RateLimited, ProviderError) as error:
        await SourceCursor.filter(id=cursor.id).update(last_run_at=now, last_error=str(error)[:500])
        return 0
    found = [
        Found(
            external_id=item.network_id,
            text=item.text,
            published_at=item.created_at,
            author_handle=item.author_handle,
            author_reach=item.author_followers,
        )
        for item in results
    ]
    return await store(query, source, channel.platform.value, found, cursor, now)


async def store(
    query: ListeningQuery,
    source: str,
    network: str,
    found: list[Found],
    cursor: SourceCursor,
    now: datetime,
) -> int:
    """Match, enrich and store what a source returned; move the cursor; announce new ones."""
    compiled = compile_query(query)
    candidates: dict[str, Mention] = {}
    for item in found:
        if cursor.seen_until is not None and item.published_at <= cursor.seen_until:
            continue
        language = detect_language(item.text)
        match = compiled.match(item.text, language)
        if match is None or item.external_id in candidates:
            continue
        sentiment = score(item.text, language)
        candidates[item.external_id] = Mention(
            workspace_id=query.workspace_id,
            query_id=query.id,
            source=source,
            network=network,
            external_id=item.external_id[:300],
            url=item.url,
            author_handle=item.author_handle,
            author_reach=item.author_reach,
            text=item.text,
            language=sentiment.language,
            sentiment_score=sentiment.score,
            sentiment=sentiment.label,
            matched_terms=list(match.terms),
            competitor=match.competitor,
            published_at=item.published_at,
            collected_at=now,
        )
    seen_until = max((item.published_at for item in found), default=cursor.seen_until)
    async with unit_of_work():
        known = set(
            await Mention.filter(
                query_id=query.id, network=network, external_id__in=list(candidates) or [""]
            ).values_list("external_id", flat=True)
        )
        fresh = [mention for key, mention in candidates.items() if key not in known]
        if fresh:
            await Mention.bulk_create(fresh, ignore_conflicts=True)
        await SourceCursor.filter(id=cursor.id).update(
            seen_until=seen_until, last_run_at=now, last_error=None
        )
        stored = await Mention.filter(
            query_id=query.id,
            network=network,
            external_id__in=[mention.external_id for mention in fresh] or [""],
            collected_at=now,
        ).values("id", "sentiment", "text", "author_reach", "published_at", "competitor")
        await evaluate(
            query,
            [
                Arrival(
                    r["id"], r["text"], str(r["sentiment"]), r["author_reach"], r["published_at"]
                )
                for r in stored
                if r["competitor"] is None
            ],
            now,
        )
        publish_many_after_commit(
            [
                Event(
                    MENTION_RECEIVED,
                    query.workspace_id,
                    {"mention_id": row["id"], "query_id": query.id, "sentiment": row["sentiment"]},
                )
                for row in stored
            ]
        )
    return len(stored)
