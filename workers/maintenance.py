"""Periodic upkeep: channel tokens refreshed ahead of expiry, recurring series extended."""

from __future__ import annotations

from domain.channels.tokens import refresh_expiring
from domain.content.series import extend_open_series


async def refresh_expiring_tokens(ctx: dict) -> int:
    return await refresh_expiring()


async def extend_recurring_series(ctx: dict) -> int:
    return await extend_open_series()
