"""`GET /l/{code}` over HTTP: the redirect, counting, and what is (not) stored."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from tortoise import Tortoise

from domain.analytics.models import LinkClick, TrackedLink
from tests.api.analytics.test_links import LINKS, create_link
from tests.api.content.support import studio

CLIENT_ADDRESS = "203.0.113.7"  # what the test transport reports (tests/conftest.py)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


async def visit(gql, code: str, agent: str = BROWSER):
    return await gql.http.get(f"/l/{code}", headers={"user-agent": agent})


async def test_the_redirect_carries_the_utm_parameters_and_the_click(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    link = await create_link(
        gql, owner.token, workspace_id, "https://kopi.example/menu?ref=bio#beans", channelId=channel
    )
    response = await visit(gql, link["code"])
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    location = response.headers["location"]
    assert location.startswith("https://kopi.example/menu?ref=bio&utm_source=sandbox")
    assert location.endswith("#beans")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["utm_medium"] == "social" and query["utm_campaign"] == "kelola"
    click = await LinkClick.get()
    assert query["kelola_click"] == click.click_ref
    assert click.link_id == (await TrackedLink.get()).id
    assert (await TrackedLink.get()).clicks == 1


async def test_one_click_per_visitor_and_hour(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id)
    first = await visit(gql, link["code"])
    again = await visit(gql, link["code"])
    # The same visitor keeps the same click ref within the hour.
    assert first.headers["location"] == again.headers["location"]
    assert await LinkClick.all().count() == 1
    other_agent = await visit(gql, link["code"], "Mozilla/5.0 (iPhone) Safari/604.1")
    assert other_agent.headers["location"] != first.headers["location"]
    assert await LinkClick.all().count() == 2
    listed = await gql.data(LINKS, {"workspaceId": workspace_id}, token=owner.token)
    assert listed["links"]["edges"][0]["node"]["clicks"] == 2


async def test_link_previews_and_head_requests_are_not_counted(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id)
    preview = await visit(gql, link["code"], "facebookexternalhit/1.1")
    assert preview.status_code == 302
    assert "kelola_click" not in preview.headers["location"]
    head = await gql.http.head(f"/l/{link['code']}")
    assert head.status_code == 302
    assert await LinkClick.all().count() == 0
    assert (await TrackedLink.get()).clicks == 0


async def test_an_unknown_code_is_a_plain_404(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id)
    for code in ("zzzzzzzz", link["code"].swapcase(), "a" * 17, "bad%20code", "x-y"):
        response = await visit(gql, code)
        assert response.status_code == 404, code
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == "Not found"
    assert await LinkClick.all().count() == 0


async def test_the_visitor_address_is_stored_nowhere(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id)
    await visit(gql, link["code"])
    await visit(gql, link["code"], "curl/8.5")
    [click, _] = await LinkClick.all().order_by("id").values()
    assert len(click["visitor_hash"]) == 64
    assert CLIENT_ADDRESS not in str(click)
    for model in Tortoise.apps["kelola"].values():
        for row in await model.all().values():
            assert CLIENT_ADDRESS not in str(row), model.__name__
            assert "curl/8.5" not in str(row), model.__name__
