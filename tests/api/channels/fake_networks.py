"""The networks a connect test talks to: each network's ASGI fake, wrapped with its
authorization server, and the seam that points Kelola at them.

Kelola reaches networks in two ways while connecting (domain/channels/networks.py): the
adapter (`networks.provider`) and the OAuth client's transport (`networks.oauth_transport`).
`NetworkSeam.install(fake)` replaces both for one test, so the authorization URL, the code
exchange and the account lookups all land on the fake: nothing of Kelola's is mocked.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

from domain.channels import networks
from domain.platforms import registry
from domain.platforms.base import Platform, Provider
from tests.domain.platforms.fakes import bluesky as bluesky_fake
from tests.domain.platforms.fakes import facebook as facebook_fake
from tests.domain.platforms.fakes import graph as graph_fake
from tests.domain.platforms.fakes import instagram as instagram_fake
from tests.domain.platforms.fakes import linkedin as linkedin_fake
from tests.domain.platforms.fakes import mastodon as mastodon_fake
from tests.domain.platforms.fakes import pinterest as pinterest_fake
from tests.domain.platforms.fakes import x as x_fake
from tests.domain.platforms.fakes.oauth import (
    AuthorizationServer,
    Grant,
    graph_oauth_error,
    overlay,
)
from tests.domain.platforms.fakes.transport import FakeNetworkTransport, fake_client

MASTODON_INSTANCE = f"https://{mastodon_fake.HOST}"
SECOND_ORGANIZATION = "urn:li:organization:5515715"


@dataclass
class FakeNetwork:
    platform: Platform
    state: Any
    app: ASGIApp
    server: AuthorizationServer | None = None
    env: dict[str, str] = field(default_factory=dict)

    def refused(self) -> bool:
        """Whether the fake refuses connections (`refuse_connections` or `refuse`)."""
        return bool(
            getattr(self.state, "refuse_connections", False) or getattr(self.state, "refuse", False)
        )


def x() -> FakeNetwork:
    state = x_fake.XFakeState()

    def issue(grant: Grant) -> dict[str, Any]:
        number = len(state.access_tokens) + 1
        access, refresh = f"x-access-{number}", f"x-refresh-{number}"
        state.access_tokens[access] = x_fake.ME["id"]
        state.refresh_tokens.add(refresh)
        return {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "refresh_token": refresh,
            "scope": grant.scope,
        }

    server = AuthorizationServer(
        "/i/oauth2/authorize",
        "/2/oauth2/token",
        clients=lambda: {state.client_id: state.client_secret},
        issue=issue,
        client_auth="client_secret_basic",
        require_pkce=True,
    )
    env = {"KELOLA_X_CLIENT_ID": state.client_id, "KELOLA_X_CLIENT_SECRET": state.client_secret}
    return FakeNetwork(Platform.X, state, server.mount(x_fake.create_app(state)), server, env)


def mastodon() -> FakeNetwork:
    state = mastodon_fake.MastodonFakeState()

    def issue(grant: Grant) -> dict[str, Any]:
        token = f"m-access-{len(state.access_tokens) + 1}"
        state.access_tokens[token] = mastodon_fake.ME
        return {"access_token": token, "token_type": "Bearer", "scope": grant.scope}

    def redirect_of(client_id: str) -> str | None:
        return next(app["redirect_uri"] for app in state.apps if app["client_id"] == client_id)

    server = AuthorizationServer(
        "/oauth/authorize",
        "/oauth/token",
        clients=lambda: {app["client_id"]: app["client_secret"] for app in state.apps},
        issue=issue,
        require_pkce=True,
        registered_redirect=redirect_of,
    )
    app = server.mount(mastodon_fake.create_app(state))
    return FakeNetwork(Platform.MASTODON, state, app, server)


def _meta(platform: Platform, state: Any, api: ASGIApp) -> FakeNetwork:
    server = AuthorizationServer(
        "/v25.0/dialog/oauth",
        "/v25.0/oauth/access_token",
        clients=lambda: {facebook_fake.CLIENT_ID: graph_fake.APP_SECRET},
        issue=lambda grant: {
            "access_token": facebook_fake.USER_TOKEN,
            "token_type": "bearer",
            "expires_in": 5183,
        },
        error=graph_oauth_error,
        scope_separator=",",
    )
    env = {
        "KELOLA_FACEBOOK_CLIENT_ID": facebook_fake.CLIENT_ID,
        "KELOLA_FACEBOOK_CLIENT_SECRET": graph_fake.APP_SECRET,
    }
    return FakeNetwork(platform, state, server.mount(api), server, env)


def facebook() -> FakeNetwork:
    state = facebook_fake.FacebookState()
    return _meta(Platform.FACEBOOK, state, facebook_fake.create_app(state))


def instagram() -> FakeNetwork:
    state = instagram_fake.InstagramState()
    return _meta(Platform.INSTAGRAM, state, instagram_fake.create_app(state))


def linkedin(*, organizations: int = 1) -> FakeNetwork:
    """`organizations=2` adds a second page the member administers (the fake has one)."""
    state = linkedin_fake.LinkedInState()
    server = AuthorizationServer(
        "/oauth/v2/authorization",
        "/oauth/v2/accessToken",
        clients=lambda: {linkedin_fake.CLIENT_ID: linkedin_fake.CLIENT_SECRET},
        issue=lambda grant: {
            "access_token": linkedin_fake.TOKEN,
            "expires_in": 5184000,
            "refresh_token": linkedin_fake.REFRESH_TOKEN,
            "refresh_token_expires_in": 31536000,
            "scope": grant.scope,
        },
    )
    api: ASGIApp = linkedin_fake.create_app(state)
    if organizations == 2:
        acls = [
            {"role": "ADMINISTRATOR", "organization": linkedin_fake.ORGANIZATION},
            {"role": "CONTENT_ADMINISTRATOR", "organization": SECOND_ORGANIZATION},
        ]
        elements = [
            {"roleAssignee": linkedin_fake.MEMBER, "state": "APPROVED", **acl} for acl in acls
        ]
        api = overlay(api, {("GET", "/rest/organizationAcls"): {"elements": elements}})
    env = {
        "KELOLA_LINKEDIN_CLIENT_ID": linkedin_fake.CLIENT_ID,
        "KELOLA_LINKEDIN_CLIENT_SECRET": linkedin_fake.CLIENT_SECRET,
    }
    return FakeNetwork(Platform.LINKEDIN, state, server.mount(api), server, env)


def pinterest() -> FakeNetwork:
    state = pinterest_fake.PinterestState()
    server = AuthorizationServer(
        "/oauth/",
        "/v5/oauth/token",
        clients=lambda: {pinterest_fake.CLIENT_ID: pinterest_fake.CLIENT_SECRET},
        issue=lambda grant: {
            "access_token": pinterest_fake.TOKEN,
            "refresh_token": pinterest_fake.REFRESH_TOKEN,
            "response_type": "authorization_code",
            "token_type": "bearer",
            "expires_in": 2592000,
            "refresh_token_expires_in": 31536000,
            "scope": grant.scope,
        },
        client_auth="client_secret_basic",
        scope_separator=",",
    )
    env = {
        "KELOLA_PINTEREST_CLIENT_ID": pinterest_fake.CLIENT_ID,
        "KELOLA_PINTEREST_CLIENT_SECRET": pinterest_fake.CLIENT_SECRET,
    }
    app = server.mount(pinterest_fake.create_app(state))
    return FakeNetwork(Platform.PINTEREST, state, app, server, env)


def bluesky() -> FakeNetwork:
    state = bluesky_fake.BlueskyFakeState()
    return FakeNetwork(Platform.BLUESKY, state, bluesky_fake.create_app(state))


class NetworkSeam:
    """Installs fakes behind `networks.provider` and `networks.oauth_transport`."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self._providers: dict[Platform, Provider] = {}
        self._clients: list[httpx.AsyncClient] = []
        self._transport: httpx.AsyncBaseTransport | None = None
        monkeypatch.setattr(networks, "provider", self._provider)
        monkeypatch.setattr(networks, "oauth_transport", lambda: self._transport)

    def install(self, fake: FakeNetwork) -> FakeNetwork:
        for name, value in fake.env.items():
            self._monkeypatch.setenv(name, value)
        refuse = fake.refused
        client = fake_client(fake.app, read_timeout=5.0, refuse=refuse)
        self._clients.append(client)
        module = importlib.import_module(registry.adapter_module(fake.platform))
        self._providers[fake.platform] = module.provider(client)
        if fake.server is not None:
            self._transport = FakeNetworkTransport(fake.app, refuse=refuse)
        return fake

    def _provider(self, platform: Platform) -> Provider:
        return self._providers.get(platform) or registry.provider_for(platform)

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


def local_path(url: str) -> str:
    """The path and query of a URL on Kelola, to request through the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
