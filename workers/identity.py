"""Identity housekeeping jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.identity.members import purge_expired_invitations
from domain.identity.sessions import purge_expired_refresh_tokens
from domain.uow import unit_of_work

# Expired rows are kept a while so a late client still gets "expired" rather than "invalid".
GRACE = timedelta(days=7)


async def purge_expired_credentials(ctx: dict) -> dict[str, int]:
    """Delete refresh tokens and invitations expired for over a week; safe to run twice."""
    cutoff = datetime.now(UTC) - GRACE
    async with unit_of_work():
        tokens = await purge_expired_refresh_tokens(cutoff)
        invitations = await purge_expired_invitations(cutoff)
    return {"refresh_tokens": tokens, "invitations": invitations}
