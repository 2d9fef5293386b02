"""Status changes of targets: recorded with who, when and why, announced after commit."""

from __future__ import annotations

from domain.content.models import PostTarget, StatusChange, TargetStatus
from domain.events import Event, emit_many
from domain.tenancy import Actor

TARGET_STATUS_CHANGED = "target.status_changed"


async def record(
    target: PostTarget,
    from_status: TargetStatus | None,
    *,
    actor: Actor | None = None,
    system: str | None = None,
    reason: str | None = None,
) -> None:
    """Write the history row for a change already applied to `target`, and announce it."""
    await StatusChange.create(
        workspace_id=target.workspace_id,
        target_id=target.id,
        from_status=from_status,
        to_status=target.status,
        changed_by_id=actor.user_id if actor else None,
        changed_by_system=system
        or (f"api_key:{actor.api_key_id}" if actor and actor.is_api_key else None),
        reason=reason[:1000] if reason else None,
    )
    await announce(target, from_status, reason=reason)


async def announce(
    target: PostTarget, from_status: TargetStatus | None, *, reason: str | None
) -> None:
    """Tell subscribers (and webhooks) after commit; for changes whose history row is
    already written. Runs inside the unit of work that made the change."""
    await announce_many([target], from_status, reason=reason)


async def announce_many(
    targets: list[PostTarget], from_status: TargetStatus | None, *, reason: str | None
) -> None:
    """`announce` for a batch of targets that made the same move, in a fixed number of
    statements."""
    await emit_many([_status_event(target, from_status, reason) for target in targets])


def _status_event(
    target: PostTarget, from_status: TargetStatus | None, reason: str | None
) -> Event:
    return Event(
        TARGET_STATUS_CHANGED,
        target.workspace_id,
        {
            "target_id": target.id,
            "post_id": target.post_id,
            "channel_id": target.channel_id,
            "status": target.status.value,
            "from_status": from_status.value if from_status else None,
            "reason": reason,
        },
    )


async def move(
    target: PostTarget,
    to_status: TargetStatus,
    *,
    actor: Actor | None = None,
    system: str | None = None,
    reason: str | None = None,
    **changes: object,
) -> None:
    """Change a target's status (and any other fields) and record it."""
    previous = target.status
    target.status = to_status
    for name, value in changes.items():
        setattr(target, name, value)
    await target.save()
    if previous != to_status:
        await record(target, previous, actor=actor, system=system, reason=reason)
