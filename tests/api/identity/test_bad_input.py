"""Hostile and broken requests: each gets a typed error, leaks nothing and writes nothing."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from api.ids import to_global_id
from domain.settings import get_settings
from tests.helpers import (
    API_KEY_CREATE,
    INVITATION_ACCEPT,
    MEMBER_INVITE,
    REGISTER,
    WORKSPACE_CREATE,
    identity_rows,
    top_level_codes,
)

LEAKS = ("Traceback", "SELECT", "INSERT", "UPDATE ", 'File "')
LEAKS_ANY_CASE = ("sqlite", "asyncpg", "tortoise", "psycopg")

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken errors { field code message } }
}
"""
REFRESH = """
mutation($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { accessToken refreshToken errors { field code message } }
}"""
ROLE_UPDATE = """
mutation($input: MemberRoleUpdateInput!) {
  memberRoleUpdate(input: $input) { member { id } errors { field code message } }
}"""
REMOVE = """
mutation($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedMemberId errors { field code message } }
}"""
REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id } errors { field code message } }
}"""


def assert_clean(response, *secrets: str) -> dict:
    """A well-formed JSON answer that is not a 5xx and shows no internals or secrets."""
    assert response.status_code < 500, response.text
    text = response.text
    for word in LEAKS:
        assert word not in text, (word, text)
    for word in LEAKS_ANY_CASE:
        assert word not in text.lower(), (word, text)
    for secret in (get_settings().jwt_secret, *secrets):
        assert secret not in text
    body = response.json()
    assert isinstance(body, dict)
    return body


def assert_typed(body: dict, code: str | None = None) -> None:
    """Every top-level error carries a code (the given one, if any)."""
    assert body["errors"], body
    for error in body["errors"]:
        assert error["message"]
        assert (error.get("extensions") or {}).get("code"), error
        if code is not None:
            assert error["extensions"]["code"] == code, error


@pytest.fixture
async def owner(gql):
    person = await gql.person()
    workspace_id = await gql.workspace(person, "Acme")
    return person, workspace_id


# The HTTP envelope


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'[{"query": "{ me { id } }"}]', "application/json"),
        (b'{"variables": {}}', "application/json"),
        (b'{"query": null}', "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ me { id } }", "variables": "nope"}', "application/json"),
        (b'{"query": "{ me { id } }", "variables": [1]}', "application/json"),
        (b'{"query": "{ me { id } }", "extensions": 5}', "application/json"),
        (b'{"query": "query A { me { id } }", "operationName": "B"}', "application/json"),
        (b"{ me { id } }", "text/plain"),
        (b"query=x", "application/x-www-form-urlencoded"),
    ],
)
async def test_a_malformed_request_is_a_400(http, owner, content, content_type):
    person, _ = owner
    before = await identity_rows()
    response = await http.post(
        "/graphql",
        content=content,
        headers={"content-type": content_type, "authorization": f"Bearer {person.token}"},
    )
    assert 400 <= response.status_code < 500
    body = assert_clean(response, person.token)
    assert_typed(body, "BAD_REQUEST")
    assert await identity_rows() == before


@pytest.mark.parametrize("content", [b'"query"', b"5", b"null", b"true", b'{"query": "\xff"}'])
async def test_a_body_that_is_not_a_json_object_is_a_400(http, content):
    response = await http.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert_typed(response.json(), "BAD_REQUEST")


async def test_a_body_over_a_megabyte_is_413_and_runs_nothing(gql, owner):
    person, _ = owner
    before = await identity_rows()
    padding = "x" * (get_settings().max_body_bytes + 1)
    response = await gql.raw(
        WORKSPACE_CREATE, {"input": {"name": "Big"}, "padding": padding}, token=person.token
    )
    assert response.status_code == 413
    body = assert_clean(response, person.token)
    assert_typed(body, "BAD_REQUEST")
    assert await identity_rows() == before


async def test_a_body_just_under_a_megabyte_is_fine(gql, owner):
    person, _ = owner
    padding = "x" * (get_settings().max_body_bytes - 1_000)
    response = await gql.raw("{ me { id } }", {"padding": padding}, token=person.token)
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"id": person.user_id}}}


# The document


@pytest.mark.parametrize(
    "query",
    [
        "{ me { id ",
        "mutation { workspaceCreate(input: {name: }) { errors { code } } }",
        "}{",
        "query Q($x: ) { me { id } }",
        '{ me { id } } "trailing"',
    ],
)
async def test_invalid_syntax_is_refused_before_running(gql, owner, query):
    person, _ = owner
    before = await identity_rows()
    response = await gql.raw(query, token=person.token)
    body = assert_clean(response, person.token)
    assert body.get("data") is None
    assert len(body["errors"]) == 1
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert await identity_rows() == before


async def test_a_syntax_error_has_a_code(gql):
    body = await gql.execute("{ me { id ")
    assert top_level_codes(body) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.parametrize(
    "query",
    [
        "{ me { id password } }",
        "{ me { passwordHash } }",
        '{ workspace(id: "x") { id secret } }',
        "{ workspaces(last: 5) { totalCount } }",
        "{ users { id } }",
        'mutation { workspaceDelete(id: "x") { ok } }',
        'mutation { workspaceCreate(input: {name: "x", owner: "me"}) { errors { code } } }',
        "{ me }",
        'query { workspace(id: "x") { ...F } } fragment F on Nope { id }',
    ],
)
async def test_unknown_fields_are_validation_errors(gql, owner, query):
    person, _ = owner
    before = await identity_rows()
    response = await gql.raw(query, token=person.token)
    body = assert_clean(response, person.token)
    assert body.get("data") is None
    assert_typed(body, "GRAPHQL_VALIDATION_FAILED")
    assert await identity_rows() == before


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (WORKSPACE_CREATE, {"input": {"name": 5}}),
        (WORKSPACE_CREATE, {"input": {"name": None}}),
        (WORKSPACE_CREATE, {"input": {"name": ["a", "b"]}}),
        (WORKSPACE_CREATE, {"input": {"name": {"nested": "x"}}}),
        (WORKSPACE_CREATE, {"input": {"name": "x", "timezone": 7}}),
        (WORKSPACE_CREATE, {"input": {"name": "x", "extra": True}}),
        (WORKSPACE_CREATE, {"input": "name"}),
        (WORKSPACE_CREATE, {}),
        (MEMBER_INVITE, {"input": {"workspaceId": "x", "email": "a@b.co", "role": "KING"}}),
        (MEMBER_INVITE, {"input": {"workspaceId": "x", "email": "a@b.co", "role": "owner"}}),
        (MEMBER_INVITE, {"input": {"workspaceId": 1.5, "email": "a@b.co", "role": "OWNER"}}),
        (MEMBER_INVITE, {"input": {"workspaceId": None, "email": "a@b.co", "role": "OWNER"}}),
        (API_KEY_CREATE, {"input": {"workspaceId": "x", "name": "k", "scopes": ["EVERYTHING"]}}),
        (API_KEY_CREATE, {"input": {"workspaceId": "x", "name": "k", "scopes": [None]}}),
        (
            API_KEY_CREATE,
            {"input": {"workspaceId": "x", "name": "k", "scopes": ["READ"], "expiresAt": "soon"}},
        ),
        (
            API_KEY_CREATE,
            {"input": {"workspaceId": "x", "name": "k", "scopes": ["READ"], "expiresAt": 12}},
        ),
        ("query($first: Int) { workspaces(first: $first) { totalCount } }", {"first": "ten"}),
        ("query($first: Int) { workspaces(first: $first) { totalCount } }", {"first": 1.5}),
        ("query($first: Int) { workspaces(first: $first) { totalCount } }", {"first": 2**31}),
        ("query($id: ID!) { workspace(id: $id) { id } }", {"id": None}),
        ("query($id: ID!) { workspace(id: $id) { id } }", {"id": {"a": 1}}),
        ("query($id: ID!) { workspace(id: $id) { id } }", {"id": True}),
    ],
)
async def test_wrong_variable_types_are_refused_before_running(gql, owner, query, variables):
    person, _ = owner
    before = await identity_rows()
    response = await gql.raw(query, variables, token=person.token)
    body = assert_clean(response, person.token)
    assert body.get("data") is None
    assert_typed(body, "GRAPHQL_VALIDATION_FAILED")
    assert await identity_rows() == before


async def test_a_literal_of_the_wrong_type_is_a_validation_error(gql, owner):
    person, _ = owner
    body = await gql.execute(
        "mutation { workspaceCreate(input: {name: 42}) { errors { code } } }", token=person.token
    )
    assert body.get("data") is None
    assert_typed(body, "GRAPHQL_VALIDATION_FAILED")


# Oversized and unstorable strings

HUGE = "é" * 10_000


async def run_mutation(gql, name, query, input, token=None):
    response = await gql.raw(query, {"input": input}, token=token)
    body = assert_clean(response, *(t for t in (token,) if t))
    assert "errors" not in body, body
    payload = body["data"][name]
    for error in payload["errors"]:
        assert len(error["message"]) < 300, "the input is not echoed back at length"
    return payload


def field_codes(payload) -> set[tuple[str | None, str]]:
    return {(error["field"], error["code"]) for error in payload["errors"]}


@pytest.mark.parametrize(
    ("name", "query", "input", "expected"),
    [
        ("workspaceCreate", WORKSPACE_CREATE, {"name": HUGE}, {("name", "TOO_LONG")}),
        (
            "workspaceCreate",
            WORKSPACE_CREATE,
            {"name": HUGE, "timezone": HUGE},
            {("name", "TOO_LONG"), ("timezone", "INVALID")},
        ),
        (
            "register",
            REGISTER,
            {"email": HUGE + "@example.com", "password": HUGE, "name": HUGE},
            {("email", "TOO_LONG"), ("password", "TOO_LONG"), ("name", "TOO_LONG")},
        ),
        ("login", LOGIN, {"email": HUGE, "password": HUGE}, {(None, "INVALID_CREDENTIALS")}),
        ("invitationAccept", INVITATION_ACCEPT, {"token": HUGE}, {("token", "TOKEN_INVALID")}),
        ("tokenRefresh", REFRESH, {"refreshToken": HUGE}, {("refreshToken", "TOKEN_INVALID")}),
    ],
)
async def test_oversized_strings_are_refused_and_write_nothing(
    gql, owner, name, query, input, expected
):
    person, _ = owner
    before = await identity_rows()
    payload = await run_mutation(gql, name, query, input, token=person.token)
    assert field_codes(payload) == expected
    assert await identity_rows() == before


async def test_oversized_strings_in_workspace_mutations(gql, owner):
    person, workspace_id = owner
    before = await identity_rows()
    invite = await run_mutation(
        gql,
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": workspace_id, "email": HUGE, "role": "EDITOR"},
        token=person.token,
    )
    assert field_codes(invite) == {("email", "TOO_LONG")}
    key = await run_mutation(
        gql,
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_id, "name": HUGE, "scopes": ["READ"]},
        token=person.token,
    )
    assert field_codes(key) == {("name", "TOO_LONG")}
    assert await identity_rows() == before


NUL = "Ac\x00me"


@pytest.mark.parametrize(
    ("name", "query", "input", "expected"),
    [
        ("workspaceCreate", WORKSPACE_CREATE, {"name": NUL}, {("name", "INVALID")}),
        (
            "workspaceCreate",
            WORKSPACE_CREATE,
            {"name": "x", "timezone": "UTC\x00"},
            {("timezone", "INVALID")},
        ),
        (
            "register",
            REGISTER,
            {"email": "a\x00b@example.com", "password": "long enough password", "name": NUL},
            {("email", "INVALID"), ("name", "INVALID")},
        ),
        (
            "login",
            LOGIN,
            {"email": "a\x00b@example.com", "password": "x\x00"},
            {(None, "INVALID_CREDENTIALS")},
        ),
        ("invitationAccept", INVITATION_ACCEPT, {"token": "\x00"}, {("token", "TOKEN_INVALID")}),
        ("tokenRefresh", REFRESH, {"refreshToken": "\x00"}, {("refreshToken", "TOKEN_INVALID")}),
    ],
)
async def test_nul_characters_are_refused_and_write_nothing(
    gql, owner, name, query, input, expected
):
    """PostgreSQL cannot store NUL in text: it must be a typed error, not a database one."""
    person, _ = owner
    before = await identity_rows()
    payload = await run_mutation(gql, name, query, input, token=person.token)
    assert field_codes(payload) == expected
    assert await identity_rows() == before


async def test_nul_characters_in_workspace_mutations(gql, owner):
    person, workspace_id = owner
    before = await identity_rows()
    invite = await run_mutation(
        gql,
        "memberInvite",
        MEMBER_INVITE,
        {"workspaceId": workspace_id, "email": "a\x00@example.com", "role": "EDITOR"},
        token=person.token,
    )
    assert field_codes(invite) == {("email", "INVALID")}
    key = await run_mutation(
        gql,
        "apiKeyCreate",
        API_KEY_CREATE,
        {"workspaceId": workspace_id, "name": NUL, "scopes": ["READ"]},
        token=person.token,
    )
    assert field_codes(key) == {("name", "INVALID")}
    assert await identity_rows() == before


# Ids


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


GARBAGE_IDS = [
    "",
    "garbage",
    "💥",
    "A" * 10_000,
    "====",
    raw_id("Workspace"),
    raw_id("Workspace:"),
    raw_id("Workspace:0"),
    raw_id("Workspace:-1"),
    raw_id("Workspace:1.5"),
    raw_id("Workspace:" + "9" * 30),
    raw_id("Workspace:1:2"),
    raw_id(":1"),
    base64.urlsafe_b64encode(b"\xff\xfe:1").decode(),
]

# name, query, the id's type, the input field holding it, the rest of the input
ID_MUTATIONS = [
    (
        "memberInvite",
        MEMBER_INVITE,
        "Workspace",
        "workspaceId",
        {"email": "a@b.co", "role": "EDITOR"},
    ),
    ("memberRoleUpdate", ROLE_UPDATE, "Member", "memberId", {"role": "EDITOR"}),
    ("memberRemove", REMOVE, "Member", "memberId", {}),
    ("apiKeyCreate", API_KEY_CREATE, "Workspace", "workspaceId", {"name": "k", "scopes": ["READ"]}),
    ("apiKeyRevoke", REVOKE, "ApiKey", "apiKeyId", {}),
]


@pytest.mark.parametrize(
    ("name", "query", "type_name", "field", "rest"),
    ID_MUTATIONS,
    ids=[mutation[0] for mutation in ID_MUTATIONS],
)
async def test_bad_ids_in_mutations(gql, owner, name, query, type_name, field, rest):
    person, _ = owner
    before = await identity_rows()
    wrong_type = "User" if type_name != "User" else "Workspace"
    cases = [(bad, "INVALID") for bad in GARBAGE_IDS]
    cases += [
        (to_global_id(wrong_type, 1), "INVALID"),
        (person.user_id, "INVALID"),
        (to_global_id(type_name, 424242), "NOT_FOUND"),
        (to_global_id(type_name, 2**63 - 1), "NOT_FOUND"),
    ]
    for bad_id, code in cases:
        payload = await run_mutation(gql, name, query, {field: bad_id, **rest}, token=person.token)
        assert [(error["field"], error["code"]) for error in payload["errors"]] == [
            (field, code)
        ], bad_id
    assert await identity_rows() == before


@pytest.mark.parametrize("bad_id", [*GARBAGE_IDS, to_global_id("Workspace", 2**63 - 1)])
async def test_bad_ids_in_queries_are_null(gql, owner, bad_id):
    person, _ = owner
    for query in (
        "query($id: ID!) { workspace(id: $id) { id } }",
        "query($id: ID!) { node(id: $id) { id } }",
    ):
        response = await gql.raw(query, {"id": bad_id}, token=person.token)
        body = assert_clean(response, person.token)
        assert "errors" not in body, body
        assert list(body["data"].values()) == [None]


# Credentials


def signed(claims: dict, key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(
        {"alg": alg}, claims, OctKey.import_key(key or get_settings().jwt_secret), algorithms=[alg]
    )


def unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def claims_for(user_id: str, **overrides) -> dict:
    decoded = base64.urlsafe_b64decode(user_id + "=" * (-len(user_id) % 4)).decode()
    now = int(time.time())
    claims = {
        "iss": "kelola",
        "sub": decoded.split(":")[1],
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def forged_tokens(user_id: str) -> dict[str, str]:
    now = int(time.time())
    valid = signed(claims_for(user_id))
    header, payload, signature = valid.split(".")
    other_payload = unsigned(claims_for(user_id, sub="1")).split(".")[1]
    return {
        "expired": signed(claims_for(user_id, iat=now - 3600, exp=now - 60)),
        "other key": signed(claims_for(user_id), key="another-secret-" + "y" * 40),
        "alg none": unsigned(claims_for(user_id)),
        "alg none, no dot": unsigned(claims_for(user_id)).rstrip("."),
        "HS512": signed(claims_for(user_id), alg="HS512"),
        "refresh typ": signed(claims_for(user_id, typ="refresh")),
        "no typ": signed(claims_for(user_id, typ=None)),
        "no exp": signed(claims_for(user_id, exp=None)),
        "no sub": signed(claims_for(user_id, sub=None)),
        "sub not a number": signed(claims_for(user_id, sub="admin")),
        "other issuer": signed(claims_for(user_id, iss="someone-else")),
        "tampered payload": f"{header}.{other_payload}.{signature}",
        "no signature": f"{header}.{payload}.",
        "garbage": "not-a-jwt",
        "four parts": valid + ".extra",
    }


async def test_forged_or_stale_jwts_are_unauthenticated_and_write_nothing(gql, owner):
    person, workspace_id = owner
    before = await identity_rows()
    for label, token in forged_tokens(person.user_id).items():
        for query, variables in [
            ("{ me { id } }", {}),
            (WORKSPACE_CREATE, {"input": {"name": "Forged"}}),
            (
                MEMBER_INVITE,
                {"input": {"workspaceId": workspace_id, "email": "x@example.com", "role": "OWNER"}},
            ),
        ]:
            response = await gql.raw(query, variables, token=token)
            body = assert_clean(response, token)
            assert top_level_codes(body) == ["UNAUTHENTICATED"], (label, body)
            assert body["data"] is None, label
    assert await identity_rows() == before


async def test_a_correctly_signed_jwt_works(gql, owner):
    """The control for the forgeries above: the same builder makes a token that passes."""
    person, _ = owner
    token = signed(claims_for(person.user_id))
    assert await gql.data("{ me { email } }", token=token) == {"me": {"email": person.email}}


async def test_a_refresh_token_is_not_an_access_token(gql, owner):
    person, _ = owner
    body = await gql.execute("{ me { id } }", token=person.refresh_token)
    assert top_level_codes(body) == ["UNAUTHENTICATED"]
    payload = await run_mutation(gql, "tokenRefresh", REFRESH, {"refreshToken": person.token})
    assert field_codes(payload) == {("refreshToken", "TOKEN_INVALID")}


async def test_a_reused_refresh_token_ends_the_session_and_leaks_nothing(gql, owner):
    person, _ = owner
    rotated = await run_mutation(
        gql, "tokenRefresh", REFRESH, {"refreshToken": person.refresh_token}
    )
    assert rotated["errors"] == []

    response = await gql.raw(REFRESH, {"input": {"refreshToken": person.refresh_token}})
    body = assert_clean(response, person.refresh_token, rotated["refreshToken"])
    payload = body["data"]["tokenRefresh"]
    assert field_codes(payload) == {("refreshToken", "TOKEN_REUSED")}
    assert payload["accessToken"] is None and payload["refreshToken"] is None

    # The whole family is revoked: the newest token is dead too, and stays dead.
    for _ in range(2):
        after = await run_mutation(
            gql, "tokenRefresh", REFRESH, {"refreshToken": rotated["refreshToken"]}
        )
        assert field_codes(after) == {("refreshToken", "TOKEN_INVALID")}
    # The access token already issued keeps working until it expires (it is stateless).
    assert (await gql.data("{ me { id } }", token=rotated["accessToken"]))["me"]


async def test_reuse_does_not_touch_other_sessions(gql, owner):
    person, _ = owner
    other_device = await run_mutation(
        gql, "login", LOGIN, {"email": person.email, "password": "correct horse battery"}
    )
    await run_mutation(gql, "tokenRefresh", REFRESH, {"refreshToken": person.refresh_token})
    reused = await run_mutation(
        gql, "tokenRefresh", REFRESH, {"refreshToken": person.refresh_token}
    )
    assert field_codes(reused) == {("refreshToken", "TOKEN_REUSED")}

    still_fine = await run_mutation(
        gql, "tokenRefresh", REFRESH, {"refreshToken": other_device["refreshToken"]}
    )
    assert still_fine["errors"] == [] and still_fine["refreshToken"]
