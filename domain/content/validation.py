"""postValidate: every rule a post breaks on every network it targets, not just the first.

Errors block scheduling; warnings do not.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.channels.models import Channel
from domain.content import text
from domain.content.models import ContentPolicy, Media, MediaKind, Post, PostTarget, TargetStatus
from domain.content.rules import RULES, PlatformRules

DUPLICATE_WINDOW = timedelta(days=30)
# Targets that occupy a channel's calendar: they count for frequency and duplicates.
OCCUPYING = (
    TargetStatus.SCHEDULED,
    TargetStatus.PUBLISHING,
    TargetStatus.PUBLISHED,
    TargetStatus.UNCONFIRMED,
)


class Severity(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


class RuleCode(StrEnum):
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    TEXT_REQUIRED = "TEXT_REQUIRED"
    MEDIA_REQUIRED = "MEDIA_REQUIRED"
    TOO_MANY_MEDIA = "TOO_MANY_MEDIA"
    MEDIA_TYPE_NOT_ALLOWED = "MEDIA_TYPE_NOT_ALLOWED"
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"
    VIDEO_TOO_LONG = "VIDEO_TOO_LONG"
    MEDIA_MIX_NOT_ALLOWED = "MEDIA_MIX_NOT_ALLOWED"
    ALT_TEXT_MISSING = "ALT_TEXT_MISSING"
    TOO_MANY_HASHTAGS = "TOO_MANY_HASHTAGS"
    TOO_MANY_MENTIONS = "TOO_MANY_MENTIONS"
    TITLE_TOO_LONG = "TITLE_TOO_LONG"
    TITLE_MISSING = "TITLE_MISSING"
    LINK_TOO_LONG = "LINK_TOO_LONG"
    LINK_NOT_CLICKABLE = "LINK_NOT_CLICKABLE"
    POLL_NOT_SUPPORTED = "POLL_NOT_SUPPORTED"
    FIRST_COMMENT_NOT_SUPPORTED = "FIRST_COMMENT_NOT_SUPPORTED"
    DUPLICATE_TEXT = "DUPLICATE_TEXT"
    TOO_MANY_POSTS_PER_DAY = "TOO_MANY_POSTS_PER_DAY"
    TOO_CLOSE_TO_ANOTHER_POST = "TOO_CLOSE_TO_ANOTHER_POST"
    TIME_IN_PAST = "TIME_IN_PAST"
    CHANNEL_NOT_CONNECTED = "CHANNEL_NOT_CONNECTED"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: RuleCode
    message: str
    field: str | None = None
    channel_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One target as it would be published: effective text and media for its channel."""

    channel: Channel
    text: str
    media: list[Media]
    at: datetime | None
    target_id: int | None = None


@dataclass
class Report:
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors


class _Collector:
    def __init__(self, channel: Channel):
        self.channel = channel
        self.findings: list[Finding] = []

    def error(self, code: RuleCode, message: str, field: str | None = None) -> None:
        self.findings.append(Finding(Severity.ERROR, code, message, field, self.channel.id))

    def warn(self, code: RuleCode, message: str, field: str | None = None) -> None:
        self.findings.append(Finding(Severity.WARNING, code, message, field, self.channel.id))


def _network(channel: Channel) -> str:
    return channel.platform.value.title()


