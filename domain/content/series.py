"""Scheduling and cancelling recurring posts (see domain.content.recurrence for the rules)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise.expressions import Subquery

from domain.content import history
from domain.content.models import Post, PostTarget, TargetStatus
from domain.content.posts import visible_post
from domain.content.recurrence import HORIZON, MAX_AHEAD, occurrences, parse_rule
from domain.content.scheduling import (
    CANCELLABLE,
    Scheduled,
    _schedulable_targets,
    _schedule,
    cancel_post,
)
from domain.content.series_models import PostSeries, SeriesOccurrence
from domain.content.validation import DUPLICATE_WINDOW, Occupancy
from domain.errors import ErrorCode, Problems
from domain.identity.roles import Permission
from domain.identity.workspaces import check_timezone
from domain.tenancy import Actor
from domain.uow import unit_of_work


def _wall_clock(at: datetime, timezone: str) -> datetime:
    """The naive local time the rule repeats: `at` as read on a clock in `timezone`."""
    if at.tzinfo is not None:
        at = at.astimezone(ZoneInfo(timezone))
    return at.replace(tzinfo=None, second=0, microsecond=0)


async def _copy(post: Post, targets: list[PostTarget], actor: Actor) -> tuple[Post, list]:
    """A fresh post with the template's content and channels, in the targets' status."""
    copy = await Post.create(
        workspace_id=post.workspace_id,
        author_id=post.author_id,
        body=post.body,
        title=post.title,
        link=post.link,
        first_comment=post.first_comment,
        poll=post.poll,
        media_ids=post.media_ids,
        tags=post.tags,
        recurrence_rule=post.recurrence_rule,
    )
    copies = []
    for target in targets:
        # Approval covers the content; an occurrence of approved content starts approved.
        status = (
            TargetStatus.APPROVED
            if target.status in (TargetStatus.APPROVED, TargetStatus.SCHEDULED)
            else TargetStatus.DRAFT
        )
        created = await PostTarget.create(
            workspace_id=post.workspace_id,
            post_id=copy.id,
            channel_id=target.channel_id,
            status=status,
            body_override=target.body_override,
            media_override=target.media_override,
        )
        await history.record(created, None, actor=actor, reason="occurrence of a series")
        copies.append(created)
    return copy, copies


async def schedule_series(
    actor: Actor, *, post_id: int, at: datetime, timezone: str, rule: str
) -> Scheduled:
    """Schedule `post` as the first occurrence of `rule` from `at` (wall-clock time in
    `timezone`), and a copy of it for every later occurrence within the horizon."""
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    problems = Problems()
    check_timezone(problems, timezone)
    problems.raise_if_any()
    starts_local = _wall_clock(at, timezone)
    parsed = parse_rule(problems, rule, starts_local)
    problems.raise_if_any()
    now = datetime.now(UTC)
    planned = occurrences(parsed, timezone, after=now, until=now + HORIZON)
    if not planned:
        problems.add("recurrence", ErrorCode.INVALID, "the rule has no occurrence in 366 days")
        problems.raise_if_any()
    targets = await _schedulable_targets(actor, post)
    post.recurrence_rule = rule.strip()
    await post.save(update_fields=["recurrence_rule", "updated_at"])
    series = await PostSeries.create(
        workspace_id=post.workspace_id,
        template=post,
        rule=post.recurrence_rule,
        timezone=timezone,
        starts_at_local=starts_local.isoformat(),
        generated_until=planned[-1].at,
    )
    # Occurrences repeat their text on purpose: the calendar rules see their times only.
    occupancy = await Occupancy.load(
        [t.channel_id for t in targets],
        now - DUPLICATE_WINDOW,
        planned[-1].at + DUPLICATE_WINDOW,
        exclude=[t.id for t in targets],
    )
    first = None
    for occurrence in planned:
        if first is None:
            occurrence_post, occurrence_targets = post, targets
        else:
            occurrence_post, occurrence_targets = await _copy(post, targets, actor)
        report = await _schedule(
            actor,
            occurrence_post,
            occurrence_targets,
            {target.id: occurrence.at for target in occurrence_targets},
            timezone,
            occupancy,
        )
        for target in occurrence_targets:
            occupancy.add(target.channel_id, occurrence.at, "")
        await SeriesOccurrence.create(
            workspace_id=post.workspace_id,
            series=series,
            post=occurrence_post,
            index=occurrence.index,
            at=occurrence.at,
        )
        first = first or Scheduled(post, report)
    return first


async def cancel_series(actor: Actor, *, post_id: int, reason: str | None) -> Post:
    """Cancel this occurrence and every later one of its series; earlier ones stay."""
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    occurrence = await SeriesOccurrence.get_or_none(post_id=post.id)
    if occurrence is None:
        return await cancel_post(actor, post_id=post.id, reason=reason)
    later = await SeriesOccurrence.filter(
        series_id=occurrence.series_id, index__gte=occurrence.index
    ).values_list("post_id", flat=True)
    for target in (
        await PostTarget.filter(post_id__in=list(later), status__in=list(CANCELLABLE))
        .order_by("id")
        .select_for_update()
    ):
        await history.move(
            target,
            TargetStatus.CANCELLED,
            actor=actor,
            reason=reason or "series cancelled",
            next_attempt_at=None,
        )
    await PostSeries.filter(id=occurrence.series_id).update(cancelled_at=datetime.now(UTC))
    return post


async def extend_open_series(now: datetime | None = None) -> int:
    """Create the occurrences that entered the horizon since the series was scheduled (or
    last extended). A series whose author may no longer write content is closed."""
    now = now or datetime.now(UTC)
    created = 0
    open_series = await PostSeries.filter(
        finished=False, cancelled_at__isnull=True, generated_until__lt=now + HORIZON
    ).prefetch_related("template")
    for series in open_series:
        created += await _extend(series, now)
    return created


async def _extend(series: PostSeries, now: datetime) -> int:
    template: Post = series.template
    actor = Actor(user_id=template.author_id)
    if template.author_id is None or Permission.CONTENT_WRITE not in (
        await actor.permissions_in(series.workspace_id)
    ):
        await PostSeries.filter(id=series.id).update(finished=True)
        return 0
    problems = Problems()
    parsed = parse_rule(problems, series.rule, datetime.fromisoformat(series.starts_at_local))
    last = await SeriesOccurrence.filter(series_id=series.id).order_by("-index").first()
    if parsed is None or last is None:
        await PostSeries.filter(id=series.id).update(finished=True)
        return 0
    planned = occurrences(
        parsed, series.timezone, after=last.at, until=now + HORIZON, start_index=last.index + 1
    )
    if not planned:
        last_local = last.at.astimezone(ZoneInfo(series.timezone)).replace(tzinfo=None)
        if parsed.after(last_local) is None:  # COUNT or UNTIL reached: nothing will come
            await PostSeries.filter(id=series.id).update(finished=True)
        return 0
    ahead = await SeriesOccurrence.filter(series_id=series.id, at__gt=now).count()
    planned = planned[: max(0, MAX_AHEAD - ahead)]
    if not planned:
        return 0
    last_post = await Post.get(id=last.post_id)
    targets = await PostTarget.filter(post_id=last_post.id).order_by("id")
    # Earlier occurrences count for frequency, not as duplicates of their own series.
    own = await PostTarget.filter(
        post_id__in=Subquery(SeriesOccurrence.filter(series_id=series.id).values("post_id"))
    ).values_list("id", "channel_id", "scheduled_at")
    occupancy = await Occupancy.load(
        [t.channel_id for t in targets],
        now - DUPLICATE_WINDOW,
        planned[-1].at + DUPLICATE_WINDOW,
        exclude=[target_id for target_id, _, _ in own],
    )
    for _, channel_id, at in own:
        if at is not None:
            occupancy.add(channel_id, at, "")
    made = 0
    for occurrence in planned:
        async with unit_of_work():
            copy, copies = await _copy(template, targets, actor)
            await _schedule(
                actor,
                copy,
                copies,
                {t.id: occurrence.at for t in copies},
                series.timezone,
                occupancy,
            )
            await SeriesOccurrence.create(
                workspace_id=series.workspace_id,
                series=series,
                post=copy,
                index=occurrence.index,
                at=occurrence.at,
            )
            await PostSeries.filter(id=series.id).update(generated_until=occurrence.at)
        for target in copies:
            occupancy.add(target.channel_id, occurrence.at, "")
        made += 1
    return made
