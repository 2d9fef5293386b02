"""Signing webhook bodies: `Kelola-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, with
one `v1` per secret in use (two for a day after a rotation)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_MARKER = "whsec"


def new_secret() -> str:
    return f"{SECRET_MARKER}_{secrets.token_urlsafe(32)}"


def signature(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return mac.hexdigest()


def signature_header(secrets_in_use: list[str], timestamp: int, body: str) -> str:
    signed = ",".join(f"v1={signature(secret, timestamp, body)}" for secret in secrets_in_use)
    return f"t={timestamp},{signed}"


def verify(secret: str, header: str, body: str, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: one of the `v1` HMACs matches and the timestamp is recent."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    try:
        timestamp = int(next(value for key, value in parts if key == "t"))
    except (StopIteration, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(value, expected) for key, value in parts if key == "v1")
