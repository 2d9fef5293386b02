"""postValidate: the same checks scheduling runs, on a stored post or on a draft."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.channels.models import Channel
from domain.content.drafts import PostDraft
from domain.content.models import Media, Post, PostTarget
from domain.content.posts import visible_post
from domain.content.scheduling import to_utc, validate
from domain.content.validation import Report
from domain.errors import ErrorCode, Problems
from domain.identity.roles import Permission
from domain.identity.workspaces import check_timezone
from domain.tenancy import Actor, workspace_for


def _when(at: datetime | None, timezone: str) -> datetime | None:
    problems = Problems()
    check_timezone(problems, timezone)
    problems.raise_if_any()
    return to_utc(at, timezone) if at is not None else None


async def validate_stored(
    actor: Actor, *, post_id: int, at: datetime | None, timezone: str
) -> Report:
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_READ)
    when = _when(at, timezone)
    targets = await PostTarget.filter(post_id=post.id).order_by("id")
    moments = {t.id: when if when is not None else t.scheduled_at for t in targets}
    return await validate(post, targets, moments, datetime.now(UTC))


async def validate_draft(
    actor: Actor, *, workspace_id: int, draft: PostDraft, at: datetime | None, timezone: str
) -> Report:
    """Check content before it is saved; nothing is written."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_READ)
    when = _when(at, timezone)
    channel_ids = [target.channel_id for target in draft.targets]
    found = set(
        await Channel.filter(workspace_id=workspace.id, id__in=channel_ids).values_list(
            "id", flat=True
        )
    )
    problems = Problems()
    for index, target in enumerate(draft.targets):
        if target.channel_id not in found:
            problems.add(f"targets.{index}.channelId", ErrorCode.NOT_FOUND, "channel not found")
    if not draft.targets:
        problems.add("targets", ErrorCode.REQUIRED, "choose at least one channel")
    media_ids = set(draft.media_ids)
    for target in draft.targets:
        media_ids |= set(target.media_override or ())
    known = set(
        await Media.filter(
            workspace_id=workspace.id, id__in=list(media_ids), uploaded_at__isnull=False
        ).values_list("id", flat=True)
    )
    for media_id in sorted(media_ids - known):
        problems.add("mediaIds", ErrorCode.NOT_FOUND, f"media {media_id} not found or not uploaded")
    problems.raise_if_any()
    post = Post(
        workspace_id=workspace.id,
        body=draft.body,
        title=draft.title,
        link=draft.link,
        first_comment=draft.first_comment,
        poll={"options": list(draft.poll.options)} if draft.poll else None,
        media_ids=list(draft.media_ids),
        tags=list(draft.tags),
    )
    targets = [
        PostTarget(
            id=-(index + 1),  # never saved: negative ids keep the drafts apart
            workspace_id=workspace.id,
            channel_id=target.channel_id,
            body_override=target.body_override,
            media_override=list(target.media_override) if target.media_override else None,
        )
        for index, target in enumerate(draft.targets)
    ]
    return await validate(post, targets, {t.id: when for t in targets}, datetime.now(UTC))
