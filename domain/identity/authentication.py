"""Turning presented credentials into an Actor."""

from __future__ import annotations

from domain.identity.access_tokens import user_id_from_access_token
from domain.identity.api_keys import authenticate_api_key, looks_like_api_key
from domain.identity.roles import ApiKeyScope
from domain.tenancy import Actor


class InvalidCredentials(Exception):
    """Credentials were presented but are forged, expired or revoked."""


def bearer_credential(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise InvalidCredentials()
    return credential.strip()


async def actor_for(credential: str | None) -> Actor:
    """An Actor for a JWT or an API key; anonymous without credentials.

    Raises InvalidCredentials for a credential that does not check out, so a client
    with an expired token learns it instead of silently acting as nobody.
    """
    if credential is None:
        return Actor()
    if looks_like_api_key(credential):
        api_key = await authenticate_api_key(credential)
        if api_key is None:
            raise InvalidCredentials()
        return Actor(
            api_key_id=api_key.id,
            api_key_workspace_id=api_key.workspace_id,
            api_key_scopes=frozenset(ApiKeyScope(scope) for scope in api_key.scopes),
        )
    user_id = user_id_from_access_token(credential)
    if user_id is None:
        raise InvalidCredentials()
    return Actor(user_id=user_id)
