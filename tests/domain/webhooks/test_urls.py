import pytest

from domain import outbound as urls
from domain.errors import ValidationFailed
from domain.secrets import decrypt
from domain.uow import unit_of_work
from domain.webhooks import endpoints
from domain.webhooks.catalog import WebhookEventType
from domain.webhooks.models import WebhookEndpoint

POST = WebhookEventType.POST_STATUS_CHANGED


async def create(hooks, url, types=(POST,), description=""):
    async with unit_of_work():
        return await endpoints.create_endpoint(
            hooks.actor,
            workspace_id=hooks.workspace_id,
            url=url,
            event_types=list(types),
            description=description,
        )


async def problems_of(hooks, url, **kwargs):
    with pytest.raises(ValidationFailed) as error:
        await create(hooks, url, **kwargs)
    return {(p.field, p.code.value) for p in error.value.problems}


async def test_the_secret_is_stored_encrypted(hooks):
    issued = await create(hooks, "http://localhost:9000/hook")
    row = await WebhookEndpoint.get(id=issued.endpoint.id)
    assert issued.secret.startswith("whsec_") and issued.secret not in row.secret_encrypted
    assert decrypt(row.secret_encrypted) == issued.secret


async def test_every_problem_is_reported_and_nothing_written(hooks):
    assert await problems_of(hooks, "ftp://x.test/a", types=(), description="d" * 1001) == {
        ("url", "INVALID"),
        ("eventTypes", "REQUIRED"),
        ("description", "TOO_LONG"),
    }
    assert await problems_of(hooks, "https://user:pw@x.test/") == {("url", "INVALID")}
    assert await problems_of(hooks, "/relative") == {("url", "INVALID")}
    assert await problems_of(hooks, "https://x.test/" + "a" * 2048) == {("url", "TOO_LONG")}
    assert await problems_of(hooks, "") == {("url", "REQUIRED")}
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://internal.partner.test/hook",  # resolves to a private address
    ],
)
async def test_production_refuses_internal_addresses(hooks, production, monkeypatch, url):
    async def resolve(host: str, port: int) -> list[str]:
        return {"localhost": ["127.0.0.1", "::1"], "internal.partner.test": ["10.9.8.7"]}.get(
            host, []
        )

    monkeypatch.setattr(urls, "resolve_host", resolve)
    assert len(await problems_of(hooks, url)) == 1
    assert await WebhookEndpoint.all().count() == 0


async def test_production_accepts_public_https(hooks, production, monkeypatch):
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    monkeypatch.setattr(urls, "resolve_host", resolve)
    issued = await create(hooks, "https://hooks.partner.example/kelola")
    assert issued.endpoint.url == "https://hooks.partner.example/kelola"
