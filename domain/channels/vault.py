"""Reading and writing a channel's credentials, encrypted at rest.

A reconnect or a refresh that comes back without a refresh token keeps the one stored:
networks often return a refresh token only on the first grant, and wiping it would strand
the channel.
"""

from __future__ import annotations

import json

from domain.channels.models import Channel
from domain.platforms.base import Credentials
from domain.secrets import decrypt, encrypt


def store_credentials(channel: Channel, credentials: Credentials) -> list[str]:
    """Write `credentials` onto `channel` (unsaved); returns the fields that changed."""
    channel.access_token_encrypted = encrypt(credentials.access_token)
    changed = ["access_token_encrypted", "token_expires_at", "credentials_extra_encrypted"]
    if credentials.refresh_token:
        channel.refresh_token_encrypted = encrypt(credentials.refresh_token)
        changed.append("refresh_token_encrypted")
    channel.token_expires_at = credentials.expires_at
    channel.credentials_extra_encrypted = encrypt(json.dumps(credentials.extra))
    return changed


def load_credentials(channel: Channel) -> Credentials | None:
    """The decrypted credentials, or None when they cannot be read (e.g. a rotated key)."""
    access_token = decrypt(channel.access_token_encrypted)
    if access_token is None:
        return None
    refresh_token = (
        decrypt(channel.refresh_token_encrypted) if channel.refresh_token_encrypted else None
    )
    extra_raw = (
        decrypt(channel.credentials_extra_encrypted)
        if channel.credentials_extra_encrypted
        else None
    )
    return Credentials(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=channel.token_expires_at,
        extra=json.loads(extra_raw) if extra_raw else {},
    )
