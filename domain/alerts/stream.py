"""The alert stream partners subscribe to: everything after their cursor, then live, for
as long as they may see the workspace's alerts: checked again at once when an
announcement concerns their access, and at least every RECHECK_S."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial

from domain.alerts.hub import Delivery, follow
from domain.alerts.service import event_exists
from domain.errors import ErrorCode, Problem, ValidationFailed
from domain.identity.roles import Permission
from domain.streams import (
    RECHECK_S,
    concerns_access_of,
    last_checked_at_start,
    require_still_allowed,
)
from domain.tenancy import Actor


async def alert_events(
    actor: Actor, workspace_id: int, after_id: int | None
) -> AsyncIterator[Delivery]:
    if after_id is not None and not await event_exists(workspace_id, after_id):
        raise ValidationFailed([Problem("after", ErrorCode.NOT_FOUND, "unknown cursor")])
    checked = last_checked_at_start()
    concerns = partial(concerns_access_of, actor)
    async for batch in follow(workspace_id, after_id, concerns):
        if batch.recheck or time.monotonic() - checked > RECHECK_S:
            await require_still_allowed(actor, workspace_id, Permission.ALERTS_READ)
            checked = time.monotonic()
        for delivery in batch.deliveries:
            if delivery.alert is not None:  # deleted meanwhile (its rule or query was)
                yield delivery
