"""The sandbox network's own state: its accounts and the ledger of every post it received."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SandboxAccount(Model):
    """An account on the sandbox network, with the failures it should inject."""

    id = fields.BigIntField(primary_key=True)
    handle = fields.CharField(max_length=64)
    followers = fields.IntField(default=1000)
    seed = fields.BigIntField()
    token_hash = fields.CharField(max_length=64)
    token_issued_at = fields.DatetimeField(null=True)
    latency_ms = fields.IntField(default=0)
    failure_rates = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sandbox_accounts"


class SandboxPost(Model):
    """The ledger: one row per post that reached the network, duplicates included."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[SandboxAccount] = fields.ForeignKeyField(
        "kelola.SandboxAccount", related_name="posts", on_delete=fields.CASCADE
    )
    reference = fields.CharField(max_length=128, db_index=True)
    text = fields.TextField()
    media = fields.JSONField(default=list)
    link = fields.CharField(max_length=2048, null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    answered = fields.CharField(max_length=32)

    class Meta:
        table = "sandbox_posts"
