"""Creating, changing and listing a workspace's webhook endpoints. The signing secret is
returned only when it is made (creation, rotation) and stored encrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import ErrorCode, NotFound, Problems
from domain.identity.roles import Permission
from domain.outbound import url_problems
from domain.pagination import Page, paginate
from domain.secrets import decrypt, encrypt
from domain.tenancy import Actor, visible_by_ids, visible_to, workspace_for
from domain.webhooks.catalog import WebhookEventType
from domain.webhooks.models import WebhookEndpoint
from domain.webhooks.signing import new_secret

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 1000
MANUALLY_DISABLED = "Disabled by a member"
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


async def _check(
    problems: Problems,
    *,
    url: str | None,
    event_types: list[WebhookEventType] | None,
    description: str | None,
) -> None:
    if url is not None:
        problems.items.extend(await url_problems(url))
    if event_types is not None and not event_types:
        problems.add("eventTypes", ErrorCode.REQUIRED, "Choose at least one event type")
    if description is not None:
        if "\x00" in description:
            problems.add("description", ErrorCode.INVALID, "description must not contain NUL")
        elif len(description) > MAX_DESCRIPTION:
            problems.add(
                "description", ErrorCode.TOO_LONG, "description has at most 1,000 characters"
            )


def _types(event_types: list[WebhookEventType]) -> list[str]:
    return sorted({WebhookEventType(kind).value for kind in event_types})


async def create_endpoint(
    actor: Actor,
    *,
    workspace_id: int,
    url: str,
    event_types: list[WebhookEventType],
    description: str = "",
) -> IssuedEndpoint:
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_UPDATE)
    problems = Problems()
    await _check(problems, url=url, event_types=event_types, description=description)
    if await WebhookEndpoint.filter(workspace_id=workspace.id).count() >= MAX_ENDPOINTS:
        problems.add(
            "workspaceId", ErrorCode.NOT_ALLOWED, "A workspace has at most 20 webhook endpoints"
        )
    problems.raise_if_any()
    secret = new_secret()
    endpoint = await WebhookEndpoint.create(
        workspace_id=workspace.id,
        url=url,
        description=description,
        event_types=_types(event_types),
        secret_encrypted=encrypt(secret),
    )
    return IssuedEndpoint(endpoint, secret)


async def visible_endpoint(
    actor: Actor, endpoint_id: int, permission: Permission, field: str = "endpointId"
) -> WebhookEndpoint:
    endpoint = await visible_to(actor, WebhookEndpoint).get_or_none(id=endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint", field=field)
    await actor.require(endpoint.workspace_id, permission)
    return endpoint


async def update_endpoint(
    actor: Actor,
    *,
    endpoint_id: int,
    url: str | None = None,
    event_types: list[WebhookEventType] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    now: datetime | None = None,
) -> WebhookEndpoint:
    """Change the fields given. Re-enabling a disabled endpoint clears its failure state;
    disabling it by hand stops deliveries (its pending ones end FAILED when their turn
    comes) without announcing anything."""
    endpoint = await visible_endpoint(actor, endpoint_id, Permission.WORKSPACE_UPDATE)
    problems = Problems()
    await _check(problems, url=url, event_types=event_types, description=description)
    problems.raise_if_any()
    if url is not None:
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = _types(event_types)
    if description is not None:
        endpoint.description = description
    if enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
        endpoint.consecutive_failures = 0
    elif enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = now or datetime.now(UTC)
        endpoint.disabled_reason = MANUALLY_DISABLED
    await endpoint.save()
    return endpoint


async def rotate_secret(actor: Actor, *, endpoint_id: int) -> IssuedEndpoint:
    """A new signing secret for every later attempt; the one it replaces also signs for
    PREVIOUS_SECRET_GRACE, so receivers can switch without rejecting a delivery."""
    endpoint = await visible_endpoint(actor, endpoint_id, Permission.WORKSPACE_UPDATE)
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_until = datetime.now(UTC) + PREVIOUS_SECRET_GRACE
    endpoint.secret_encrypted = encrypt(secret)
    await endpoint.save(
        update_fields=[
            "secret_encrypted",
            "previous_secret_encrypted",
            "previous_secret_until",
            "updated_at",
        ]
    )
    return IssuedEndpoint(endpoint, secret)


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str] | None:
    """The secrets that sign a delivery now (the current one first); None when the current
    one cannot be decrypted."""
    current = decrypt(endpoint.secret_encrypted)
    if current is None:
        return None
    in_use = [current]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret_encrypted and until is not None and until > now:
        previous = decrypt(endpoint.previous_secret_encrypted)
        if previous is not None:
            in_use.append(previous)
    return in_use


async def delete_endpoint(actor: Actor, *, endpoint_id: int) -> int:
    """Delete an endpoint with its deliveries and their attempts; returns its id."""
    endpoint = await visible_endpoint(actor, endpoint_id, Permission.WORKSPACE_UPDATE)
    await endpoint.delete()
    return endpoint_id


async def list_endpoints(
    actor: Actor, workspace_id: int, *, first: int | None, after: str | None
) -> Page[WebhookEndpoint]:
    workspace = await workspace_for(actor, workspace_id, Permission.WORKSPACE_READ)
    return await paginate(
        visible_to(actor, WebhookEndpoint).filter(workspace_id=workspace.id),
        first=first,
        after=after,
    )


async def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint | None:
    endpoint = await visible_to(actor, WebhookEndpoint).get_or_none(id=endpoint_id)
    if endpoint and Permission.WORKSPACE_READ in await actor.permissions_in(endpoint.workspace_id):
        return endpoint
    return None


async def endpoints_by_ids(actor: Actor, ids: list[int]) -> list[WebhookEndpoint | None]:
    return await visible_by_ids(actor, WebhookEndpoint, ids)
