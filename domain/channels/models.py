"""Connected social accounts. Credentials are stored encrypted, never in the clear."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from domain.platforms.base import Platform


class ChannelHealth(StrEnum):
    CONNECTED = "CONNECTED"
    NEEDS_REAUTH = "NEEDS_REAUTH"
    RATE_LIMITED = "RATE_LIMITED"
    DISCONNECTED = "DISCONNECTED"


# Channels that can still be read from (a rate limit is temporary).
READABLE = (ChannelHealth.CONNECTED, ChannelHealth.RATE_LIMITED)


class Channel(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="channels", on_delete=fields.CASCADE
    )
    platform = fields.CharEnumField(Platform, max_length=16)
    external_account_id = fields.CharField(max_length=128)
    name = fields.CharField(max_length=200)
    handle = fields.CharField(max_length=200, null=True)
    health = fields.CharEnumField(ChannelHealth, max_length=16, default=ChannelHealth.CONNECTED)
    health_reason = fields.CharField(max_length=500, null=True)
    health_changed_at = fields.DatetimeField(auto_now_add=True)
    rate_limited_until = fields.DatetimeField(null=True)
    access_token_encrypted = fields.TextField()
    refresh_token_encrypted = fields.TextField(null=True)
    token_expires_at = fields.DatetimeField(null=True)
    credentials_extra_encrypted = fields.TextField(null=True)
    connected_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    connected_at = fields.DatetimeField(auto_now_add=True)
    disconnected_at = fields.DatetimeField(null=True)

    class Meta:
        table = "channels"
        unique_together = (("workspace", "platform", "external_account_id"),)


class ConnectStatus(StrEnum):
    """Where a redirect-based connection stands."""

    PENDING = "PENDING"  # waiting for the network to send the member back
    SELECTING = "SELECTING"  # the login granted several accounts: waiting for a choice
    CONNECTED = "CONNECTED"
    FAILED = "FAILED"


class OAuthAppRegistration(Model):
    """The OAuth client a network issued to Kelola on demand (Mastodon registers one per
    instance). Kelola's own application data, shared by every workspace, so registering
    happens once per instance and redirect URI rather than on every connect."""

    id = fields.BigIntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    instance_url = fields.CharField(max_length=255)
    redirect_uri = fields.CharField(max_length=500)
    client_id = fields.CharField(max_length=255)
    client_secret_encrypted = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_app_registrations"
        unique_together = (("platform", "instance_url", "redirect_uri"),)


class ChannelConnectAttempt(Model):
    """One OAuth authorization a member started: the state sent to the network (stored only
    as a keyed hash), the PKCE verifier (encrypted), and what became of it. The state is
    single use and bound to the workspace and the member who started it."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("kelola.User", related_name=False, on_delete=fields.CASCADE)
    platform = fields.CharEnumField(Platform, max_length=16)
    state_hash = fields.CharField(max_length=64, unique=True)
    code_verifier_encrypted = fields.TextField(null=True)
    redirect_uri = fields.CharField(max_length=500)
    return_url = fields.CharField(max_length=2048, null=True)
    # Per-connection facts that are not secret: Mastodon instance, LinkedIn kind, board.
    facts = fields.JSONField(default=dict)
    app_registration = fields.ForeignKeyField(
        "kelola.OAuthAppRegistration", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(ConnectStatus, max_length=16, default=ConnectStatus.PENDING)
    error_code = fields.CharField(max_length=32, null=True)
    error_message = fields.CharField(max_length=500, null=True)
    # While SELECTING: the accounts the login granted, with their credentials, encrypted.
    candidates_encrypted = fields.TextField(null=True)
    channel_ids = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    selection_expires_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "channel_connect_attempts"
