"""Roles, API key scopes and what each allows."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    EDITOR = "EDITOR"
    ANALYST = "ANALYST"
    APPROVER = "APPROVER"


class ApiKeyScope(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    ALERTS = "ALERTS"
    CONVERSIONS = "CONVERSIONS"


class Permission(StrEnum):
    WORKSPACE_READ = "workspace:read"
    WORKSPACE_UPDATE = "workspace:update"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    OWNERS_MANAGE = "owners:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    CHANNELS_MANAGE = "channels:manage"
    CONTENT_READ = "content:read"
    CONTENT_WRITE = "content:write"
    CONTENT_APPROVE = "content:approve"
    ANALYTICS_READ = "analytics:read"
    ALERTS_READ = "alerts:read"
    CONVERSIONS_WRITE = "conversions:write"


_READ = {
    Permission.WORKSPACE_READ,
    Permission.MEMBERS_READ,
    Permission.CONTENT_READ,
    Permission.ANALYTICS_READ,
    Permission.ALERTS_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(set(Permission) - {Permission.OWNERS_MANAGE}),
    Role.EDITOR: frozenset(_READ | {Permission.CONTENT_WRITE}),
    Role.ANALYST: frozenset(_READ),
    Role.APPROVER: frozenset(
        {Permission.WORKSPACE_READ, Permission.CONTENT_READ, Permission.CONTENT_APPROVE}
    ),
}

SCOPE_PERMISSIONS: dict[ApiKeyScope, frozenset[Permission]] = {
    ApiKeyScope.READ: frozenset(_READ - {Permission.MEMBERS_READ}),
    ApiKeyScope.WRITE: frozenset({Permission.CONTENT_WRITE}),
    ApiKeyScope.ALERTS: frozenset({Permission.WORKSPACE_READ, Permission.ALERTS_READ}),
    ApiKeyScope.CONVERSIONS: frozenset({Permission.CONVERSIONS_WRITE}),
}


def scope_permissions(scopes: list[ApiKeyScope] | frozenset[ApiKeyScope]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS[scope]
    return frozenset(granted)