def check_content(post: Post, candidate: Candidate) -> list[Finding]:
    """The network's own rules: pure, no database."""
    rules: PlatformRules = RULES[candidate.channel.platform]
    found = _Collector(candidate.channel)
    network = _network(candidate.channel)
    size = text.length(candidate.text, rules.counting)
    if size > rules.text_limit:
        found.error(
            RuleCode.TEXT_TOO_LONG,
            f"{network} allows {rules.text_limit} characters; this text counts {size}",
            "body",
        )
    if not candidate.text.strip() and not candidate.media and not post.poll:
        found.error(RuleCode.TEXT_REQUIRED, f"{network} needs text or media", "body")
    _check_media(found, rules, candidate.media, network)
    tags = text.hashtags(candidate.text)
    if rules.max_hashtags is not None and len(tags) > rules.max_hashtags:
        found.error(
            RuleCode.TOO_MANY_HASHTAGS,
            f"{network} allows {rules.max_hashtags} hashtags; this text has {len(tags)}",
            "body",
        )
    handles = text.mentions(candidate.text)
    if rules.max_mentions is not None and len(handles) > rules.max_mentions:
        found.error(
            RuleCode.TOO_MANY_MENTIONS,
            f"{network} allows {rules.max_mentions} mentions; this text has {len(handles)}",
            "body",
        )
    if rules.title_limit is not None:
        if not post.title:
            found.warn(RuleCode.TITLE_MISSING, f"{network} posts show better with a title", "title")
        elif len(post.title) > rules.title_limit:
            found.error(
                RuleCode.TITLE_TOO_LONG,
                f"{network} titles have at most {rules.title_limit} characters",
                "title",
            )
    if post.link:
        if rules.link_limit is not None and len(post.link) > rules.link_limit:
            found.error(
                RuleCode.LINK_TOO_LONG,
                f"{network} links have at most {rules.link_limit} characters",
                "link",
            )
        if not rules.links_clickable:
            found.warn(RuleCode.LINK_NOT_CLICKABLE, f"links are not clickable on {network}", "link")
    if post.poll and not rules.supports_poll:
        found.error(RuleCode.POLL_NOT_SUPPORTED, f"{network} does not support polls", "poll")
    if post.first_comment and not rules.supports_first_comment:
        found.warn(
            RuleCode.FIRST_COMMENT_NOT_SUPPORTED,
            f"{network} has no comments; the first comment will not be posted",
            "firstComment",
        )
    return found.findings


def _check_media(found: _Collector, rules: PlatformRules, media: list[Media], network: str) -> None:
    limits = rules.media
    if rules.media_required and not media:
        found.error(
            RuleCode.MEDIA_REQUIRED, f"{network} posts need at least one image or video", "mediaIds"
        )
    if len(media) > limits.max_items:
        found.error(
            RuleCode.TOO_MANY_MEDIA,
            f"{network} allows {limits.max_items} media; this post has {len(media)}",
            "mediaIds",
        )
    videos = [item for item in media if item.kind == MediaKind.VIDEO]
    if len(videos) > limits.max_videos:
        found.error(
            RuleCode.TOO_MANY_MEDIA, f"{network} allows {limits.max_videos} video(s)", "mediaIds"
        )
    if videos and len(videos) != len(media) and not limits.mix_images_and_video:
        found.error(
            RuleCode.MEDIA_MIX_NOT_ALLOWED, f"{network} cannot mix video with images", "mediaIds"
        )
    for item in media:
        if item.kind not in limits.kinds:
            found.error(
                RuleCode.MEDIA_TYPE_NOT_ALLOWED,
                f"{network} does not accept {item.kind.value}",
                "mediaIds",
            )
            continue
        is_video = item.kind == MediaKind.VIDEO
        allowed_types = (
            limits.video_mime_types if is_video else limits.image_mime_types | {"image/gif"}
        )
        if item.mime_type not in allowed_types:
            found.error(
                RuleCode.MEDIA_TYPE_NOT_ALLOWED,
                f"{network} does not accept {item.mime_type}",
                "mediaIds",
            )
        max_bytes = limits.max_video_bytes if is_video else limits.max_image_bytes
        if item.size_bytes > max_bytes:
            found.error(
                RuleCode.MEDIA_TOO_LARGE,
                f"{network} accepts files up to {max_bytes // (1024 * 1024)} MB",
                "mediaIds",
            )
        if is_video and item.duration_s and item.duration_s > limits.max_video_seconds:
            found.error(
                RuleCode.VIDEO_TOO_LONG,
                f"{network} accepts videos up to {int(limits.max_video_seconds)} s",
                "mediaIds",
            )
        if not is_video and not item.alt_text:
            found.warn(
                RuleCode.ALT_TEXT_MISSING, "add alt text so everyone can see the image", "mediaIds"
            )


