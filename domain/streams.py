"""Live event streams for subscriptions, cut off when the subscriber loses access.

A subscription is authorised when it starts; this keeps it honest afterwards. Access is
checked again at once when the subscriber's own membership changes, and at most every
RECHECK_S otherwise (an API key revoked meanwhile, a role lowered).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from domain.events import Event, listen
from domain.identity.members import MEMBER_CHANGED
from domain.identity.models import ApiKey
from domain.identity.roles import Permission
from domain.tenancy import Actor

RECHECK_S = 10.0


async def still_allowed(actor: Actor, workspace_id: int, permission: Permission) -> bool:
    if actor.api_key_id is not None:
        key = await ApiKey.get_or_none(id=actor.api_key_id)
        now = datetime.now(UTC)
        if key is None or key.revoked_at or (key.expires_at and key.expires_at <= now):
            return False
    actor.forget_roles()
    return permission in await actor.permissions_in(workspace_id)


async def workspace_events(
    actor: Actor, workspace_id: int, permission: Permission, types: set[str]
) -> AsyncIterator[Event]:
    """Events of `types` in the workspace for as long as the actor may see them."""
    checked = time.monotonic()
    async for event in listen([workspace_id], types | {MEMBER_CHANGED}):
        about_me = event.type == MEMBER_CHANGED and event.data.get("user_id") == actor.user_id
        if about_me or time.monotonic() - checked > RECHECK_S:
            if not await still_allowed(actor, workspace_id, permission):
                if about_me and event.type in types:
                    yield event  # the subscriber learns of their own removal, then no more
                return
            checked = time.monotonic()
        if event.type in types:
            yield event
