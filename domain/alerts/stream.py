"""The alert stream partners subscribe to: everything after their cursor, then live.

The event log in the database is the truth; Redis pub/sub only wakes the stream up. The
stream subscribes before it replays, and after every wake-up (and every second regardless)
reads the log after the last event it sent, so an event committed around the moment of
subscribing, or a pub/sub message lost, is still delivered, once, in order.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from domain.alerts.models import AlertEvent
from domain.alerts.service import events_after
from domain.events import workspace_channel
from domain.identity.roles import Permission
from domain.redis import get_redis
from domain.streams import RECHECK_S, still_allowed
from domain.tenancy import Actor

WAKE_EVERY_S = 1.0


async def latest_event_id(workspace_id: int) -> int:
    latest = await AlertEvent.filter(workspace_id=workspace_id).order_by("-id").first()
    return latest.id if latest else 0


async def alert_events(
    actor: Actor, workspace_id: int, after_id: int | None
) -> AsyncIterator[AlertEvent]:
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    channel = workspace_channel(workspace_id)
    await pubsub.subscribe(channel)
    try:
        last = after_id if after_id is not None else await latest_event_id(workspace_id)
        checked = time.monotonic()
        while True:
            for event in await events_after(workspace_id, last):
                yield event
                last = event.id
            await pubsub.get_message(timeout=WAKE_EVERY_S)
            if time.monotonic() - checked > RECHECK_S:
                if not await still_allowed(actor, workspace_id, Permission.ALERTS_READ):
                    return
                checked = time.monotonic()
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