class Occupancy:
    """What already occupies channels' calendars — the targets duplicate and frequency rules
    compare against — indexed so each check costs a binary search, not a scan."""

    def __init__(self) -> None:
        self._times: dict[int, list[datetime]] = defaultdict(list)
        self._texts: dict[tuple[int, str], list[datetime]] = defaultdict(list)

    def add(self, channel_id: int, at: datetime, body: str) -> None:
        at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
        insort(self._times[channel_id], at)
        key = text.normalized(body)
        if key:
            insort(self._texts[(channel_id, key)], at)

    @classmethod
    async def load(
        cls, channel_ids: list[int], start: datetime, end: datetime, exclude: Sequence[int] = ()
    ) -> Occupancy:
        """Targets on these channels placed between `start` and `end`, in one query."""
        occupancy = cls()
        rows = (
            await PostTarget.filter(channel_id__in=list(channel_ids), status__in=OCCUPYING)
            .exclude(id__in=list(exclude) or [0])
            .filter(scheduled_at__gte=start, scheduled_at__lte=end)
            .values_list("channel_id", "scheduled_at", "body_override", "post__body")
        )
        for channel_id, at, override, body in rows:
            occupancy.add(channel_id, at, override if override is not None else body or "")
        return occupancy

    def repeats(self, channel_id: int, key: str, moment: datetime, window: timedelta) -> bool:
        """Whether the same (normalized) text is placed within `window` of `moment`."""
        times = self._texts.get((channel_id, key), [])
        return bisect_right(times, moment + window) > bisect_left(times, moment - window)

    def on_day(self, channel_id: int, day: date, zone: ZoneInfo) -> int:
        """How many targets the channel has on a calendar day of `zone`."""
        times = self._times.get(channel_id, [])
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return bisect_left(times, end) - bisect_left(times, start)

    def closer_than(self, channel_id: int, at: datetime, gap: timedelta) -> bool:
        """Whether a target is placed less than `gap` away from `at`."""
        times = self._times.get(channel_id, [])
        return bisect_left(times, at + gap) > bisect_right(times, at - gap)


async def check_calendar(
    candidates: list[Candidate],
    policy: ContentPolicy,
    workspace_tz: str,
    now: datetime,
    occupancy: Occupancy | None = None,
) -> list[Finding]:
    """Rules against the channel's calendar: duplicates, posting frequency, time in the past.
    One query for all candidates — none when the caller keeps an `occupancy` of its own
    (a bulk import checking many posts against the same calendars)."""
    findings: list[Finding] = []
    scheduled = [c for c in candidates if c.at is not None]
    for candidate in scheduled:
        if candidate.at <= now:
            findings.append(
                Finding(
                    Severity.ERROR,
                    RuleCode.TIME_IN_PAST,
                    "the time is in the past",
                    "at",
                    candidate.channel.id,
                )
            )
    if not candidates:
        return findings
    if occupancy is None:
        occupancy = await Occupancy.load(
            [c.channel.id for c in candidates],
            min((c.at or now) for c in candidates) - DUPLICATE_WINDOW,
            max((c.at or now) for c in candidates) + DUPLICATE_WINDOW,
            exclude=[c.target_id for c in candidates if c.target_id],
        )
    zone = ZoneInfo(workspace_tz)
    for candidate in candidates:
        channel_id = candidate.channel.id
        mine = text.normalized(candidate.text)
        if mine and occupancy.repeats(channel_id, mine, candidate.at or now, DUPLICATE_WINDOW):
            findings.append(
                Finding(
                    Severity.ERROR,
                    RuleCode.DUPLICATE_TEXT,
                    "the same text goes to this channel within 30 days",
                    "body",
                    channel_id,
                )
            )
        if candidate.at is None:
            continue
        day = candidate.at.astimezone(zone).date()
        if policy.max_posts_per_channel_per_day is not None:
            same_day = occupancy.on_day(channel_id, day, zone)
            if same_day + 1 > policy.max_posts_per_channel_per_day:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        RuleCode.TOO_MANY_POSTS_PER_DAY,
                        f"this channel may post {policy.max_posts_per_channel_per_day} times a day",
                        "at",
                        channel_id,
                    )
                )
        if policy.min_minutes_between_posts is not None:
            gap = timedelta(minutes=policy.min_minutes_between_posts)
            if occupancy.closer_than(channel_id, candidate.at, gap):
                findings.append(
                    Finding(
                        Severity.ERROR,
                        RuleCode.TOO_CLOSE_TO_ANOTHER_POST,
                        f"posts here must be {policy.min_minutes_between_posts} minutes apart",
                        "at",
                        channel_id,
                    )
                )
    return findings


def utc_now() -> datetime:
    return datetime.now(UTC)
