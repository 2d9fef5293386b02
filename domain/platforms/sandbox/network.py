"""The simulated network: accepts posts, grows engagement, talks back, and fails on purpose.

Engagement, comments and mentions are pure functions of the account's seed, the post id and
the time elapsed, and the audience (followers, profile views) of the seed and the day, so a
test or a benchmark sees the same curves every run. Failures are drawn
at the account's configured rates. Posts that reach the network are written to the ledger
before any ambiguous failure is reported, exactly like a real network that stored the post
and then timed out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from tortoise import connections

from domain.db import from_db_time
from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    ChannelMetrics,
    Interaction,
    PostMetrics,
    PublishedPost,
    PublishRequest,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.sandbox.models import SandboxAccount, SandboxPost
from domain.settings import get_settings

# Injected failure kinds, in the order they are drawn.
FAILURE_KINDS = (
    "rate_limit",
    "auth_expired",
    "server_error_before",
    "rejected",
    "server_error_after",
    "timeout",
)
RATE_LIMIT_WINDOW = timedelta(seconds=30)
# Injected token expiry spares a token issued this recently: a refresh really fixes it, as
# with a network's expired token (a refused refresh is its own kind, `refresh_refused`).
FRESH_TOKEN = timedelta(seconds=5)
POST_ID_PREFIX = "sbx_"
# What the ledger keeps of media is the URL Kelola served it from; Kelola's storage keys end
# in the file's extension, which tells a video apart.
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "m4v", "webm"})
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "gif"})
UNKNOWN_MEDIA_VIDEO_SHARE = 0.25  # media whose URL says nothing: this share counts as video
DAY_S = 86_400
# Followers grow by `rate` per day at first (0.1-0.5 %), slowing as the account ages
# (halved after GROWTH_HALF_LIFE_DAYS), with a seeded wobble of at most FOLLOWER_JITTER
# around the trend: a day-to-day dip is never more than about 2 x FOLLOWER_JITTER.
GROWTH_HALF_LIFE_DAYS = 180.0
FOLLOWER_JITTER = 0.0015
# A search answers at most this many posts a call (the oldest); the next call goes on.
MAX_SEARCH_RESULTS = 10_000
_MINUTE_US = 60_000_000
_COMMENT_TEXTS = (
    "Love this!",
    "Where can I buy it?",
    "Terrible service last time, not impressed.",
    "Mantap, keren banget!",
    "Kapan buka cabang di Bandung?",
    "Pelayanannya lambat sekali.",
    "Great job team",
    "Is this available in blue?",
)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the given parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class LedgerRow(NamedTuple):
    """The columns of a ledger row that engagement reads; metrics() loads these as plain
    tuples, which costs half of building SandboxPost models."""

    id: int
    received_at: datetime
    media: Any
    link: str | None


async def _ledger_rows(account_id: int, ids: list[int]) -> list[LedgerRow]:
    """The ledger rows engagement reads, by id. Plain SQL: the metrics polling asks for
    hundreds of ids at a time, and building that query through the ORM costs more than
    running it."""
    if not ids:
        return []
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(_LEDGER_PG, [account_id, ids])
        return [LedgerRow(r["id"], r["received_at"], _media(r["media"]), r["link"]) for r in rows]
    marks = ", ".join("?" * len(ids))
    _, rows = await connection.execute_query(f"{_LEDGER_SQLITE} ({marks})", [account_id, *ids])
    return [
        LedgerRow(r["id"], from_db_time(r["received_at"]), _media(r["media"]), r["link"])
        for r in rows
    ]


_LEDGER_PG = (
    "SELECT id, received_at, media, link FROM sandbox_posts "
    "WHERE account_id = $1 AND id = ANY($2::bigint[])"
)
_LEDGER_SQLITE = (
    "SELECT id, received_at, media, link FROM sandbox_posts WHERE account_id = ? AND id IN"
)


def _media(value: str | list | None) -> list:
    if value == "[]" or not value:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def network_post_id(ledger_id: int) -> str:
    return f"{POST_ID_PREFIX}{ledger_id}"


def ledger_id(post_id: str) -> int | None:
    raw = post_id.removeprefix(POST_ID_PREFIX)
    return int(raw) if post_id.startswith(POST_ID_PREFIX) and raw.isdigit() else None


@dataclass
class SandboxNetwork:
    """One handle on the simulated network; `rng` draws the injected failures."""

    rng: random.Random

    async def _account(self, account_id: int, token_hash: str) -> SandboxAccount:
        account = await SandboxAccount.get_or_none(id=account_id)
        if account is None or account.token_hash != token_hash:
            raise AuthExpired("sandbox: access token is invalid or expired", status=401)
        return account

    def _draw_failure(self, account: SandboxAccount) -> str | None:
        roll = self.rng.random()
        threshold = 0.0
        for kind in FAILURE_KINDS:
            threshold += float(account.failure_rates.get(kind, 0.0))
            if roll < threshold:
                return kind
        return None

    async def _wait(self, account: SandboxAccount) -> None:
        slow = float(account.failure_rates.get("slow", 0.0))
        delay = account.latency_ms / 1000
        if slow and self.rng.random() < slow:
            delay += 2.0
        if delay:
            await asyncio.sleep(delay)

    async def publish(
        self, account_id: int, token_hash: str, request: PublishRequest
    ) -> PublishedPost:
        account = await self._account(account_id, token_hash)
        await self._wait(account)
        failure = self._draw_failure(account)
        now = datetime.now(UTC)
        if failure == "rate_limit":
            raise RateLimited("sandbox: too many requests", retry_at=now + RATE_LIMIT_WINDOW)
        fresh = account.token_issued_at and now - account.token_issued_at < FRESH_TOKEN
        if failure == "auth_expired" and not fresh:
            # The token really expires, as a network's would: only a refresh brings it back.
            await SandboxAccount.filter(id=account.id, token_hash=token_hash).update(
                token_hash=f"expired:{self.rng.random()}"
            )
            raise AuthExpired("sandbox: token expired", status=401)
        if failure == "auth_expired":
            failure = None
        if failure == "server_error_before":
            raise TransientBeforeSend("sandbox: 503 service unavailable", status=503)
        if failure == "rejected":
            raise Rejected("sandbox: content violates the sandbox's rules", status=400)
        if not request.text.strip() and not request.media:
            raise Rejected("sandbox: a post needs text or media", status=400)
        answered = {"server_error_after": "ERROR_AFTER", "timeout": "TIMEOUT"}.get(failure, "OK")
        row = await SandboxPost.create(
            account=account,
            reference=request.reference,
            text=request.text,
            media=[item.url for item in request.media],
            link=request.link,
            answered=answered,
        )
        if failure == "server_error_after":
            raise Ambiguous("sandbox: 502 bad gateway after the post was stored", status=502)
        if failure == "timeout":
            raise Ambiguous("sandbox: timed out")
        return PublishedPost(
            network_post_id(row.id), self.post_url(account, row.id), row.received_at
        )

    @staticmethod
    def post_url(account: SandboxAccount, row_id: int) -> str:
        return f"https://sandbox.kelola.invalid/@{account.handle}/{row_id}"

    async def find(self, account_id: int, token_hash: str, reference: str) -> PublishedPost | None:
        account = await self._account(account_id, token_hash)
        row = (
            await SandboxPost.filter(account_id=account.id, reference=reference)
            .order_by("id")
            .first()
        )
        if row is None:
            return None
        return PublishedPost(
            network_post_id(row.id), self.post_url(account, row.id), row.received_at
        )

    async def metrics(
        self, account_id: int, token_hash: str, post_ids: list[str], at: datetime | None = None
    ) -> list[PostMetrics]:
        account = await self._account(account_id, token_hash)
        wanted = [i for i in (ledger_id(post_id) for post_id in post_ids) if i is not None]
        now = at or datetime.now(UTC)
        return [engagement(account, row, now) for row in await _ledger_rows(account.id, wanted)]

    async def channel_metrics(
        self, account_id: int, token_hash: str, at: datetime | None = None
    ) -> ChannelMetrics:
        account = await self._account(account_id, token_hash)
        now = at or datetime.now(UTC)
        return ChannelMetrics(
            followers=followers(account, now), profile_views=profile_views(account, now)
        )

    async def interactions(
        self, account_id: int, token_hash: str, since: datetime, until: datetime | None = None
    ) -> list[Interaction]:
        """Comments on the account's posts and direct messages, deterministic in time."""
        account = await self._account(account_id, token_hash)
        until = until or datetime.now(UTC)
        rows = await SandboxPost.filter(
            account_id=account.id, received_at__gte=since - timedelta(days=7)
        )
        found: list[Interaction] = []
        for row in rows:
            for index in range(_comment_count(account, row, until)):
                created = row.received_at + timedelta(minutes=5 * (index + 1))
                if since <= created <= until:
                    found.append(_comment(account, row, index, created))
        found.extend(_messages(account, since, until))
        return sorted(found, key=lambda interaction: interaction.created_at)

    async def search(
        self,
        terms: list[str],
        since: datetime,
        until: datetime | None = None,
        per_minute: int | None = None,
    ) -> list[Interaction]:
        """Public posts mentioning the terms, published after `since` up to `until` (now).

        Each term gets `per_minute` posts a minute (by default the
        `sandbox_mentions_per_minute` setting), spread evenly over the minute: slot k of n at
        k x 60/n seconds past it. Consecutive windows (since, until] therefore return every
        post once, however short they are. At most MAX_SEARCH_RESULTS posts, the oldest
        (never splitting the posts of one instant): the rest comes with the next call.
        """
        until = until or datetime.now(UTC)
        if per_minute is None:
            per_minute = get_settings().sandbox_mentions_per_minute
        mentions: list[Interaction] = []
        if not terms or per_minute < 1:
            return mentions
        for minute, slot, at in _mention_slots(since, until, per_minute):
            if mentions and len(mentions) + len(terms) > MAX_SEARCH_RESULTS:
                break
            mentions.extend(_mention(term, minute, slot, at) for term in terms)
        return mentions


