"""Scheduling, queueing and cancelling posts. Every schedule runs the full validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.channels.models import ChannelHealth
from domain.content import history
from domain.content.candidates import candidates_for
from domain.content.models import EDITABLE, Post, PostTarget, QueueSlot, TargetStatus
from domain.content.posts import not_editable, policy_for, visible_post
from domain.content.validation import (
    OCCUPYING,
    Finding,
    Occupancy,
    Report,
    RuleCode,
    Severity,
    check_calendar,
    check_content,
)
from domain.errors import DomainError, ErrorCode, Problem, Problems, ValidationFailed
from domain.identity.models import Workspace
from domain.identity.roles import Permission
from domain.identity.workspaces import check_timezone
from domain.publishing.jobs import publish_when_due
from domain.tenancy import Actor

SCHEDULABLE = frozenset(
    {
        TargetStatus.DRAFT,
        TargetStatus.APPROVED,
        TargetStatus.SCHEDULED,
        TargetStatus.FAILED,
        TargetStatus.CANCELLED,
    }
)
CANCELLABLE = frozenset(
    {
        TargetStatus.DRAFT,
        TargetStatus.IN_REVIEW,
        TargetStatus.APPROVED,
        TargetStatus.SCHEDULED,
        TargetStatus.FAILED,
    }
)
QUEUE_HORIZON_DAYS = 90
QUEUE_LEAD = timedelta(minutes=1)


@dataclass(frozen=True)
class Scheduled:
    """A post that passed validation and is scheduled; the report keeps the warnings."""

    post: Post
    report: Report


class RulesViolated(ValidationFailed):
    """Scheduling refused: the report lists every rule broken on every network."""

    def __init__(self, report: Report):
        super().__init__(
            [Problem(f.field, ErrorCode.RULE_VIOLATED, f.message) for f in report.errors]
        )
        self.report = report


def to_utc(at: datetime, timezone: str) -> datetime:
    """An instant; a time without offset is wall-clock time in `timezone`."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(timezone))
    return at.astimezone(UTC)


async def validate(
    post: Post,
    targets: list[PostTarget],
    at: dict[int, datetime | None],
    now: datetime,
    occupancy: Occupancy | None = None,
) -> Report:
    """Every rule `post` breaks on the targets' channels at those times. The calendar rules
    read the database unless the caller keeps an `occupancy` of its own (bulk imports)."""
    candidates = await candidates_for(post, targets, at)
    findings: list[Finding] = []
    for candidate in candidates:
        if candidate.channel.health in (ChannelHealth.DISCONNECTED, ChannelHealth.NEEDS_REAUTH):
            findings.append(
                Finding(
                    Severity.ERROR,
                    RuleCode.CHANNEL_NOT_CONNECTED,
                    f"the channel is {candidate.channel.health.value}",
                    "targets",
                    candidate.channel.id,
                )
            )
        findings.extend(check_content(post, candidate))
    workspace = await Workspace.get(id=post.workspace_id)
    policy = await policy_for(post.workspace_id)
    findings.extend(await check_calendar(candidates, policy, workspace.timezone, now, occupancy))
    return Report(findings)


async def _schedulable_targets(actor: Actor, post: Post) -> list[PostTarget]:
    """The targets to (re)schedule. Those the publisher has or had stay as they are, so a
    failed or cancelled channel can be tried again after its siblings were published."""
    policy = await policy_for(post.workspace_id)
    targets = await PostTarget.filter(post_id=post.id).order_by("id").select_for_update()
    movable = [target for target in targets if target.status in EDITABLE]
    if targets and not movable:
        raise not_editable(targets[0])
    for target in movable:
        if policy.approval_required and target.status not in (
            TargetStatus.APPROVED,
            TargetStatus.SCHEDULED,
        ):
            raise DomainError(
                [Problem("postId", ErrorCode.NEEDS_APPROVAL, "This post must be approved first")]
            )
        if target.status not in SCHEDULABLE:
            raise DomainError(
                [
                    Problem(
                        "postId",
                        ErrorCode.NOT_ALLOWED,
                        "This post is in review: approve or reject it first",
                    )
                ]
            )
    return movable


async def _schedule(
    actor: Actor,
    post: Post,
    targets: list[PostTarget],
    at: dict[int, datetime],
    timezone: str,
    occupancy: Occupancy | None = None,
) -> Report:
    now = datetime.now(UTC)
    report = await validate(post, targets, dict(at), now, occupancy)
    if not report.valid:
        raise RulesViolated(report)
    for target in targets:
        was_scheduled = target.status == TargetStatus.SCHEDULED
        await history.move(
            target,
            TargetStatus.SCHEDULED,
            actor=actor,
            reason="rescheduled" if was_scheduled else "scheduled",
            scheduled_at=at[target.id],
            next_attempt_at=at[target.id],
            timezone=timezone,
            attempts=0,
            failure_reason=None,
        )
        if was_scheduled:
            await history.record(target, TargetStatus.SCHEDULED, actor=actor, reason="rescheduled")
        publish_when_due(target)
    return report


