"""Webhook jobs: thin wrappers over the domain's delivery."""

from __future__ import annotations

from domain.webhooks.delivery import deliver, enqueue_due


async def deliver_webhook_job(ctx: dict, delivery_id: int) -> str:
    status = await deliver(delivery_id)
    return status.value if status else "missing"


async def webhook_round_job(ctx: dict) -> int:
    """Every minute: a job for every due delivery whose job was lost."""
    return await enqueue_due()
