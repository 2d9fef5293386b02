"""Short-lived access tokens: HS256 JWTs signed with the server key (joserfc)."""

from __future__ import annotations

import time
import uuid

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from domain.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "kelola"


def _key() -> OctKey:
    return OctKey.import_key(get_settings().jwt_secret)


def issue_access_token(user_id: int) -> tuple[str, int]:
    """The token and its lifetime in seconds."""
    ttl = get_settings().access_token_ttl_s
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode({"alg": ALGORITHM}, claims, _key(), algorithms=[ALGORITHM]), ttl


def user_id_from_access_token(token: str) -> int | None:
    """The user id, or None for anything forged, expired, malformed or not HS256."""
    try:
        decoded = jwt.decode(token, _key(), algorithms=[ALGORITHM])
        claims_request = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            sub={"essential": True},
            exp={"essential": True},
            typ={"essential": True, "value": "access"},
        )
        claims_request.validate(decoded.claims)
        return int(decoded.claims["sub"])
    except (JoseError, ValueError, TypeError, KeyError):
        return None
