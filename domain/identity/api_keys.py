"""Partners' API keys: scoped to one workspace, shown once, stored hashed, revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import ErrorCode, Forbidden, NotFound, Problems, ValidationFailed
from domain.events import Event, publish_after_commit
from domain.identity.models import ApiKey
from domain.identity.roles import ApiKeyScope, Permission
from domain.pagination import Page, PageRequest
from domain.secrets import constant_time_equal, token_hash
from domain.tenancy import Actor, pages_each, visible_to, workspace_for

KEY_MARKER = "klk"
API_KEY_REVOKED = "api_key.revoked"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(f"{KEY_MARKER}_")


async def create_api_key(
    actor: Actor,
    *,
    workspace_id: int,
    name: str,
    scopes: list[ApiKeyScope],
    expires_at: datetime | None = None,
) -> IssuedApiKey:
    user_id = actor.require_user()
    workspace = await workspace_for(actor, workspace_id, Permission.API_KEYS_MANAGE)
    problems = Problems()
    problems.check_length("name", name, maximum=120)
    if not scopes:
        problems.add("scopes", ErrorCode.REQUIRED, "Choose at least one scope")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            problems.add("expiresAt", ErrorCode.INVALID, "expiresAt needs a UTC offset")
        elif expires_at <= datetime.now(UTC):
            problems.add("expiresAt", ErrorCode.INVALID, "expiresAt must be in the future")
    problems.raise_if_any()
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    api_key = await ApiKey.create(
        workspace=workspace,
        name=name.strip(),
        prefix=prefix,
        secret_hash=token_hash(secret),
        scopes=sorted({scope.value for scope in scopes}),
        created_by_id=user_id,
        expires_at=expires_at,
    )
    return IssuedApiKey(api_key, f"{KEY_MARKER}_{prefix}_{secret}")


async def revoke_api_key(actor: Actor, *, api_key_id: int) -> ApiKey:
    actor.require_user()
    api_key = await visible_to(actor, ApiKey).get_or_none(id=api_key_id)
    if api_key is None:
        raise NotFound("API key", field="apiKeyId")
    await actor.require(api_key.workspace_id, Permission.API_KEYS_MANAGE)
    if api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        await api_key.save(update_fields=["revoked_at"])
        # Live connections opened with the key close at once, not at their next check.
        publish_after_commit(
            Event(API_KEY_REVOKED, api_key.workspace_id, {"api_key_id": api_key.id})
        )
    return api_key


async def list_api_keys_each(
    actor: Actor, requests: list[PageRequest]
) -> list[Page[ApiKey] | Forbidden | ValidationFailed]:
    """API keys of each requested workspace (a DataLoader's batch)."""
    return await pages_each(actor, visible_to(actor, ApiKey), Permission.API_KEYS_MANAGE, requests)


async def authenticate_api_key(credential: str) -> ApiKey | None:
    """The live key for a presented secret, recording its use at most once a minute."""
    marker, _, rest = credential.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != KEY_MARKER or not prefix or not secret or len(credential) > 128:
        return None
    api_key = await ApiKey.get_or_none(prefix=prefix)
    if api_key is None or not constant_time_equal(api_key.secret_hash, token_hash(secret)):
        return None
    now = datetime.now(UTC)
    if api_key.revoked_at is not None or (api_key.expires_at and api_key.expires_at <= now):
        return None
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        await ApiKey.filter(id=api_key.id).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


async def get_api_key(actor: Actor, api_key_id: int) -> ApiKey | None:
    api_key = await visible_to(actor, ApiKey).get_or_none(id=api_key_id)
    if api_key and Permission.API_KEYS_MANAGE in await actor.permissions_in(api_key.workspace_id):
        return api_key
    return None
