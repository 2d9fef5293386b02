"""Creating, changing and deleting posts. Platform rules are checked when scheduling."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from domain.channels.models import Channel, ChannelHealth
from domain.content import history
from domain.content.drafts import PostDraft, TargetDraft
from domain.content.models import (
    EDITABLE,
    ContentPolicy,
    Media,
    Post,
    PostTarget,
    TargetStatus,
)
from domain.errors import DomainError, ErrorCode, NotFound, Problem, Problems
from domain.identity.roles import Permission
from domain.strategy.models import Campaign
from domain.tenancy import Actor, visible_to, workspace_for

MAX_BODY = 100_000
MAX_TAGS = 30
MAX_TAG_LENGTH = 50
MAX_TARGETS = 50
MAX_MEDIA = 20


async def policy_for(workspace_id: int) -> ContentPolicy:
    policy = await ContentPolicy.get_or_none(workspace_id=workspace_id)
    return policy or ContentPolicy(workspace_id=workspace_id)


def _check_link(problems: Problems, link: str | None) -> None:
    if link is None:
        return
    parts = urlsplit(link)
    if len(link) > 4096:
        problems.add("link", ErrorCode.TOO_LONG, "link must have at most 4,096 characters")
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add("link", ErrorCode.INVALID, "link must be an http(s) URL")


def _check_text(problems: Problems, draft: PostDraft) -> None:
    """No NUL character anywhere: PostgreSQL cannot store one in text (it failed as an
    unexpected error before)."""
    texts = {
        "body": [draft.body],
        "title": [draft.title],
        "link": [draft.link],
        "firstComment": [draft.first_comment],
        "tags": list(draft.tags),
        "poll.options": list(draft.poll.options) if draft.poll else [],
    }
    for index, target in enumerate(draft.targets):
        texts[f"targets.{index}.bodyOverride"] = [target.body_override]
    for name, values in texts.items():
        if any(value and "\x00" in value for value in values):
            problems.add(name, ErrorCode.INVALID, f"{name} must not contain NUL characters")


def _check_shape(problems: Problems, draft: PostDraft, *, require_targets: bool) -> None:
    _check_text(problems, draft)
    if len(draft.body) > MAX_BODY:
        problems.add("body", ErrorCode.TOO_LONG, f"body must have at most {MAX_BODY} characters")
    if draft.title is not None and len(draft.title) > 300:
        problems.add("title", ErrorCode.TOO_LONG, "title must have at most 300 characters")
    if draft.first_comment is not None and len(draft.first_comment) > MAX_BODY:
        problems.add("firstComment", ErrorCode.TOO_LONG, "firstComment is too long")
    _check_link(problems, draft.link)
    if len(draft.tags) > MAX_TAGS:
        problems.add("tags", ErrorCode.INVALID, f"at most {MAX_TAGS} tags")
    for tag in draft.tags:
        if not tag.strip() or len(tag) > MAX_TAG_LENGTH:
            problems.add(
                "tags", ErrorCode.INVALID, f"tags must have 1 to {MAX_TAG_LENGTH} characters"
            )
            break
    if draft.poll is not None:
        options = draft.poll.options
        if not 2 <= len(options) <= 4 or any(not o.strip() or len(o) > 100 for o in options):
            problems.add(
                "poll.options",
                ErrorCode.INVALID,
                "a poll has 2 to 4 options of 1 to 100 characters",
            )
        if not 5 <= draft.poll.duration_minutes <= 7 * 24 * 60:
            problems.add(
                "poll.durationMinutes", ErrorCode.INVALID, "a poll runs 5 minutes to 7 days"
            )
    if len(draft.media_ids) > MAX_MEDIA:
        problems.add("mediaIds", ErrorCode.INVALID, f"at most {MAX_MEDIA} media")
    if require_targets and not draft.targets:
        problems.add("targets", ErrorCode.REQUIRED, "choose at least one channel")
    if len(draft.targets) > MAX_TARGETS:
        problems.add("targets", ErrorCode.INVALID, f"at most {MAX_TARGETS} channels")
    channel_ids = [target.channel_id for target in draft.targets]
    if len(set(channel_ids)) != len(channel_ids):
        problems.add("targets", ErrorCode.INVALID, "each channel may appear once")
    for index, target in enumerate(draft.targets):
        if target.body_override is not None and len(target.body_override) > MAX_BODY:
            problems.add(
                f"targets.{index}.bodyOverride", ErrorCode.TOO_LONG, "bodyOverride is too long"
            )
    overrides_cover_all = draft.targets and all(
        (t.body_override or "").strip() or t.media_override for t in draft.targets
    )
    if (
        not draft.body.strip()
        and not draft.media_ids
        and not draft.poll
        and not overrides_cover_all
    ):
        problems.add("body", ErrorCode.REQUIRED, "a post needs text, media or a poll")


async def _check_references(
    problems: Problems, workspace_id: int, draft: PostDraft
) -> dict[int, Channel]:
    """Channels and media must be the workspace's own; a foreign id looks missing."""
    channel_ids = {target.channel_id for target in draft.targets}
    channels = {
        channel.id: channel
        for channel in await Channel.filter(workspace_id=workspace_id, id__in=list(channel_ids))
    }
    for index, target in enumerate(draft.targets):
        channel = channels.get(target.channel_id)
        if channel is None:
            problems.add(f"targets.{index}.channelId", ErrorCode.NOT_FOUND, "channel not found")
        elif channel.health == ChannelHealth.DISCONNECTED:
            problems.add(
                f"targets.{index}.channelId", ErrorCode.INVALID, "this channel is disconnected"
            )
    media_ids = set(draft.media_ids)
    for target in draft.targets:
        media_ids |= set(target.media_override or ())
    if media_ids:
        found = set(
            await Media.filter(
                workspace_id=workspace_id, id__in=list(media_ids), uploaded_at__isnull=False
            ).values_list("id", flat=True)
        )
        for media_id in sorted(media_ids - found):
            problems.add(
                "mediaIds", ErrorCode.NOT_FOUND, f"media {media_id} not found or not uploaded"
            )
    if draft.campaign_id is not None and not await Campaign.exists(
        id=draft.campaign_id, workspace_id=workspace_id
    ):
        problems.add("campaignId", ErrorCode.NOT_FOUND, "campaign not found")
    return channels


