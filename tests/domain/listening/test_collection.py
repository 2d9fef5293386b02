from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.listening import feeds
from domain.listening.collection import listening_round, search
from domain.listening.feeds import FeedError, parse_feed, read_feed
from domain.listening.models import FeedStatus, ListeningFeed, ListeningQuery, Mention
from tests.domain.analytics.factories import make_world


async def _query(world, **fields) -> ListeningQuery:
    defaults = {"name": "Brand", "brand_terms": ["kopikita"], "competitors": [], "hashtags": []}
    return await ListeningQuery.create(workspace_id=world.workspace_id, **{**defaults, **fields})


async def test_search_stores_each_mention_once_with_language_and_sentiment():
    world = await make_world()
    channel = await world.channel()
    query = await _query(world, competitors=[{"name": "Kopi Lain", "terms": ["kopilain"]}])
    now = datetime.now(UTC).replace(microsecond=0)
    now -= timedelta(seconds=now.second % 30)  # on a half minute, never in the future
    stored = await search(query.id, channel.id, now)
    # The sandbox answers two posts a minute per term, for the hour looked back.
    assert stored == 2 * 60 * 2
    rows = await Mention.filter(query_id=query.id)
    assert {row.competitor for row in rows} == {None, "Kopi Lain"}
    assert all(row.language in ("en", "id", "und") for row in rows)
    assert all(-1 <= row.sentiment_score <= 1 for row in rows)
    assert {row.sentiment for row in rows} >= {"POSITIVE", "NEGATIVE"}
    brand = [row for row in rows if row.competitor is None]
    assert all(row.matched_terms == ["kopikita"] for row in brand)
    assert all(row.author_reach and row.author_handle for row in rows)
    # The cursor moved on: the same window again brings nothing new.
    assert await search(query.id, channel.id, now) == 0
    assert await Mention.filter(query_id=query.id).count() == len(rows)


async def test_exclude_and_languages_filter_mentions():
    world = await make_world()
    channel = await world.channel()
    query = await _query(world, exclude_expression='lambat OR "not impressed"', languages=["id"])
    await search(query.id, channel.id, datetime.now(UTC))
    rows = await Mention.filter(query_id=query.id)
    assert rows and all(row.language == "id" for row in rows)
    assert not any("lambat" in row.text.lower() for row in rows)


async def test_the_round_asks_for_searches_and_due_feeds():
    world = await make_world()
    await world.channel()
    await world.channel()
    await _query(world)
    await _query(world, name="Other", networks=["RSS"])
    await ListeningFeed.create(workspace_id=world.workspace_id, url="https://news.example/rss")
    assert await listening_round() == 2 + 1


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Berita Kopi</title>
<item><title>KopiKita buka cabang baru</title><link>https://news.example/1</link>
<guid>n1</guid><description>&lt;p&gt;Pelanggan senang sekali&lt;/p&gt;</description>
<pubDate>Wed, 25 Nov 2026 08:00:00 +0700</pubDate></item>
<item><title>Harga kopi naik</title><link>https://news.example/2</link><guid>n2</guid>
<pubDate>Wed, 25 Nov 2026 09:00:00 +0700</pubDate></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Coffee blog</title><entry><id>urn:a1</id><title>Why I love KopiKita</title>
<link href="https://blog.example/a1"/><updated>2026-11-25T10:00:00Z</updated>
<summary>Great coffee, friendly staff.</summary><author><name>Rina</name></author></entry></feed>"""
BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
<rss><channel><item><title>&lol2;</title></item></channel></rss>"""


def test_rss_and_atom_are_read():
    title, items = parse_feed(RSS)
    assert title == "Berita Kopi" and [item.external_id for item in items] == ["n1", "n2"]
    assert items[0].text == "KopiKita buka cabang baru. Pelanggan senang sekali"
    assert items[0].published_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    title, [entry] = parse_feed(ATOM)
    assert title == "Coffee blog" and entry.author_handle == "Rina"
    assert entry.url == "https://blog.example/a1"
    for bad in (b"not xml", b"<html><body/></html>", BOMB):
        with pytest.raises(FeedError):
            parse_feed(bad)


def _site(answers: dict[str, httpx.Response]):
    def handler(request: httpx.Request) -> httpx.Response:
        return answers.get(str(request.url), httpx.Response(404))

    return lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_feeds_become_mentions_and_failures_back_off(monkeypatch):
    world = await make_world()
    query = await _query(world)
    good = await ListeningFeed.create(
        workspace_id=world.workspace_id, url="https://news.example/rss"
    )
    broken = await ListeningFeed.create(
        workspace_id=world.workspace_id, url="https://down.example/rss"
    )
    monkeypatch.setattr(
        feeds, "http_client", _site({"https://news.example/rss": httpx.Response(200, content=RSS)})
    )
    now = datetime.now(UTC)
    assert await read_feed(good.id, now) == 1
    [mention] = await Mention.filter(query_id=query.id)
    assert mention.network == "RSS" and mention.url == "https://news.example/1"
    assert await read_feed(good.id, now) == 0  # nothing new
    assert await read_feed(broken.id, now) == 0
    broken = await ListeningFeed.get(id=broken.id)
    assert broken.status == FeedStatus.FAILING and "404" in broken.last_error
    assert broken.next_read_at == now + timedelta(minutes=10)
    await read_feed(broken.id, now)
    assert (await ListeningFeed.get(id=broken.id)).next_read_at == now + timedelta(minutes=20)
