"""A workspace's content policy: approvals and posting frequency."""

from __future__ import annotations

from domain.content.models import ContentPolicy
from domain.errors import ErrorCode, Problems
from domain.identity.roles import Permission
from domain.tenancy import Actor, workspace_for


async def update_policy(
    actor: Actor,
    *,
    workspace_id: int,
    approval_required: bool,
    max_posts_per_channel_per_day: int | None,
    min_minutes_between_posts: int | None,
) -> ContentPolicy:
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_UPDATE)
    problems = Problems()
    if max_posts_per_channel_per_day is not None and not 1 <= max_posts_per_channel_per_day <= 500:
        problems.add("maxPostsPerChannelPerDay", ErrorCode.INVALID, "must be 1 to 500")
    if min_minutes_between_posts is not None and not 1 <= min_minutes_between_posts <= 10080:
        problems.add("minMinutesBetweenPosts", ErrorCode.INVALID, "must be 1 to 10,080")
    problems.raise_if_any()
    policy, _ = await ContentPolicy.get_or_create(workspace_id=workspace.id)
    policy.approval_required = approval_required
    policy.max_posts_per_channel_per_day = max_posts_per_channel_per_day
    policy.min_minutes_between_posts = min_minutes_between_posts
    await policy.save()
    return policy


async def get_policy(actor: Actor, workspace_id: int) -> ContentPolicy:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_READ)
    policy = await ContentPolicy.get_or_none(workspace_id=workspace.id)
    return policy or ContentPolicy(workspace_id=workspace.id)
