"""Who may keep following a workspace's alerts: a revoked API key is refused at once
(before the next alert), a member whose role no longer reads alerts is refused at the
next check, with FORBIDDEN."""

import asyncio

import pytest

from domain.alerts.stream import alert_events
from domain.errors import Forbidden
from domain.identity import api_keys
from domain.identity.models import Membership, Role
from domain.identity.roles import ApiKeyScope, Permission
from domain.streams import CredentialRevoked, workspace_events
from domain.tenancy import Actor
from domain.uow import unit_of_work
from tests.domain.alerts.support import incident, watched_world


async def _partner(world) -> tuple[Actor, int]:
    async with unit_of_work():
        issued = await api_keys.create_api_key(
            world.actor,
            workspace_id=world.workspace_id,
            name="partner",
            scopes=[ApiKeyScope.ALERTS],
        )
    return Actor(api_key_id=issued.api_key.id), issued.api_key.id


async def test_a_revoked_key_is_refused_before_the_next_alert():
    world, query, _ = await watched_world(cooldown_minutes=0)
    partner, key_id = await _partner(world)
    stream = alert_events(partner, world.workspace_id, None)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)  # following
    await incident(query, 1)
    assert (await asyncio.wait_for(first, 5)).event.kind.value == "OPENED"
    following = asyncio.ensure_future(anext(stream))
    async with unit_of_work():
        await api_keys.revoke_api_key(world.actor, api_key_id=key_id)
    await incident(query, 2)
    with pytest.raises(CredentialRevoked):
        await asyncio.wait_for(following, 5)
    await stream.aclose()


async def test_other_streams_end_for_a_revoked_key_too():
    world, _, _ = await watched_world()
    partner, key_id = await _partner(world)
    stream = workspace_events(partner, world.workspace_id, Permission.ALERTS_READ, {"x"})
    following = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)
    async with unit_of_work():
        await api_keys.revoke_api_key(world.actor, api_key_id=key_id)
    with pytest.raises(CredentialRevoked):
        await asyncio.wait_for(following, 5)
    await stream.aclose()


async def test_a_member_who_may_no_longer_read_alerts_is_refused(monkeypatch):
    monkeypatch.setattr("domain.alerts.stream.RECHECK_S", 0)
    world, query, _ = await watched_world(cooldown_minutes=0)
    stream = alert_events(world.actor, world.workspace_id, None)
    following = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)
    # A role without alerts:read (written directly: the owner cannot demote themselves).
    await Membership.filter(workspace_id=world.workspace_id).update(role=Role.APPROVER)
    with pytest.raises(Forbidden):
        await asyncio.wait_for(following, 5)
    await stream.aclose()