def _mention_slots(
    since: datetime, until: datetime, per_minute: int
) -> Iterator[tuple[datetime, int, datetime]]:
    """(minute, slot, instant) of each search slot with since < instant <= until, in order."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    minute = since.replace(second=0, microsecond=0)
    into = (since - minute) // timedelta(microseconds=1)
    first = into * per_minute // _MINUTE_US  # the slot at or just before `since`
    while minute <= until:
        for slot in range(first, per_minute):
            at = minute + timedelta(microseconds=slot * _MINUTE_US // per_minute)
            if at > until:
                return
            if at > since:
                yield minute, slot, at
        minute += timedelta(minutes=1)
        first = 0


def _mention(term: str, minute: datetime, slot: int, at: datetime) -> Interaction:
    """The public post of `term`'s search at (minute, slot): the same every time."""
    pick = int(_unit(term, minute, slot) * len(_COMMENT_TEXTS))
    return Interaction(
        network_id=f"sbxm_{int(_unit('id', term, minute, slot) * 10**12)}",
        kind="MENTION",
        author_handle=f"user{int(_unit('author', term, minute, slot) * 5000)}",
        author_followers=int(10 ** (1 + 5 * _unit("reach", term, minute, slot))),
        text=f"{_COMMENT_TEXTS[pick]} #{term}",
        created_at=at,
    )


