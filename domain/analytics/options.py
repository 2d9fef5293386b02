"""A workspace's analytics options: link tracking, the attribution window, and the secret
partners sign server-to-server conversions with (stored encrypted, shown once)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from domain.analytics.models import AnalyticsSettings
from domain.errors import ErrorCode, Problems
from domain.identity.roles import Permission
from domain.secrets import decrypt, encrypt
from domain.tenancy import Actor, workspace_for
from domain.uow import unit_of_work

DEFAULT_TRACK_LINKS = True
DEFAULT_WINDOW_DAYS = 7
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 90
SECRET_PREFIX = "kcs_"


async def options_for(workspace_id: int) -> AnalyticsSettings:
    """The workspace's options; an unsaved row holding the defaults when it has none.

    Unscoped: for the publisher and the signed conversion endpoint, which act for a
    workspace they already identified (API reads go through `get_options`)."""
    row = await AnalyticsSettings.get_or_none(workspace_id=workspace_id)
    return row or AnalyticsSettings(
        workspace_id=workspace_id,
        track_links=DEFAULT_TRACK_LINKS,
        attribution_window_days=DEFAULT_WINDOW_DAYS,
    )


async def _saved_options(workspace_id: int) -> AnalyticsSettings:
    """The workspace's row, created with the defaults if missing (a concurrent creator wins
    the race and its row is read back)."""
    row = await AnalyticsSettings.get_or_none(workspace_id=workspace_id)
    if row is not None:
        return row
    try:
        async with unit_of_work():  # a savepoint: a lost race must not abort the caller
            return await AnalyticsSettings.create(
                workspace_id=workspace_id,
                track_links=DEFAULT_TRACK_LINKS,
                attribution_window_days=DEFAULT_WINDOW_DAYS,
            )
    except IntegrityError:
        return await AnalyticsSettings.get(workspace_id=workspace_id)


async def get_options(actor: Actor, workspace_id: int) -> AnalyticsSettings:
    workspace = await workspace_for(actor, workspace_id, Permission.ANALYTICS_READ)
    return await options_for(workspace.id)


async def update_options(
    actor: Actor,
    *,
    workspace_id: int,
    track_links: bool | None = None,
    attribution_window_days: int | None = None,
) -> AnalyticsSettings:
    """Change the options given; None leaves one as it is."""
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_UPDATE)
    problems = Problems()
    if attribution_window_days is not None and not (
        MIN_WINDOW_DAYS <= attribution_window_days <= MAX_WINDOW_DAYS
    ):
        problems.add(
            "attributionWindowDays",
            ErrorCode.INVALID,
            f"attributionWindowDays must be {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}",
        )
    problems.raise_if_any()
    row = await _saved_options(workspace.id)
    if track_links is not None:
        row.track_links = track_links
    if attribution_window_days is not None:
        row.attribution_window_days = attribution_window_days
    await row.save(update_fields=["track_links", "attribution_window_days"])
    return row


@dataclass(frozen=True)
class RotatedSecret:
    options: AnalyticsSettings
    secret: str


async def rotate_conversion_secret(actor: Actor, *, workspace_id: int) -> RotatedSecret:
    """A new signing secret for server-to-server conversions; the old one stops working at
    once. Returned only here: it is stored encrypted and never shown again."""
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_UPDATE)
    row = await _saved_options(workspace.id)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row.conversion_secret_encrypted = encrypt(secret)
    row.conversion_secret_rotated_at = datetime.now(UTC)
    await row.save(update_fields=["conversion_secret_encrypted", "conversion_secret_rotated_at"])
    return RotatedSecret(row, secret)


async def conversion_secret(workspace_id: int) -> str | None:
    """The workspace's signing secret in clear, or None when it has none (or it cannot be
    decrypted with the current key)."""
    row = await AnalyticsSettings.get_or_none(workspace_id=workspace_id)
    if row is None or not row.conversion_secret_encrypted:
        return None
    return decrypt(row.conversion_secret_encrypted)
