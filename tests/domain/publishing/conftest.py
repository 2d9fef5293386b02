"""Factories for publishing tests: a workspace, sandbox channels, due targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from domain.channels.models import Channel
from domain.channels.service import SandboxOptions, connect_sandbox
from domain.content.models import Post, PostTarget, TargetStatus
from domain.identity import workspaces
from domain.identity.models import User
from domain.tenancy import Actor
from domain.uow import unit_of_work


@dataclass
class World:
    actor: Actor
    workspace_id: int

    async def channel(self, **failure_rates: float) -> Channel:
        async with unit_of_work():
            return await connect_sandbox(
                self.actor,
                workspace_id=self.workspace_id,
                options=SandboxOptions(failure_rates=failure_rates, seed=7),
            )

    async def due_target(
        self, channel: Channel, body: str = "Hello", at: datetime | None = None
    ) -> PostTarget:
        at = at or datetime.now(UTC) - timedelta(seconds=1)
        post = await Post.create(workspace_id=self.workspace_id, body=body)
        return await PostTarget.create(
            workspace_id=self.workspace_id,
            post_id=post.id,
            channel_id=channel.id,
            status=TargetStatus.SCHEDULED,
            scheduled_at=at,
            next_attempt_at=at,
        )


@pytest_asyncio.fixture
async def world() -> World:
    user = await User.create(email="pub@example.com", name="pub", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="Publishing")
    return World(actor, workspace.id)
