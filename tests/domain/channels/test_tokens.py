import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.channels.models import Channel, ChannelHealth
from domain.channels.service import SandboxOptions, connect_sandbox, save_connection
from domain.channels.tokens import ChannelUnusable, fresh_credentials
from domain.channels.vault import load_credentials
from domain.events import listen
from domain.identity import workspaces
from domain.identity.models import User
from domain.platforms.base import Account, Credentials, Platform
from domain.platforms.sandbox.models import SandboxAccount
from domain.tenancy import Actor
from domain.uow import unit_of_work


async def sandbox_channel() -> Channel:
    user = await User.create(email="o@example.com", name="o", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="W")
        return await connect_sandbox(actor, workspace_id=workspace.id, options=SandboxOptions())


async def expire_soon(channel: Channel) -> None:
    await Channel.filter(id=channel.id).update(
        token_expires_at=datetime.now(UTC) + timedelta(minutes=1)
    )


async def test_fresh_token_is_returned_without_refreshing():
    channel = await sandbox_channel()
    before = load_credentials(channel)
    assert (await fresh_credentials(channel.id)).access_token == before.access_token


async def test_concurrent_users_of_an_expiring_channel_refresh_it_once():
    channel = await sandbox_channel()
    await expire_soon(channel)
    old = load_credentials(channel)
    results = await asyncio.gather(*(fresh_credentials(channel.id) for _ in range(8)))
    tokens = {credentials.access_token for credentials in results}
    assert len(tokens) == 1 and old.access_token not in tokens
    # The token the sandbox accepts is the one everyone got: one refresh, no lost race.
    account = await SandboxAccount.get()
    from domain.secrets import token_hash

    assert account.token_hash == token_hash(tokens.pop())
    stored = load_credentials(await Channel.get(id=channel.id))
    assert stored.refresh_token == old.refresh_token
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=30)


async def test_refused_refresh_marks_the_channel_and_tells_subscribers():
    channel = await sandbox_channel()
    await expire_soon(channel)
    await SandboxAccount.all().delete()  # the network forgot the account: refresh refused
    events = listen([channel.workspace_id], {"channel.health_changed"})
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.2)
    with pytest.raises(ChannelUnusable):
        await fresh_credentials(channel.id)
    event = await asyncio.wait_for(first, 5)
    await events.aclose()
    assert event.data["health"] == "NEEDS_REAUTH"
    refreshed = await Channel.get(id=channel.id)
    assert refreshed.health == ChannelHealth.NEEDS_REAUTH
    assert "refused" in refreshed.health_reason
    with pytest.raises(ChannelUnusable):
        await fresh_credentials(channel.id)


async def test_reconnect_without_a_refresh_token_keeps_the_stored_one():
    channel = await sandbox_channel()
    original = load_credentials(channel)
    await Channel.filter(id=channel.id).update(health=ChannelHealth.NEEDS_REAUTH)
    async with unit_of_work():
        again = await save_connection(
            channel.workspace_id,
            channel.connected_by_id,
            Platform.SANDBOX,
            Account(channel.external_account_id, "Renamed", "kopi"),
            Credentials(access_token="new-access", extra=original.extra),
        )
    assert again.id == channel.id
    assert again.health == ChannelHealth.CONNECTED and again.name == "Renamed"
    stored = load_credentials(await Channel.get(id=channel.id))
    assert stored.access_token == "new-access"
    assert stored.refresh_token == original.refresh_token
    assert json.loads(json.dumps(stored.extra)) == original.extra
    assert await Channel.all().count() == 1


async def test_the_upkeep_job_refreshes_tokens_nobody_is_using():
    from domain.channels.tokens import refresh_expiring

    channel = await sandbox_channel()
    old = load_credentials(channel)
    assert await refresh_expiring() == 0  # fresh for two hours: left alone
    await expire_soon(channel)
    assert await refresh_expiring() == 1
    stored = load_credentials(await Channel.get(id=channel.id))
    assert stored.access_token != old.access_token
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=30)
    await Channel.filter(id=channel.id).update(
        health=ChannelHealth.DISCONNECTED,
        token_expires_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    assert await refresh_expiring() == 0  # a disconnected channel is not touched
