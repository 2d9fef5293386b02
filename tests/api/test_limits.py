"""Abuse limits and error hygiene through HTTP: query size, rate limits, request ids, masking."""

from __future__ import annotations

import logging
import re

import pytest

import api.view
from api.context import Context, make_loaders
from api.schema import schema
from domain.identity import sessions, workspaces
from domain.ratelimit import TokenBucket
from domain.settings import get_settings
from domain.tenancy import Actor
from tests.helpers import REGISTER, WORKSPACE_CREATE

ME = "{ me { id } }"


def refused_before_execution(response) -> str:
    """The one error message of a request that was refused without running."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    return error["message"]


def deep_query(levels: int) -> str:
    """workspaces → members → workspace → members … nested `levels` times."""
    query = "id"
    for _ in range(levels):
        query = "workspace { members { edges { node { " + query + " } } } }"
    return "{ workspaces { edges { node { members { edges { node { " + query + " } } } } } } }"


async def test_a_query_deeper_than_the_limit_is_refused(gql):
    person = await gql.person()
    await gql.workspace(person)
    assert "workspaces" in await gql.data(deep_query(1), token=person.token)

    message = refused_before_execution(await gql.raw(deep_query(3), token=person.token))
    assert f"exceeds maximum operation depth of {get_settings().max_query_depth}" in message


async def test_a_deep_query_hidden_in_fragments_is_refused(gql):
    person = await gql.person()
    query = (
        "query { ...W } "
        "fragment W on Query { workspaces { edges { node { ...M } } } } "
        "fragment M on Workspace { members { edges { node { workspace { ...N } } } } } "
        "fragment N on Workspace { members { edges { node { workspace { ...O } } } } } "
        "fragment O on Workspace { members { edges { node { workspace { id } } } } } "
    )
    message = refused_before_execution(await gql.raw(query, token=person.token))
    assert "exceeds maximum operation depth" in message


async def test_too_many_tokens_are_refused(gql):
    person = await gql.person()
    limit = get_settings().max_query_tokens
    query = "{ me { " + "id " * limit + "} }"
    message = refused_before_execution(await gql.raw(query, token=person.token))
    assert f"more than {limit} tokens" in message


async def test_too_many_aliases_are_refused(gql):
    person = await gql.person()
    limit = get_settings().max_query_aliases
    fine = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(limit)) + " }"
    assert len(await gql.data(fine, token=person.token)) == limit

    too_many = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(limit + 1)) + " }"
    message = refused_before_execution(await gql.raw(too_many, token=person.token))
    assert message == f"{limit + 1} aliases found. Allowed: {limit}"


async def test_a_body_over_the_limit_is_413(http):
    size = get_settings().max_body_bytes + 1
    response = await http.post(
        "/graphql",
        content=b'{"query": "' + b" " * size + b'{ me { id } }"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_streamed_body_over_the_limit_is_413(http):
    """No content-length (chunked): the cap is applied while reading."""
    chunk = b" " * 100_000

    async def body():
        yield b'{"query": "'
        for _ in range(get_settings().max_body_bytes // len(chunk) + 1):
            yield chunk
        yield b'{ me { id } }"}'

    response = await http.post(
        "/graphql", content=body(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_malformed_requests_are_400_with_a_code(http):
    response = await http.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    mutation_via_get = await http.get(
        "/graphql", params={"query": 'mutation { logout(input: {refreshToken: "x"}) { ok } }'}
    )
    assert mutation_via_get.status_code == 400


# Rate limits


@pytest.fixture
def small_bucket(monkeypatch):
    """Three requests, then empty (refills at one a minute: not within a test)."""
    monkeypatch.setattr(api.view, "_bucket", lambda: TokenBucket("graphql", 3, 1))


def is_seconds(value: str) -> bool:
    return value.isdigit() and int(value) > 0


async def test_the_request_over_the_limit_is_429(gql, small_bucket):
    person = await gql.person()  # before the bucket: registering counts per IP, not per user
    remaining = []
    for _ in range(3):
        response = await gql.raw(ME, token=person.token)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(response.headers["x-ratelimit-remaining"])
        assert "retry-after" not in response.headers
    assert remaining == ["2", "1", "0"]

    limited = await gql.raw(ME, token=person.token)
    assert limited.status_code == 429
    body = limited.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(limited.headers["retry-after"])
    assert limited.headers["x-ratelimit-limit"] == "3"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert is_seconds(limited.headers["x-ratelimit-reset"])
    assert is_seconds(limited.headers["retry-after"])
    assert int(limited.headers["retry-after"]) <= 60


async def test_a_rate_limited_mutation_does_not_run(gql, small_bucket):
    person = await gql.person()
    for _ in range(3):
        await gql.raw(ME, token=person.token)
    limited = await gql.raw(WORKSPACE_CREATE, {"input": {"name": "Nope"}}, token=person.token)
    assert limited.status_code == 429
    assert await workspaces.Workspace.all().count() == 0


async def test_buckets_are_per_caller(gql, small_bucket):
    busy = await gql.person()
    other = await gql.person()
    for _ in range(3):
        await gql.raw(ME, token=busy.token)
    assert (await gql.raw(ME, token=busy.token)).status_code == 429

    calm = await gql.raw(ME, token=other.token)
    assert calm.status_code == 200
    assert calm.json()["data"]["me"]["id"] == other.user_id
    assert calm.headers["x-ratelimit-remaining"] == "2"


async def test_anonymous_callers_are_limited_by_address(gql, small_bucket):
    for _ in range(3):
        response = await gql.raw("{ __typename }")
        assert response.status_code == 200
    limited = await gql.raw(
        REGISTER, {"input": {"email": "x@example.com", "password": "long enough pw", "name": "x"}}
    )
    assert limited.status_code == 429
    assert not await sessions.User.filter(email="x@example.com").exists()


# Request ids


async def test_a_valid_request_id_is_echoed(http):
    response = await http.get("/healthz", headers={"x-request-id": "client-Trace_0001.a"})
    assert response.headers["x-request-id"] == "client-Trace_0001.a"
    graphql = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "abcdefgh"}
    )
    assert graphql.headers["x-request-id"] == "abcdefgh"


@pytest.mark.parametrize("sent", ["short", "x" * 65, "has space-1234", "semi;colon1234", ""])
async def test_an_invalid_request_id_is_replaced(http, sent):
    response = await http.get("/healthz", headers={"x-request-id": sent})
    [returned] = response.headers.get_list("x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", returned)


# Masking


async def test_unexpected_errors_are_masked(gql, monkeypatch, caplog):
    async def broken(**_):
        raise RuntimeError("SELECT secret FROM users")

    monkeypatch.setattr(sessions, "register", broken)
    with caplog.at_level(logging.ERROR, logger="kelola.api"):
        response = await gql.raw(
            REGISTER,
            {"input": {"email": "a@example.com", "password": "long enough pw", "name": "a"}},
        )
    assert response.status_code == 200
    assert "SELECT" not in response.text and "Traceback" not in response.text
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["path"] == ["register"]
    # The operator still gets the whole story.
    assert any(
        "SELECT secret" in str(record.exc_info[1]) for record in caplog.records if record.exc_info
    )


async def test_unexpected_errors_in_subscriptions_are_masked(monkeypatch):
    import api.identity.subscriptions

    async def broken(*_, **__):
        raise RuntimeError("SELECT secret FROM members")

    monkeypatch.setattr(api.identity.subscriptions, "workspace_for", broken)
    actor = Actor(user_id=1)
    context = Context(None, None, actor, make_loaders(actor))
    results = await schema.subscribe(
        'subscription { memberChanged(workspaceId: "V29ya3NwYWNlOjE") { action } }',
        context_value=context,
    )
    result = await anext(results)
    await results.aclose()
    [error] = result.errors
    assert error.message == "Unexpected error"
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