def engagement(account: SandboxAccount, row: SandboxPost | LedgerRow, at: datetime) -> PostMetrics:
    """Saturating growth toward a seeded peak: most engagement in the first day. Video posts
    also gather views (a seeded share of impressions, saturating a little later) and watch
    time (views x a seeded average watch of 4-30 s); other posts report neither."""
    hours = max(0.0, (at - row.received_at).total_seconds() / 3600)
    growth = 1 - math.exp(-hours / 6)
    quality = 0.5 + _unit(account.seed, row.id, "quality")
    impressions = int(account.followers * 1.8 * quality * growth)
    reach = int(impressions * 0.7)
    likes = int(reach * 0.05 * quality)
    video_views = watch_time_s = None
    if row.media and is_video_post(account, row):
        pick = _unit(account.seed, row.id, "video")
        views_growth = 1 - math.exp(-hours / 9)
        video_views = int(account.followers * 1.8 * quality * (0.25 + 0.4 * pick) * views_growth)
        watch_time_s = int(video_views * (4 + 26 * (pick * 7919 % 1)))
    return PostMetrics(
        network_post_id=network_post_id(row.id),
        impressions=impressions,
        reach=reach,
        likes=likes,
        comments=_comment_count(account, row, at),
        shares=int(likes * 0.1),
        saves=int(likes * 0.08),
        clicks=int(reach * 0.01) if row.link else None,
        video_views=video_views,
        watch_time_s=watch_time_s,
    )


