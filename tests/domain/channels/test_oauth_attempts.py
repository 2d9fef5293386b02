"""Connection attempts through the domain: housekeeping of old attempts and of choices nobody
made, and the status members see."""

from datetime import UTC, datetime, timedelta

import pytest_asyncio

from domain.channels import accounts, attempts
from domain.channels.connect import ConnectOptions, connect_start
from domain.channels.models import ChannelConnectAttempt, ConnectStatus
from domain.identity import workspaces
from domain.identity.models import User
from domain.platforms.base import Account, Credentials, Platform
from domain.tenancy import Actor
from domain.uow import unit_of_work
from tests.api.channels.fake_networks import NetworkSeam, x


@pytest_asyncio.fixture
async def seam(monkeypatch):
    seam = NetworkSeam(monkeypatch)
    seam.install(x())
    yield seam
    await seam.close()


async def start_x(actor: Actor, workspace_id: int) -> ChannelConnectAttempt:
    async with unit_of_work():
        started = await connect_start(
            actor, workspace_id=workspace_id, platform=Platform.X, options=ConnectOptions()
        )
    return started.attempt.attempt


async def owner() -> tuple[Actor, int]:
    user = await User.create(email="o@example.com", name="o", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="W")
    return actor, workspace.id


async def test_old_attempts_go_and_unmade_choices_lose_their_credentials(seam):
    actor, workspace_id = await owner()
    old = await start_x(actor, workspace_id)
    waiting = await start_x(actor, workspace_id)
    now = datetime.now(UTC)
    await ChannelConnectAttempt.filter(id=old.id).update(expires_at=now - timedelta(days=2))
    candidate = accounts.Candidate("1", Account("1", "One"), Credentials("token-1"))
    await ChannelConnectAttempt.filter(id=waiting.id).update(
        status=ConnectStatus.SELECTING,
        candidates_encrypted=accounts.seal([candidate]),
        selection_expires_at=now - timedelta(seconds=1),
    )
    assert attempts.status_of(await ChannelConnectAttempt.get(id=waiting.id)) == "EXPIRED"

    fresh = await start_x(actor, workspace_id)
    remaining = {row.id: row for row in await ChannelConnectAttempt.all()}
    assert set(remaining) == {waiting.id, fresh.id}
    assert remaining[waiting.id].candidates_encrypted is None
    assert attempts.status_of(remaining[fresh.id]) == "PENDING"


async def test_sealed_candidates_round_trip_without_clear_text(seam):
    expires = datetime.now(UTC) + timedelta(hours=1)
    candidate = accounts.Candidate(
        "board-1",
        Account("acct", "Kopi", "kopi"),
        Credentials("access-secret", "refresh-secret", expires, {"board_id": "board-1"}),
        "Board: Coffee",
    )
    sealed = accounts.seal([candidate])
    assert "access-secret" not in sealed and "refresh-secret" not in sealed
    assert accounts.unseal(sealed) == [candidate]
    assert accounts.unseal(None) == []
