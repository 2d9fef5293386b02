"""Live event streams for subscriptions, cut off when the subscriber loses access.

A subscription is authorised when it starts; this keeps it honest afterwards. Access is
checked again at once when the subscriber's own membership changes or their API key is
revoked, and again after RECHECK_S otherwise (a key expiring, a role lowered). A
subscriber who lost the permission sees the stream end; one whose API key was revoked or
expired meanwhile gets `CredentialRevoked`, which closes the whole connection (every
operation on it rode on that key).
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from domain.errors import Forbidden
from domain.events import Event, listen
from domain.identity.api_keys import API_KEY_REVOKED
from domain.identity.members import MEMBER_CHANGED
from domain.identity.models import ApiKey
from domain.identity.roles import Permission
from domain.tenancy import Actor

RECHECK_S = 10.0


def last_checked_at_start() -> float:
    """The monotonic time a new stream counts its last check from: a random point in the
    past interval, so subscribers that connected together (a partner's reconnect storm)
    spread their periodic checks instead of all querying in the same second."""
    return time.monotonic() - random.uniform(0, RECHECK_S)  # noqa: S311 - not a secret


class CredentialRevoked(Exception):
    """The API key a live connection was opened with was revoked or has expired."""


async def still_allowed(actor: Actor, workspace_id: int, permission: Permission) -> bool:
    """Whether the actor still has the permission; raises CredentialRevoked when the actor's
    API key no longer works."""
    if actor.api_key_id is not None:
        key = await ApiKey.get_or_none(id=actor.api_key_id)
        now = datetime.now(UTC)
        if key is None or key.revoked_at or (key.expires_at and key.expires_at <= now):
            raise CredentialRevoked
    actor.forget_roles()
    return permission in await actor.permissions_in(workspace_id)


async def require_still_allowed(actor: Actor, workspace_id: int, permission: Permission) -> None:
    """`still_allowed`, raising Forbidden when the permission is gone."""
    if not await still_allowed(actor, workspace_id, permission):
        raise Forbidden("You may no longer see this workspace's events")


ACCESS_EVENTS = frozenset({MEMBER_CHANGED, API_KEY_REVOKED})


def concerns_access_of(actor: Actor, event_type: str, data: dict) -> bool:
    """Whether an event may have changed what the actor can see: their own membership
    changed, or the API key they connected with was revoked."""
    if event_type == MEMBER_CHANGED:
        return actor.user_id is not None and data.get("user_id") == actor.user_id
    if event_type == API_KEY_REVOKED:
        return actor.api_key_id is not None and data.get("api_key_id") == actor.api_key_id
    return False


async def workspace_events(
    actor: Actor, workspace_id: int, permission: Permission, types: set[str]
) -> AsyncIterator[Event]:
    """Events of `types` in the workspace for as long as the actor may see them."""
    checked = last_checked_at_start()
    async for event in listen([workspace_id], types | ACCESS_EVENTS):
        about_me = concerns_access_of(actor, event.type, event.data)
        if about_me or time.monotonic() - checked > RECHECK_S:
            if not await still_allowed(actor, workspace_id, permission):
                if about_me and event.type in types:
                    yield event  # the subscriber learns of their own removal, then no more
                return
            checked = time.monotonic()
        if event.type in types:
            yield event
