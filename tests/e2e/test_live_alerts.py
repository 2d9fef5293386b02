"""reputationAlerts across API processes: a client that loses its connection and comes back
with its cursor gets every event it missed, once, in order."""

from __future__ import annotations

import asyncio
import time

import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportError, TransportQueryError

from api.ids import from_global_id, to_global_id
from domain.alerts.models import AlertEvent
from domain.listening.models import ListeningQuery
from domain.streams import RECHECK_S
from tests.domain.alerts.support import incident
from tests.e2e.conftest import spawn_server, wait_healthy, ws_session
from tests.e2e.test_server import close_code, mutate, register, wait_for_subscribers, workspace
from tests.helpers import API_KEY_CREATE

ALERTS = """
subscription Alerts($workspaceId: ID!, $after: String) {
  reputationAlerts(workspaceId: $workspaceId, after: $after) {
    cursor kind alert { id status mentionsCount }
  }
}"""
QUERY_CREATE = """
mutation($input: ListeningQueryCreateInput!) {
  listeningQueryCreate(input: $input) { query { id } errors { field code message } }
}"""
RULE_CREATE = """
mutation($input: AlertRuleCreateInput!) {
  alertRuleCreate(input: $input) { rule { id } errors { field code message } }
}"""
ACK = """
mutation($input: AlertRefInput!) {
  alertAcknowledge(input: $input) { alert { id } errors { field code message } }
}"""
RESOLVE = """
mutation($input: AlertRefInput!) {
  alertResolve(input: $input) { alert { id } errors { field code message } }
}"""


async def _incident(query_pk: int, index: int) -> None:
    """A watched word in a new mention, checked the way collection checks it."""
    await incident(await ListeningQuery.get(id=query_pk), index)


async def _watched_workspace(server) -> tuple[str, str, int]:
    """A new owner's workspace with a brand query and a crisis-word rule (no cooldown: every
    incident is a new alert); returns the owner's token, the workspace id and the query pk."""
    owner = await register(server)
    workspace_id = await workspace(server, owner)
    token = owner["token"]
    made = await mutate(
        server,
        "listeningQueryCreate",
        QUERY_CREATE,
        {"workspaceId": workspace_id, "query": {"name": "Brand", "brandTerms": ["kopikita"]}},
        token=token,
    )
    rule = {"name": "Crisis", "kind": "WATCH_TERMS", "terms": ["lambat"], "cooldownMinutes": 0}
    await mutate(
        server,
        "alertRuleCreate",
        RULE_CREATE,
        {"queryId": made["query"]["id"], "rule": rule},
        token=token,
    )
    return token, workspace_id, from_global_id(made["query"]["id"])[1]


async def test_a_reconnecting_subscriber_loses_nothing(servers):
    a, b = servers
    token, workspace_id, query_pk = await _watched_workspace(b)
    auth = {"authorization": f"Bearer {token}"}
    async with ws_session(a, auth) as session:
        events = session.subscribe(
            GraphQLRequest(ALERTS, variable_values={"workspaceId": workspace_id})
        )
        first = asyncio.ensure_future(anext(events))
        await wait_for_subscribers(workspace_id, 1)
        await _incident(query_pk, 1)
        opened = (await asyncio.wait_for(first, 10))["reputationAlerts"]
        assert opened["kind"] == "OPENED"
        alert_id = opened["alert"]["id"]
        await mutate(b, "alertAcknowledge", ACK, {"alertId": alert_id}, token=token)
        acked = (await asyncio.wait_for(anext(events), 10))["reputationAlerts"]
        assert acked["kind"] == "ACKNOWLEDGED"
        cursor = acked["cursor"]
    # Disconnected: three more things happen.
    await mutate(b, "alertResolve", RESOLVE, {"alertId": alert_id}, token=token)
    await _incident(query_pk, 2)
    await _incident(query_pk, 3)
    async with ws_session(b, auth) as session:
        events = session.subscribe(
            GraphQLRequest(ALERTS, variable_values={"workspaceId": workspace_id, "after": cursor})
        )
        missed = [(await asyncio.wait_for(anext(events), 10))["reputationAlerts"] for _ in range(3)]
        assert [event["kind"] for event in missed] == ["RESOLVED", "OPENED", "OPENED"]
        cursors = [from_global_id(event["cursor"])[1] for event in [acked, *missed]]
        assert cursors == sorted(set(cursors))
        await _incident(query_pk, 4)  # and it goes on live
        live = (await asyncio.wait_for(anext(events), 10))["reputationAlerts"]
        assert live["kind"] == "OPENED" and live["cursor"] not in {e["cursor"] for e in missed}


