"""The OAuth client pieces on their own: authorization URLs, the code exchange and how its
failures are classified, and the configuration check."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.channels import networks, oauth
from domain.channels.oauth import ConnectErrorCode, ConnectFailure
from domain.platforms.base import OAuthEndpoints, Platform
from tests.domain.platforms.fakes.oauth import AuthorizationServer, graph_oauth_error, s256
from tests.domain.platforms.fakes.transport import FakeNetworkTransport

REDIRECT = "https://kelola.test/oauth/callback/x"


def endpoints(**changes) -> OAuthEndpoints:
    base = {
        "authorize_url": "https://network.test/authorize",
        "token_url": "https://network.test/token",
        "scopes": ("read", "write"),
        "client_id": "client",
        "client_secret": "secret",
        "token_endpoint_auth_method": "client_secret_post",
        "uses_pkce": True,
    }
    return OAuthEndpoints(**{**base, **changes})


def serve(monkeypatch, app, *, refuse=False):
    transport = FakeNetworkTransport(app, refuse=lambda: refuse)
    monkeypatch.setattr(networks, "oauth_transport", lambda: transport)


def server(**changes) -> AuthorizationServer:
    options = {
        "clients": lambda: {"client": "secret"},
        "issue": lambda grant: {"access_token": "at", "refresh_token": "rt", "expires_in": 60},
        **changes,
    }
    return AuthorizationServer("/authorize", "/token", **options)


def starlette(handler) -> Starlette:
    return Starlette(routes=[Route("/token", handler, methods=["POST"])])


async def failure(monkeypatch, app, **changes) -> ConnectFailure:
    serve(monkeypatch, app)
    with pytest.raises(ConnectFailure) as raised:
        await oauth.exchange_code(
            Platform.X, endpoints(**changes), redirect_uri=REDIRECT, code="c", code_verifier="v"
        )
    return raised.value


async def test_pkce_round_trip_through_authlib(monkeypatch):
    fake = server(require_pkce=True)
    serve(monkeypatch, fake.mount(Starlette()))
    verifier = oauth.new_code_verifier()
    assert 43 <= len(verifier) <= 128
    url = await oauth.authorization_url(
        Platform.X, endpoints(), redirect_uri=REDIRECT, state="s" * 43, code_verifier=verifier
    )
    redirect = fake.authorize(url)
    code = dict(httpx.URL(redirect).params)["code"]
    credentials = await oauth.exchange_code(
        Platform.X, endpoints(), redirect_uri=REDIRECT, code=code, code_verifier=verifier
    )
    assert (credentials.access_token, credentials.refresh_token) == ("at", "rt")
    assert credentials.expires_at is not None and credentials.extra == {}
    assert fake.grants[code].challenge == s256(verifier)
    assert fake.exchanges[0]["form"]["client_secret"] == "secret"


async def test_networks_without_pkce_get_no_challenge_and_no_verifier(monkeypatch):
    fake = server()
    serve(monkeypatch, fake.mount(Starlette()))
    plain = endpoints(uses_pkce=False, token_endpoint_auth_method="client_secret_basic")
    url = await oauth.authorization_url(
        Platform.PINTEREST, plain, redirect_uri=REDIRECT, state="s", code_verifier=None
    )
    params = dict(httpx.URL(url).params)
    assert "code_challenge" not in params and params["scope"] == "read,write"
    code = dict(httpx.URL(fake.authorize(url)).params)["code"]
    fake.client_auth = "client_secret_basic"
    await oauth.exchange_code(
        Platform.PINTEREST, plain, redirect_uri=REDIRECT, code=code, code_verifier=None
    )
    [exchange] = fake.exchanges
    assert "code_verifier" not in exchange["form"] and "client_secret" not in exchange["form"]
    assert exchange["headers"]["authorization"].startswith("Basic ")


async def test_a_refusal_names_the_oauth_error_but_never_free_text(monkeypatch):
    refused = await failure(monkeypatch, server().mount(Starlette()))
    assert refused.code == ConnectErrorCode.NETWORK_REFUSED
    assert refused.reason == "invalid_grant" and "invalid_grant" in refused.message

    async def chatty(request):
        return JSONResponse({"error": "the code c for secret s is bad"}, status_code=400)

    chatter = await failure(monkeypatch, starlette(chatty))
    assert chatter.reason == "refused" and "secret" not in chatter.message
    graph = server(error=graph_oauth_error)
    graph_refusal = await failure(monkeypatch, graph.mount(Starlette()))
    assert graph_refusal.code == ConnectErrorCode.NETWORK_REFUSED
    assert graph_refusal.reason == "OAuthException"


async def test_server_trouble_is_unavailable_and_odd_answers_are_refused(monkeypatch):
    async def gateway(request):
        return Response("<html>502</html>", status_code=502, media_type="text/html")

    async def throttled(request):
        return Response("slow down", status_code=429)

    async def tokenless(request):
        return JSONResponse({"token_type": "bearer"})

    async def not_json(request):
        return Response("ok", status_code=200)

    async def forbidden(request):
        return Response("no", status_code=403)

    cases = [
        (gateway, ConnectErrorCode.NETWORK_UNAVAILABLE),
        (throttled, ConnectErrorCode.NETWORK_UNAVAILABLE),
        (tokenless, ConnectErrorCode.NETWORK_REFUSED),
        (not_json, ConnectErrorCode.NETWORK_UNAVAILABLE),
        (forbidden, ConnectErrorCode.NETWORK_REFUSED),
    ]
    for handler, code in cases:
        assert (await failure(monkeypatch, starlette(handler))).code == code, handler.__name__
    serve(monkeypatch, Starlette(), refuse=True)
    with pytest.raises(ConnectFailure) as raised:
        await oauth.exchange_code(
            Platform.X, endpoints(), redirect_uri=REDIRECT, code="c", code_verifier="v"
        )
    assert raised.value.code == ConnectErrorCode.NETWORK_UNAVAILABLE
    assert "ConnectError" in raised.value.message


def test_configuration_problems_name_the_setting_to_set():
    assert oauth.configuration_problem(Platform.X, endpoints()) is None
    public = endpoints(client_secret=None, token_endpoint_auth_method="none")
    assert oauth.configuration_problem(Platform.X, public) is None
    missing_id = oauth.configuration_problem(Platform.LINKEDIN, endpoints(client_id=""))
    assert missing_id.message == "LinkedIn is not configured: set KELOLA_LINKEDIN_CLIENT_ID"
    missing_secret = oauth.configuration_problem(Platform.INSTAGRAM, endpoints(client_secret=None))
    assert missing_secret.message == (
        "Instagram is not configured: set KELOLA_FACEBOOK_CLIENT_SECRET"
    )
    assert missing_secret.code.value == "NOT_ALLOWED" and missing_secret.field == "platform"
