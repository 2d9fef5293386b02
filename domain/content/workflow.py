"""The approval workflow: submit for review, approve, reject, discuss."""

from __future__ import annotations

from domain.content import history
from domain.content.models import Post, PostComment, PostTarget, TargetStatus
from domain.content.posts import visible_post
from domain.errors import DomainError, ErrorCode, Forbidden, Problem, Problems
from domain.identity.roles import Permission
from domain.tenancy import Actor

MAX_COMMENT = 5000


def _wrong_state(message: str) -> DomainError:
    return DomainError([Problem("postId", ErrorCode.NOT_ALLOWED, message)])


async def _targets_in(post: Post, statuses: set[TargetStatus]) -> list[PostTarget]:
    targets = await PostTarget.filter(post_id=post.id).order_by("id").select_for_update()
    movable = [target for target in targets if target.status in statuses]
    if not movable:
        wanted = ", ".join(sorted(status.value for status in statuses))
        raise _wrong_state(f"No target of this post is {wanted}")
    return movable


async def submit_for_review(actor: Actor, *, post_id: int) -> Post:
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_WRITE)
    submittable = {TargetStatus.DRAFT, TargetStatus.FAILED, TargetStatus.CANCELLED}
    for target in await _targets_in(post, submittable):
        await history.move(target, TargetStatus.IN_REVIEW, actor=actor, reason="submitted")
    return post


async def _comment(actor: Actor, post: Post, body: str) -> PostComment:
    return await PostComment.create(
        workspace_id=post.workspace_id, post_id=post.id, author_id=actor.user_id, body=body
    )


def _check_comment(field: str, body: str | None, *, required: bool) -> None:
    problems = Problems()
    if body is not None or required:
        problems.check_length(field, body or "", maximum=MAX_COMMENT)
    problems.raise_if_any()


async def approve(actor: Actor, *, post_id: int, comment: str | None = None) -> Post:
    actor.require_user()
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_APPROVE)
    _check_comment("comment", comment, required=False)
    for target in await _targets_in(post, {TargetStatus.IN_REVIEW}):
        await history.move(target, TargetStatus.APPROVED, actor=actor, reason=comment or "approved")
    if comment:
        await _comment(actor, post, comment)
    return post


async def reject(actor: Actor, *, post_id: int, reason: str) -> Post:
    """Back to the author as a draft, with the reason as a comment."""
    actor.require_user()
    post = await visible_post(actor, post_id)
    await actor.require(post.workspace_id, Permission.CONTENT_APPROVE)
    _check_comment("reason", reason, required=True)
    for target in await _targets_in(post, {TargetStatus.IN_REVIEW, TargetStatus.APPROVED}):
        await history.move(target, TargetStatus.DRAFT, actor=actor, reason=reason)
    await _comment(actor, post, reason)
    return post


async def add_comment(actor: Actor, *, post_id: int, body: str) -> PostComment:
    actor.require_user()
    post = await visible_post(actor, post_id)
    permissions = await actor.permissions_in(post.workspace_id)
    if not {Permission.CONTENT_WRITE, Permission.CONTENT_APPROVE} & permissions:
        raise Forbidden()
    _check_comment("body", body, required=True)
    return await _comment(actor, post, body)
