"""Webhook endpoints of a workspace, the deliveries owed to them and every attempt made."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookEndpoint(Model):
    """A partner URL that receives signed POSTs for the event types it subscribes to."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2048)
    description = fields.TextField(default="")
    event_types = fields.JSONField(default=list)
    secret_encrypted = fields.TextField()
    # After a rotation the replaced secret also signs, until then (receivers switch over).
    previous_secret_encrypted = fields.TextField(null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    enabled = fields.BooleanField(default=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=500, null=True)
    # Deliveries that ended FAILED in a row, and the first failed attempt since the last
    # successful one: the two signals that disable an endpoint.
    consecutive_failures = fields.IntField(default=0)
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoints"
        indexes = (("workspace_id", "enabled"),)


class WebhookDelivery(Model):
    """One event owed to one endpoint: the exact body and where its retries stand."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="webhook_deliveries", on_delete=fields.CASCADE
    )
    endpoint = fields.ForeignKeyField(
        "kelola.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id = fields.CharField(max_length=64)
    event_type = fields.CharField(max_length=64)
    payload = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    window_started_at = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=64, null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    delivered_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("endpoint", "event_id"),)
        indexes = (("status", "next_attempt_at"), ("workspace_id", "endpoint_id"))


class WebhookAttempt(Model):
    """One POST of a delivery: what came back, how long it took, or why it failed."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="webhook_attempts", on_delete=fields.CASCADE
    )
    delivery = fields.ForeignKeyField(
        "kelola.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    started_at = fields.DatetimeField()
    duration_ms = fields.IntField()
    status_code = fields.IntField(null=True)
    succeeded = fields.BooleanField(default=False)
    error = fields.CharField(max_length=500, null=True)
    response_snippet = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "webhook_attempts"
        indexes = (("delivery_id", "number"),)
