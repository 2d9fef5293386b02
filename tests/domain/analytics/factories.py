"""Factories for analytics tests: published targets on the sandbox network, aged at will."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.channels.models import Channel
from domain.channels.service import SandboxOptions, connect_sandbox
from domain.content.models import Post, PostTarget, TargetStatus
from domain.identity import workspaces
from domain.identity.models import User
from domain.platforms.sandbox.models import SandboxPost
from domain.platforms.sandbox.network import ledger_id
from domain.publishing.publisher import publish_target
from domain.tenancy import Actor
from domain.uow import unit_of_work


@dataclass
class World:
    actor: Actor
    workspace_id: int

    async def channel(self, followers: int = 5000) -> Channel:
        async with unit_of_work():
            return await connect_sandbox(
                self.actor,
                workspace_id=self.workspace_id,
                options=SandboxOptions(seed=7, followers=followers),
            )

    async def published(
        self,
        channel: Channel,
        *,
        age: timedelta = timedelta(hours=2),
        body: str = "Hello",
        tags: list[str] | None = None,
        campaign_id: int | None = None,
        link: str | None = None,
    ) -> PostTarget:
        """A target published through the sandbox network, then moved `age` into the past
        (on the network's ledger too, so its engagement curve is that old)."""
        now = datetime.now(UTC)
        post = await Post.create(
            workspace_id=self.workspace_id,
            body=body,
            tags=tags or [],
            campaign_id=campaign_id,
            link=link,
        )
        target = await PostTarget.create(
            workspace_id=self.workspace_id,
            post_id=post.id,
            channel_id=channel.id,
            status=TargetStatus.SCHEDULED,
            scheduled_at=now - timedelta(seconds=1),
            next_attempt_at=now - timedelta(seconds=1),
        )
        outcome = await publish_target(target.id)
        assert outcome.status == TargetStatus.PUBLISHED, outcome
        target = await PostTarget.get(id=target.id)
        published_at = target.published_at - age
        await PostTarget.filter(id=target.id).update(published_at=published_at)
        await SandboxPost.filter(id=ledger_id(target.network_post_id)).update(
            received_at=published_at
        )
        return await PostTarget.get(id=target.id)


async def make_world(email: str = "analytics@example.com", name: str = "Analytics") -> World:
    user = await User.create(email=email, name=name, password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name=name)
    return World(actor, workspace.id)
