"""Checking the signature of a server-to-server conversion report.

`Kelola-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, with
the workspace's conversion secret. Several `v1=` may be given (a partner mid-rotation sends
one per secret it holds); any one matching is enough. A timestamp more than five minutes
away from now is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from domain.analytics.options import conversion_secret

TOLERANCE = timedelta(minutes=5)
MAX_HEADER_LENGTH = 1024
MAX_SIGNATURES = 8
# Compared against when the workspace has no secret, so the answer takes as long.
_NO_SECRET = "kelola:no-secret"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse_header(header: str | None) -> tuple[int | None, list[str]]:
    """The timestamp and the v1 signatures of a header; (None, []) when unreadable."""
    if not header or len(header) > MAX_HEADER_LENGTH or not header.isascii():
        return None, []
    timestamp = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value.strip().lower())
    return timestamp, signatures[:MAX_SIGNATURES]


async def signature_valid(
    workspace_id: int | None, header: str | None, body: bytes, now: datetime
) -> bool:
    """Whether the request was signed with the workspace's conversion secret, recently.
    An unknown workspace, one without a secret and a wrong signature all answer False."""
    secret = await conversion_secret(workspace_id) if workspace_id is not None else None
    timestamp, signatures = parse_header(header)
    expected = sign(secret or _NO_SECRET, timestamp or 0, body)
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    fresh = timestamp is not None and abs(now.timestamp() - timestamp) <= TOLERANCE.total_seconds()
    return matched and fresh and secret is not None
