"""Trends of a listening query over a period in the workspace's timezone: volume and
sentiment per day, week or month, share of voice against competitors, top terms, hashtags
and authors.

Volume, sentiment and share of voice are counted in SQL over every mention of the period;
terms, hashtags and authors are counted over the period's latest SAMPLE mentions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tortoise.functions import Count

from domain.analytics.periods import Interval, Window, interval_start, interval_starts, zone
from domain.identity.models import Workspace
from domain.identity.roles import Permission
from domain.listening.models import ListeningQuery, Mention
from domain.listening.service import visible_query
from domain.tenancy import Actor

SAMPLE = 5000
TOP = 10
_HASHTAG = re.compile(r"(?<![\w#])#(\w{2,100})")


@dataclass
class Point:
    start: date
    mentions: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def net_sentiment(self) -> float | None:
        """(positive - negative) / mentions."""
        return (self.positive - self.negative) / self.mentions if self.mentions else None


@dataclass
class Trends:
    query: ListeningQuery
    window: Window
    points: list[Point]
    share_of_voice: list[tuple[str | None, int, float]]  # (None: the brand, mentions, share)
    top_terms: list[tuple[str, int]]
    top_hashtags: list[tuple[str, int]]
    top_authors: list[tuple[str, int, int | None]] = field(default_factory=list)


def _shares(voices: list[tuple[str | None, int]]) -> list[tuple[str | None, int, float]]:
    """Each voice with its share of all mentions, the loudest first."""
    total = sum(count for _, count in voices)
    ranked = sorted(voices, key=lambda item: (-item[1], item[0] or ""))
    return [(name, count, count / total) for name, count in ranked]


def _bounds(window: Window, timezone: str) -> tuple[datetime, datetime]:
    local = zone(timezone)
    start = datetime.combine(window.start, time(), local).astimezone(UTC)
    end = datetime.combine(window.end + timedelta(days=1), time(), local).astimezone(UTC)
    return start, end


async def mention_trends(actor: Actor, query_id: int, window_for, interval: Interval) -> Trends:
    query = await visible_query(actor, query_id, Permission.ALERTS_READ)
    workspace = await Workspace.get(id=query.workspace_id)
    window: Window = window_for(workspace)
    start, end = _bounds(window, workspace.timezone)
    rows = Mention.filter(
        workspace_id=query.workspace_id,
        query_id=query.id,
        published_at__gte=start,
        published_at__lt=end,
    )
    points = {day: Point(day) for day in interval_starts(window, interval)}
    local = zone(workspace.timezone)
    brand = rows.filter(competitor__isnull=True)
    for published_at, sentiment in await brand.values_list("published_at", "sentiment"):
        point = points.get(interval_start(published_at.astimezone(local).date(), interval))
        if point is None:
            continue
        point.mentions += 1
        label = str(getattr(sentiment, "value", sentiment)).lower()
        setattr(point, label, getattr(point, label) + 1)
    voices = (
        await rows.annotate(count=Count("id"))
        .group_by("competitor")
        .values_list("competitor", "count")
    )
    sample = (
        await rows.order_by("-published_at")
        .limit(SAMPLE)
        .values_list("matched_terms", "text", "author_handle", "author_reach", "competitor")
    )
    terms: Counter[str] = Counter()
    hashtags: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    reach: dict[str, int | None] = {}
    for matched, text, handle, author_reach, competitor in sample:
        if competitor is None:
            terms.update(matched or [])
            hashtags.update(f"#{tag.lower()}" for tag in _HASHTAG.findall(text))
            if handle:
                authors[handle] += 1
                reach[handle] = author_reach
    return Trends(
        query=query,
        window=window,
        points=list(points.values()),
        share_of_voice=_shares(voices),
        top_terms=terms.most_common(TOP),
        top_hashtags=hashtags.most_common(TOP),
        top_authors=[(handle, count, reach[handle]) for handle, count in authors.most_common(TOP)],
    )
