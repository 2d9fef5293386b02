"""End to end: two real API processes (uvicorn) and a worker, driven by the gql client."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportError, TransportQueryError

from api.ids import from_global_id
from domain.events import workspace_channel
from domain.redis import get_redis
from tests.e2e.conftest import Server, http_session, ws_session
from tests.helpers import (
    API_KEY_CREATE,
    INVITATION_ACCEPT,
    MEMBER_INVITE,
    REGISTER,
    WORKSPACE_CREATE,
)

MEMBER_CHANGED = """
subscription Changed($workspaceId: ID!) {
  memberChanged(workspaceId: $workspaceId) { action memberId userId workspaceId role occurredAt }
}"""

MEMBER_ROLE_UPDATE = """
mutation Role($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) { member { id role } errors { field code message } }
}"""

MEMBER_REMOVE = """
mutation Remove($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedMemberId errors { field code message } }
}"""


async def mutate(server: Server, name: str, query: str, input: dict, *, token=None) -> dict:
    async with http_session(server, token=token) as session:
        result = await session.execute(GraphQLRequest(query, variable_values={"input": input}))
    payload = result[name]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def register(server: Server) -> dict:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    input = {"email": email, "password": "correct horse battery", "name": "e2e"}
    payload = await mutate(server, "register", REGISTER, input)
    return {"email": email, "id": payload["user"]["id"], "token": payload["accessToken"]}


async def workspace(server: Server, owner: dict) -> str:
    payload = await mutate(
        server, "workspaceCreate", WORKSPACE_CREATE, {"name": "E2E"}, token=owner["token"]
    )
    return payload["workspace"]["id"]


async def wait_for_subscribers(workspace_id: str, count: int, within: float = 5.0) -> None:
    """The subscription is live once the server has SUBSCRIBEd its Redis channel."""
    decoded = from_global_id(workspace_id)
    assert decoded is not None
    channel = workspace_channel(decoded[1])
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        [(_, subscribers)] = await get_redis().pubsub_numsub(channel)
        if subscribers >= count:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"no subscriber on {channel}")


def close_code(error: BaseException) -> int | None:
    """The websocket close code behind a gql transport error, if the server closed."""
    seen: BaseException | None = error
    while seen is not None:
        received = getattr(seen, "rcvd", None)
        if received is not None:
            return received.code
        seen = seen.__cause__ or seen.__context__
    return None


async def test_member_events_cross_processes(servers):
    a, b = servers
    owner = await register(b)
    workspace_id = await workspace(b, owner)
    invitee = await register(b)

    async with ws_session(a, {"authorization": f"Bearer {owner['token']}"}) as session:
        events = session.subscribe(
            GraphQLRequest(MEMBER_CHANGED, variable_values={"workspaceId": workspace_id})
        )
        next_event = asyncio.ensure_future(anext(events))
        try:
            await wait_for_subscribers(workspace_id, 1)

            invited = await mutate(
                b,
                "memberInvite",
                MEMBER_INVITE,
                {"workspaceId": workspace_id, "email": invitee["email"], "role": "EDITOR"},
                token=owner["token"],
            )
            accepted = await mutate(
                b,
                "invitationAccept",
                INVITATION_ACCEPT,
                {"token": invited["token"]},
                token=invitee["token"],
            )
            member_id = accepted["member"]["id"]
            joined = (await asyncio.wait_for(next_event, 10))["memberChanged"]
            assert joined["action"] == "JOINED"
            assert joined["memberId"] == member_id
            assert joined["userId"] == invitee["id"]
            assert joined["workspaceId"] == workspace_id
            assert joined["role"] == "EDITOR"
            assert joined["occurredAt"]

            await mutate(
                b,
                "memberRoleUpdate",
                MEMBER_ROLE_UPDATE,
                {"memberId": member_id, "role": "ANALYST"},
                token=owner["token"],
            )
            changed = (await asyncio.wait_for(anext(events), 10))["memberChanged"]
            assert (changed["action"], changed["memberId"], changed["role"]) == (
                "ROLE_CHANGED",
                member_id,
                "ANALYST",
            )

            # Leaving is seen too; a mutation that fails publishes nothing.
            await mutate(
                b, "memberRemove", MEMBER_REMOVE, {"memberId": member_id}, token=invitee["token"]
            )
            removed = (await asyncio.wait_for(anext(events), 10))["memberChanged"]
            assert (removed["action"], removed["memberId"]) == ("REMOVED", member_id)
        finally:
            next_event.cancel()
            await events.aclose()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"authorization": "Bearer not-a-jwt"},
        {"authorization": "Basic abc"},
        {"apiKey": "klk_x_y"},
    ],
    ids=["none", "bad-jwt", "not-bearer", "bad-api-key"],
)
async def test_websocket_without_valid_credentials_is_closed_4403(servers, payload):
    a, _ = servers
    with pytest.raises(TransportError) as raised:
        async with ws_session(a, payload):
            pass
    assert close_code(raised.value) == 4403


async def test_api_key_subscription_follows_the_key_scopes(servers):
    a, b = servers
    owner = await register(b)
    workspace_id = await workspace(b, owner)
    payload = await mutate(
        b,
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_id, "name": "partner", "scopes": ["READ"]},
        token=owner["token"],
    )
    # The key authenticates the connection, but READ does not cover the member list
    # (personal data): the operation is refused, the connection stays usable.
    async with ws_session(a, {"apiKey": payload["secret"]}) as session:
        request = GraphQLRequest(MEMBER_CHANGED, variable_values={"workspaceId": workspace_id})
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(request):
                pytest.fail("an API key without members:read received an event")
        assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
        assert refused.value.data is None

        query = "query($id: ID!) { workspace(id: $id) { id } }"
        read = await session.execute(GraphQLRequest(query, variable_values={"id": workspace_id}))
        assert read["workspace"]["id"] == workspace_id


async def test_subscription_to_a_foreign_workspace_is_not_found(servers):
    a, b = servers
    owner = await register(b)
    workspace_id = await workspace(b, owner)
    stranger = await register(b)
    async with ws_session(a, {"authorization": f"Bearer {stranger['token']}"}) as session:
        request = GraphQLRequest(MEMBER_CHANGED, variable_values={"workspaceId": workspace_id})
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(request):
                pytest.fail("a stranger received an event")
        assert refused.value.errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_http_responses_carry_a_request_id(servers):
    a, b = servers
    async with http_session(a) as session:
        await session.execute(GraphQLRequest("{ __typename }"))
        first = session.transport.response_headers["x-request-id"]
        await session.execute(GraphQLRequest("{ __typename }"))
        second = session.transport.response_headers["x-request-id"]
    assert first and second and first != second
    async with http_session(b, **{"x-request-id": "trace-0123456789"}) as session:
        await session.execute(GraphQLRequest("{ __typename }"))
        assert session.transport.response_headers["x-request-id"] == "trace-0123456789"
    async with httpx.AsyncClient(base_url=a.url) as client:
        health = await client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["x-request-id"]


async def test_oversized_bodies_are_413_declared_or_streamed(servers):
    a, _ = servers
    limit = 1_000_000  # the default KELOLA_MAX_BODY_BYTES

    async def streamed():
        yield b'{"query": "'
        for _ in range(limit // 100_000 + 1):
            yield b" " * 100_000
        yield b'{ __typename }"}'

    async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
        declared = await client.post("/graphql", content=b" " * (limit + 1))
        chunked = await client.post(
            "/graphql", content=streamed(), headers={"content-type": "application/json"}
        )
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert response.headers["x-request-id"]


async def test_readiness_follows_the_worker_heartbeat(servers, start_worker):
    a, _ = servers
    async with httpx.AsyncClient(base_url=a.url, timeout=5) as client:
        before = await client.get("/readyz")
        assert before.status_code == 503
        assert before.json() == {
            "status": "not ready",
            "checks": {"database": True, "redis": True, "worker": False},
        }

        worker = start_worker()
        deadline = time.monotonic() + 20
        while (ready := await client.get("/readyz")).status_code != 200:
            assert worker.popen.poll() is None, worker.log_tail()
            assert time.monotonic() < deadline, worker.log_tail()
            await asyncio.sleep(0.2)
        assert ready.json()["status"] == "ready"

        # A clean stop (SIGTERM) takes the worker out of readiness at once.
        assert await asyncio.to_thread(worker.stop) == 0, worker.log_tail()
        after = await client.get("/readyz")
        assert after.status_code == 503
        assert after.json()["checks"]["worker"] is False


async def test_a_removed_member_stops_receiving_events(servers):
    a, b = servers
    owner = await register(b)
    workspace_id = await workspace(b, owner)

    async def join(role: str) -> tuple[dict, str]:
        person = await register(b)
        invited = await mutate(
            b,
            "memberInvite",
            MEMBER_INVITE,
            {"workspaceId": workspace_id, "email": person["email"], "role": role},
            token=owner["token"],
        )
        accepted = await mutate(
            b,
            "invitationAccept",
            INVITATION_ACCEPT,
            {"token": invited["token"]},
            token=person["token"],
        )
        return person, accepted["member"]["id"]

    watcher, watcher_member_id = await join("EDITOR")
    _, other_member_id = await join("EDITOR")
    async with ws_session(a, {"authorization": f"Bearer {watcher['token']}"}) as session:
        events = session.subscribe(
            GraphQLRequest(MEMBER_CHANGED, variable_values={"workspaceId": workspace_id})
        )
        next_event = asyncio.ensure_future(anext(events))
        try:
            await wait_for_subscribers(workspace_id, 1)
            await mutate(
                b,
                "memberRemove",
                MEMBER_REMOVE,
                {"memberId": watcher_member_id},
                token=owner["token"],
            )
            removed = (await asyncio.wait_for(next_event, 10))["memberChanged"]
            assert removed["action"] == "REMOVED"

            await mutate(
                b,
                "memberRoleUpdate",
                MEMBER_ROLE_UPDATE,
                {"memberId": other_member_id, "role": "ANALYST"},
                token=owner["token"],
            )
            with pytest.raises((TimeoutError, StopAsyncIteration, TransportError)):
                leaked = await asyncio.wait_for(anext(events), 1.5)
                print("leaked to a former member:", leaked)
        finally:
            next_event.cancel()
            await events.aclose()
