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
