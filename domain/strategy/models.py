"""Campaigns: a named push that posts belong to, over an optional date range."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Campaign(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="campaigns", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    starts_on = fields.DateField(null=True)
    ends_on = fields.DateField(null=True)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaigns"
        unique_together = (("workspace", "name"),)