def is_video_post(account: SandboxAccount, row: SandboxPost | LedgerRow) -> bool:
    """Whether the post carries a video, told by its media URLs' extensions; a post whose
    media URLs name no known extension is a video for a seeded share of such posts."""
    unknown = False
    for url in row.media or ():
        path = str(url).split("?", 1)[0].split("#", 1)[0]
        tail = path.rsplit("/", 1)[-1]
        extension = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
        if extension in VIDEO_EXTENSIONS:
            return True
        unknown = unknown or extension not in IMAGE_EXTENSIONS
    return unknown and _unit(account.seed, row.id, "media-kind") < UNKNOWN_MEDIA_VIDEO_SHARE


def followers(account: SandboxAccount, at: datetime) -> int:
    """The account's followers at `at`: the count it opened with, grown at a seeded rate that
    slows with age, plus a seeded wobble per UTC day (interpolated within the day)."""
    days = max(0.0, (at - account.created_at).total_seconds() / DAY_S)
    rate = 0.001 + 0.004 * _unit(account.seed, "follower-rate")
    trend = rate * GROWTH_HALF_LIFE_DAYS * math.log1p(days / GROWTH_HALF_LIFE_DAYS)
    whole = int(days)
    wobble = _jitter(account, whole) + (_jitter(account, whole + 1) - _jitter(account, whole)) * (
        days - whole
    )
    return int(account.followers * math.exp(trend + wobble))


def profile_views(account: SandboxAccount, at: datetime) -> int:
    """Profile views of `at`'s UTC day: about 0.5-2 % of the followers, fewer at weekends,
    the same whenever that day is asked about."""
    start = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = start.date().toordinal()
    share = 0.005 + 0.015 * _unit(account.seed, day, "profile-views")
    weekend = 0.6 if start.weekday() >= 5 else 1.0
    return int(followers(account, max(start, account.created_at)) * share * weekend)


def _jitter(account: SandboxAccount, day: int) -> float:
    if day <= 0:
        return 0.0  # the account opens with exactly its configured followers
    return FOLLOWER_JITTER * (2 * _unit(account.seed, day, "follower-jitter") - 1)


def _comment_count(account: SandboxAccount, row: SandboxPost | LedgerRow, at: datetime) -> int:
    minutes = max(0.0, (at - row.received_at).total_seconds() / 60)
    ceiling = 1 + int(_unit(account.seed, row.id, "comments") * 12)
    return min(ceiling, int(minutes // 5))


MESSAGE_EVERY = timedelta(minutes=20)
MAX_MESSAGES = 500


def _messages(account: SandboxAccount, since: datetime, until: datetime) -> list[Interaction]:
    """Direct messages: at whole 20-minute marks, each mark with a seeded chance of one."""
    start = max(since, account.created_at)
    mark = datetime.fromtimestamp(
        (int(start.timestamp()) // int(MESSAGE_EVERY.total_seconds()) + 1)
        * int(MESSAGE_EVERY.total_seconds()),
        UTC,
    )
    messages: list[Interaction] = []
    while mark <= until and len(messages) < MAX_MESSAGES:
        stamp = int(mark.timestamp())
        if _unit(account.seed, stamp, "message") < 0.5:
            pick = int(_unit(account.seed, stamp, "message-text") * len(_COMMENT_TEXTS))
            messages.append(
                Interaction(
                    network_id=f"sbxdm_{account.id}_{stamp}",
                    kind="MESSAGE",
                    author_handle=f"customer{int(_unit(account.seed, stamp, 'who') * 900)}",
                    author_followers=int(10 ** (1 + 3 * _unit(account.seed, stamp, "reach"))),
                    text=_COMMENT_TEXTS[pick],
                    created_at=mark,
                )
            )
        mark += MESSAGE_EVERY
    return messages


def _comment(
    account: SandboxAccount, row: SandboxPost, index: int, created: datetime
) -> Interaction:
    pick = _unit(account.seed, row.id, index, "text")
    return Interaction(
        network_id=f"{network_post_id(row.id)}_c{index}",
        kind="COMMENT",
        author_handle=f"fan{int(_unit(account.seed, row.id, index, 'author') * 900)}",
        author_followers=int(10 ** (1 + 4 * _unit(account.seed, row.id, index, "reach"))),
        text=_COMMENT_TEXTS[int(pick * len(_COMMENT_TEXTS))],
        created_at=created,
        in_reply_to=network_post_id(row.id),
    )
