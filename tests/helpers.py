"""Helpers for tests: a GraphQL client over HTTP, factories, and an SQL query counter."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    user { id email }
    accessToken refreshToken accessTokenExpiresIn
    errors { field code message }
  }
}"""

WORKSPACE_CREATE = """
mutation Create($input: WorkspaceCreateInput!) {
  workspaceCreate(input: $input) {
    workspace { id name timezone viewerRole }
    errors { field code message }
  }
}"""

MEMBER_INVITE = """
mutation Invite($input: MemberInviteInput!) {
  memberInvite(input: $input) {
    invitation { id email role }
    token
    errors { field code message }
  }
}"""

INVITATION_ACCEPT = """
mutation Accept($input: InvitationAcceptInput!) {
  invitationAccept(input: $input) {
    member { id role user { email } workspace { id } }
    errors { field code message }
  }
}"""

API_KEY_CREATE = """
mutation Key($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) {
    apiKey { id name prefix scopes lastUsedAt revokedAt }
    secret
    errors { field code message }
  }
}"""


@dataclass
class Person:
    """A registered user with a live session."""

    email: str
    user_id: str
    token: str
    refresh_token: str


@dataclass
class Membership:
    person: Person
    member_id: str
    workspace_id: str


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token=token)
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.execute(query, variables, token=token)
        assert "errors" not in body, body
        return body["data"]

    async def mutate(
        self,
        name: str,
        query: str,
        input: dict[str, Any],
        *,
        token: str | None = None,
        expect_errors: bool = False,
    ) -> dict[str, Any]:
        payload = (await self.data(query, {"input": input}, token=token))[name]
        if not expect_errors:
            assert payload["errors"] == [], payload["errors"]
        return payload

    # factories

    async def person(
        self, email: str | None = None, password: str = "correct horse battery"
    ) -> Person:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        payload = await self.mutate(
            "register",
            REGISTER,
            {"email": email, "password": password, "name": email.split("@")[0]},
        )
        return Person(email, payload["user"]["id"], payload["accessToken"], payload["refreshToken"])

    async def workspace(self, owner: Person, name: str = "Acme") -> str:
        payload = await self.mutate(
            "workspaceCreate", WORKSPACE_CREATE, {"name": name}, token=owner.token
        )
        return payload["workspace"]["id"]

    async def join(self, workspace_id: str, inviter: Person, role: str) -> Membership:
        person = await self.person()
        invited = await self.mutate(
            "memberInvite",
            MEMBER_INVITE,
            {"workspaceId": workspace_id, "email": person.email, "role": role},
            token=inviter.token,
        )
        accepted = await self.mutate(
            "invitationAccept", INVITATION_ACCEPT, {"token": invited["token"]}, token=person.token
        )
        return Membership(person, accepted["member"]["id"], workspace_id)

    async def owner_member_id(self, workspace_id: str, owner: Person) -> str:
        data = await self.data(
            "query($id: ID!) { workspace(id: $id) {"
            " members(first: 100) { edges { node { id role user { email } } } } } }",
            {"id": workspace_id},
            token=owner.token,
        )
        return next(
            edge["node"]["id"]
            for edge in data["workspace"]["members"]["edges"]
            if edge["node"]["user"]["email"] == owner.email
        )

    async def api_key(self, workspace_id: str, owner: Person, scopes: list[str]) -> str:
        payload = await self.mutate(
            "apiKeyCreate",
            API_KEY_CREATE,
            {"workspaceId": workspace_id, "name": "partner", "scopes": scopes},
            token=owner.token,
        )
        return payload["secret"]


class QueryCounter:
    """Counts SQL statements Tortoise sends while the block runs."""

    class _Handler(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.statements: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if not message.startswith(("Created connection", "Closed connection")):
                self.statements.append(message)

    @contextlib.contextmanager
    def count(self) -> Iterator[list[str]]:
        logger = logging.getLogger("tortoise.db_client")
        handler = self._Handler()
        previous = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        try:
            yield handler.statements
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)


def top_level_codes(body: dict[str, Any]) -> list[str | None]:
    """The `extensions.code` of every top-level error of a response body."""
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors", [])]


async def identity_rows() -> dict[str, list[dict[str, Any]]]:
    """Every identity row, to compare before and after a call that must write nothing."""
    from domain.identity import models

    tables = (
        models.User,
        models.Workspace,
        models.Membership,
        models.Invitation,
        models.ApiKey,
        models.RefreshToken,
    )
    return {table.__name__: await table.all().order_by("id").values() for table in tables}
