"""A partner's receiver (the one thing faked), reached in-process through httpx.ASGITransport,
and factories for endpoints."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.identity import workspaces
from domain.identity.models import User
from domain.tenancy import Actor
from domain.uow import unit_of_work
from domain.webhooks import delivery, endpoints
from domain.webhooks.catalog import WebhookEventType
from domain.webhooks.signing import verify
from tests.domain.publishing.conftest import World


@dataclass
class Receiver:
    """The partner's server: answers with scripted statuses (or times out) and checks
    every signature with the secret it was given."""

    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret
    script: deque[int | str] = field(default_factory=deque)
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = (await request.body()).decode()
            secret = self.secrets.get(request.url.path, "")
            header = request.headers.get("kelola-signature", "")
            timestamp = int(header.split(",")[0].removeprefix("t=") or 0)
            self.received.append(
                {
                    "path": request.url.path,
                    "headers": dict(request.headers),
                    "body": json.loads(body),
                    "verified": verify(secret, header, body, now=timestamp),
                }
            )
            status = self.script.popleft() if self.script else 200
            return Response(f"got it {secret}", status_code=int(status))

        return Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])

    def client(self) -> httpx.AsyncClient:
        asgi = httpx.ASGITransport(app=self.app())
        receiver = self

        class Transport(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if receiver.script and receiver.script[0] == "timeout":
                    receiver.script.popleft()
                    raise httpx.ReadTimeout("timed out", request=request)
                return await asgi.handle_async_request(request)

        return httpx.AsyncClient(transport=Transport())


@pytest_asyncio.fixture
async def receiver(monkeypatch):
    fake = Receiver()
    client = fake.client()
    monkeypatch.setattr(delivery, "client_factory", lambda: client)
    yield fake
    await client.aclose()


@dataclass
class Hooks(World):
    async def endpoint(
        self,
        receiver: Receiver | None = None,
        path: str = "/hook",
        types: tuple[WebhookEventType, ...] = (WebhookEventType.POST_STATUS_CHANGED,),
        host: str = "partner.test",
    ):
        async with unit_of_work():
            issued = await endpoints.create_endpoint(
                self.actor,
                workspace_id=self.workspace_id,
                url=f"http://{host}{path}",
                event_types=list(types),
            )
        if receiver is not None:
            receiver.secrets[path] = issued.secret
        return issued


async def make_hooks(email: str = "hooks@example.com") -> Hooks:
    user = await User.create(email=email, name="hooks", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="Hooks")
    return Hooks(actor, workspace.id)


@pytest_asyncio.fixture
async def hooks() -> Hooks:
    return await make_hooks()


@pytest.fixture
def production(monkeypatch):
    from domain.settings import get_settings

    monkeypatch.setattr(get_settings(), "env", "production")