def _apply(post: Post, draft: PostDraft) -> None:
    post.body = draft.body
    post.title = draft.title
    post.link = draft.link
    post.first_comment = draft.first_comment
    post.poll = (
        {"options": list(draft.poll.options), "duration_minutes": draft.poll.duration_minutes}
        if draft.poll
        else None
    )
    post.media_ids = list(draft.media_ids)
    post.tags = sorted({tag.strip() for tag in draft.tags})
    post.campaign_id = draft.campaign_id


async def _create_target(post: Post, target: TargetDraft, actor: Actor) -> PostTarget:
    created = await PostTarget.create(
        workspace_id=post.workspace_id,
        post_id=post.id,
        channel_id=target.channel_id,
        body_override=target.body_override,
        media_override=list(target.media_override) if target.media_override is not None else None,
    )
    await history.record(created, None, actor=actor, reason="created")
    return created


async def draft_problems(workspace_id: int, draft: PostDraft) -> Problems:
    """Everything postCreate would refuse in a draft (shape and references), unraised."""
    problems = Problems()
    _check_shape(problems, draft, require_targets=True)
    await _check_references(problems, workspace_id, draft)
    return problems


async def create_post(actor: Actor, *, workspace_id: int, draft: PostDraft) -> Post:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    (await draft_problems(workspace.id, draft)).raise_if_any()
    post = Post(workspace_id=workspace.id, author_id=actor.user_id)
    _apply(post, draft)
    await post.save()
    for target in draft.targets:
        await _create_target(post, target, actor)
    return post


async def visible_post(actor: Actor, post_id: int, field_name: str = "postId") -> Post:
    post = await visible_to(actor, Post).get_or_none(id=post_id)
    if post is None:
        raise NotFound("post", field=field_name)
    return post


def not_editable(target: PostTarget, field_name: str = "postId") -> DomainError:
    return DomainError(
        [
            Problem(
                field_name,
                ErrorCode.NOT_ALLOWED,
                f"A target that is {target.status.value} can no longer be changed",
            )
        ]
    )


async def update_post(actor: Actor, *, post_id: int, draft: PostDraft) -> Post:
    """Replace a post's content and targets. Approved work goes back to review."""
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    targets = await PostTarget.filter(post_id=post.id).select_for_update()
    for target in targets:
        if target.status not in EDITABLE:
            raise not_editable(target)
    problems = Problems()
    _check_shape(problems, draft, require_targets=True)
    await _check_references(problems, post.workspace_id, draft)
    problems.raise_if_any()
    _apply(post, draft)
    await post.save()
    policy = await policy_for(post.workspace_id)
    wanted = {target.channel_id: target for target in draft.targets}
    for target in targets:
        if target.channel_id not in wanted:
            await target.delete()
            continue
        change = wanted.pop(target.channel_id)
        target.body_override = change.body_override
        target.media_override = (
            list(change.media_override) if change.media_override is not None else None
        )
        back_to_review = policy.approval_required and target.status in (
            TargetStatus.APPROVED,
            TargetStatus.SCHEDULED,
        )
        if back_to_review:
            await history.move(
                target,
                TargetStatus.IN_REVIEW,
                actor=actor,
                reason="changed after approval",
                scheduled_at=None,
                next_attempt_at=None,
            )
        else:
            await target.save()
    for target in wanted.values():
        await _create_target(post, target, actor)
    await _recheck_scheduled(post)
    return post


async def _recheck_scheduled(post: Post) -> None:
    """Targets that stay SCHEDULED after an edit must still pass every rule at their time;
    otherwise the edit is refused (and rolled back) with the full report."""
    # scheduling imports this module; importing it at the top would be circular.
    from domain.content.scheduling import RulesViolated, validate

    scheduled = await PostTarget.filter(post_id=post.id, status=TargetStatus.SCHEDULED)
    if not scheduled:
        return
    report = await validate(
        post, scheduled, {t.id: t.scheduled_at for t in scheduled}, datetime.now(UTC)
    )
    if not report.valid:
        raise RulesViolated(report)


async def delete_post(actor: Actor, *, post_id: int) -> Post:
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    for target in await PostTarget.filter(post_id=post.id).select_for_update():
        if target.status in (
            TargetStatus.PUBLISHING,
            TargetStatus.PUBLISHED,
            TargetStatus.UNCONFIRMED,
        ):
            raise DomainError(
                [
                    Problem(
                        "postId",
                        ErrorCode.NOT_ALLOWED,
                        "A post that was (or may have been) published cannot be deleted",
                    )
                ]
            )
    await post.delete()
    return post
