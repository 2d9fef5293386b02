"""Counting clicks in the domain, where the test controls the clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.analytics.clicks import follow, hour_of, visitor_hash, with_click
from domain.analytics.models import LinkClick, TrackedLink
from domain.identity.models import Workspace

NOON = datetime(2027, 3, 1, 12, 5, tzinfo=UTC)
AGENT = "Mozilla/5.0 Firefox/140.0"


async def a_link(code: str = "Abcd1234") -> TrackedLink:
    workspace = await Workspace.create(name="Clicks")
    return await TrackedLink.create(
        workspace_id=workspace.id,
        code=code,
        original_url="https://kopi.example/",
        destination="https://kopi.example/?utm_source=kelola",
    )


async def click(code: str, at: datetime, agent: str = AGENT, address: str = "198.51.100.4"):
    return await follow(code, client_address=address, user_agent=agent, now=at)


async def test_one_click_per_visitor_link_and_hour():
    link = await a_link()
    first = await click(link.code, NOON)
    same_hour = await click(link.code, NOON + timedelta(minutes=50))
    assert first.click_ref == same_hour.click_ref
    assert first.location == same_hour.location
    next_hour = await click(link.code, NOON + timedelta(minutes=55))
    assert next_hour.click_ref != first.click_ref
    other_address = await click(link.code, NOON, address="198.51.100.5")
    assert other_address.click_ref not in (first.click_ref, next_hour.click_ref)
    assert (await TrackedLink.get(id=link.id)).clicks == 3
    hours = sorted(row.hour for row in await LinkClick.all())
    assert hours == [NOON.replace(minute=0)] * 2 + [NOON.replace(hour=13, minute=0)]


async def test_concurrent_repeat_clicks_count_once():
    link = await a_link()
    results = await asyncio.gather(*(click(link.code, NOON) for _ in range(8)))
    assert len({result.click_ref for result in results}) == 1
    assert await LinkClick.all().count() == 1
    assert (await TrackedLink.get(id=link.id)).clicks == 1


async def test_unknown_and_malformed_codes():
    await a_link()
    for code in ("Nope1234", "", "a" * 17, "abc/def", "abc def"):
        assert await click(code, NOON) is None
    assert await LinkClick.all().count() == 0


def test_the_visitor_hash_is_keyed_and_changes_every_hour():
    hour = hour_of(NOON)
    one = visitor_hash("198.51.100.4", AGENT, hour)
    assert len(one) == 64 and "198.51.100.4" not in one
    assert one == visitor_hash("198.51.100.4", AGENT, hour)
    assert one != visitor_hash("198.51.100.4", AGENT, hour + timedelta(hours=1))
    assert one != visitor_hash("198.51.100.4", AGENT + "x", hour)


def test_the_click_ref_replaces_one_in_the_destination():
    assert (
        with_click("https://k.example/?a=1#top", "R1")
        == "https://k.example/?a=1&kelola_click=R1#top"
    )
    assert with_click("https://k.example/", "R1") == "https://k.example/?kelola_click=R1"
    assert (
        with_click("https://k.example/?kelola_click=old&b=%20", "R2")
        == "https://k.example/?b=%20&kelola_click=R2"
    )