async def schedule_post(
    actor: Actor,
    *,
    post_id: int,
    at: datetime,
    timezone: str,
    occupancy: Occupancy | None = None,
) -> Scheduled:
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    problems = Problems()
    check_timezone(problems, timezone)
    problems.raise_if_any()
    when = to_utc(at, timezone)
    targets = await _schedulable_targets(actor, post)
    report = await _schedule(
        actor, post, targets, {target.id: when for target in targets}, timezone, occupancy
    )
    return Scheduled(post, report)


async def add_to_queue(
    actor: Actor, *, post_id: int, occupancy: Occupancy | None = None
) -> Scheduled:
    """Each target takes the next free slot of its channel's queue."""
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    targets = await _schedulable_targets(actor, post)
    now = datetime.now(UTC)
    at: dict[int, datetime] = {}
    zones: dict[int, str] = {}
    problems = Problems()
    for target in targets:
        slot = await next_free_slot(target.channel_id, after=now + QUEUE_LEAD, exclude=target.id)
        if slot is None:
            problems.add(
                "postId",
                ErrorCode.INVALID,
                "A channel of this post has no free queue slot; set its slots with queueSlotsSet",
            )
            continue
        at[target.id], zones[target.id] = slot
    problems.raise_if_any()
    for target in targets:
        target.timezone = zones[target.id]
    report = await _schedule(
        actor, post, targets, at, zones[targets[0].id] if targets else "UTC", occupancy
    )
    for target in targets:  # each channel keeps its own queue's zone
        if target.timezone != zones[target.id]:
            target.timezone = zones[target.id]
            await target.save(update_fields=["timezone"])
    return Scheduled(post, report)


def slot_instants(
    slots: list[QueueSlot], after: datetime, days: int = QUEUE_HORIZON_DAYS
) -> list[datetime]:
    """Every slot instant after `after`, in order, computed in wall-clock time.

    09:00 stays 09:00 local across DST. A slot in the spring-forward gap (02:30 when clocks
    jump from 02:00 to 03:00) moves forward by the gap; one in the repeated autumn hour is
    taken at its first occurrence.
    """
    if not slots:
        return []
    zone = ZoneInfo(slots[0].timezone)
    start = after.astimezone(zone).date()
    instants: list[datetime] = []
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            local = datetime.combine(
                day, time(slot.minute_of_day // 60, slot.minute_of_day % 60), tzinfo=zone
            )
            instant = local.astimezone(UTC)
            if instant > after:
                instants.append(instant)
    return sorted(set(instants))


async def next_free_slot(
    channel_id: int, *, after: datetime, exclude: int | None = None
) -> tuple[datetime, str] | None:
    slots = await QueueSlot.filter(channel_id=channel_id).order_by("weekday", "minute_of_day")
    instants = slot_instants(slots, after)
    if not instants:
        return None
    taken = set(
        await PostTarget.filter(
            channel_id=channel_id,
            status__in=OCCUPYING,
            scheduled_at__gte=instants[0],
            scheduled_at__lte=instants[-1],
        )
        .exclude(id=exclude or 0)
        .values_list("scheduled_at", flat=True)
    )
    taken_utc = {moment.astimezone(UTC) for moment in taken}
    for instant in instants:
        if instant not in taken_utc:
            return instant, slots[0].timezone
    return None


async def cancel_post(actor: Actor, *, post_id: int, reason: str | None = None) -> Post:
    """Cancel every target not yet publishing; those the publisher already claimed or
    published stay as they are. When none is left to cancel, the error says why."""
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    targets = await PostTarget.filter(post_id=post.id).order_by("id").select_for_update()
    movable = [target for target in targets if target.status in CANCELLABLE]
    if not movable:
        for target in targets:
            if target.status != TargetStatus.CANCELLED:
                raise not_editable(target)
    for target in movable:
        await history.move(
            target,
            TargetStatus.CANCELLED,
            actor=actor,
            reason=reason or "cancelled",
            next_attempt_at=None,
        )
    return post


@dataclass(frozen=True)
class SlotInput:
    weekday: int
    minute_of_day: int


async def set_queue_slots(
    actor: Actor, *, channel_id: int, timezone: str, slots: list[SlotInput]
) -> list[QueueSlot]:
    from domain.channels.service import visible_channel

    channel = await visible_channel(actor, channel_id)
    await actor.require(channel.workspace_id, Permission.CONTENT_WRITE)
    problems = Problems()
    check_timezone(problems, timezone)
    if len(slots) > 7 * 48:
        problems.add("slots", ErrorCode.INVALID, "at most 336 slots a week")
    for slot in slots:
        if not 0 <= slot.weekday <= 6 or not 0 <= slot.minute_of_day < 24 * 60:
            problems.add("slots", ErrorCode.INVALID, "a slot needs a weekday and a time of day")
            break
    if len({(s.weekday, s.minute_of_day) for s in slots}) != len(slots):
        problems.add("slots", ErrorCode.INVALID, "each slot may appear once")
    problems.raise_if_any()
    await QueueSlot.filter(channel_id=channel.id).delete()
    created = [
        QueueSlot(
            workspace_id=channel.workspace_id,
            channel_id=channel.id,
            weekday=slot.weekday,
            minute_of_day=slot.minute_of_day,
            timezone=timezone,
        )
        for slot in sorted(slots, key=lambda s: (s.weekday, s.minute_of_day))
    ]
    if created:
        await QueueSlot.bulk_create(created)
    return await QueueSlot.filter(channel_id=channel.id).order_by("weekday", "minute_of_day")