async def test_an_unknown_cursor_is_refused(servers):
    a, _ = servers
    owner = await register(a)
    workspace_id = await workspace(a, owner)
    async with ws_session(a, {"authorization": f"Bearer {owner['token']}"}) as session:
        with pytest.raises(TransportQueryError) as error:
            async for _ in session.subscribe(
                GraphQLRequest(
                    ALERTS, variable_values={"workspaceId": workspace_id, "after": "bogus"}
                )
            ):
                pass
    assert error.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


API_KEY_REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id revokedAt } errors { field code message } }
}"""


async def test_a_revoked_partner_key_closes_the_stream_at_once(servers):
    """The partner's connection rode on the key: revoking it closes the socket with the
    protocol's 4403 before the next alert, and the key cannot connect again."""
    a, b = servers
    token, workspace_id, query_pk = await _watched_workspace(b)
    key = await mutate(
        b,
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_id, "name": "partner", "scopes": ["ALERTS"]},
        token=token,
    )
    partner = {"apiKey": key["secret"]}
    async with ws_session(a, partner) as session:
        events = session.subscribe(
            GraphQLRequest(ALERTS, variable_values={"workspaceId": workspace_id})
        )
        first = asyncio.ensure_future(anext(events))
        await wait_for_subscribers(workspace_id, 1)
        await _incident(query_pk, 1)
        assert (await asyncio.wait_for(first, 10))["reputationAlerts"]["kind"] == "OPENED"
        following = asyncio.ensure_future(anext(events))
        revoked_at = time.monotonic()
        await mutate(
            b, "apiKeyRevoke", API_KEY_REVOKE, {"apiKeyId": key["apiKey"]["id"]}, token=token
        )
        await _incident(query_pk, 2)
        with pytest.raises(TransportError) as closed:
            await asyncio.wait_for(following, 10)
        assert close_code(closed.value) == 4403
        assert time.monotonic() - revoked_at < RECHECK_S  # at once, not at the periodic check
    with pytest.raises(TransportError) as refused:
        async with ws_session(a, partner):
            pass
    assert close_code(refused.value) == 4403


async def test_a_killed_api_process_loses_its_subscriber_nothing(servers, log_dir):
    """Events keep coming while the process serving a subscriber is SIGKILLed: the client
    reconnects to another process with its last cursor and ends with every event, once, in
    the order of the log."""
    _, b = servers
    doomed = spawn_server("api-doomed", log_dir)
    try:
        wait_healthy(doomed)
        token, workspace_id, query_pk = await _watched_workspace(b)
        auth = {"authorization": f"Bearer {token}"}
        received: list[str] = []
        stop = asyncio.Event()

        async def incidents() -> None:
            index = 0
            while not stop.is_set():
                index += 1
                await _incident(query_pk, 100 + index)
                await asyncio.sleep(0.05)

        async with ws_session(doomed, auth) as session:
            events = session.subscribe(
                GraphQLRequest(ALERTS, variable_values={"workspaceId": workspace_id})
            )
            first = asyncio.ensure_future(anext(events))
            await wait_for_subscribers(workspace_id, 1)
            producing = asyncio.create_task(incidents())
            received.append((await asyncio.wait_for(first, 10))["reputationAlerts"]["cursor"])
            with pytest.raises(TransportError):
                while True:
                    event = await asyncio.wait_for(anext(events), 10)
                    received.append(event["reputationAlerts"]["cursor"])
                    if len(received) == 5:
                        doomed.popen.kill()
        await asyncio.sleep(0.5)  # disconnected while events go on
        stop.set()
        await producing
        logged = [
            to_global_id("AlertEvent", pk)
            for pk in await AlertEvent.filter(workspace_id=from_global_id(workspace_id)[1])
            .order_by("id")
            .values_list("id", flat=True)
        ]
        async with ws_session(b, auth) as session:
            events = session.subscribe(
                GraphQLRequest(
                    ALERTS, variable_values={"workspaceId": workspace_id, "after": received[-1]}
                )
            )
            while received[-1] != logged[-1]:
                event = await asyncio.wait_for(anext(events), 10)
                received.append(event["reputationAlerts"]["cursor"])
        assert received == logged and len(logged) > 5
    finally:
        doomed.stop()
