"""The sandbox network's search: posts spread evenly over each minute, each returned once
by consecutive windows, deterministic, at the configured rate."""

import random
from datetime import UTC, datetime, timedelta

from domain.platforms.sandbox import network as sandbox_network
from domain.platforms.sandbox.network import MAX_SEARCH_RESULTS, SandboxNetwork
from domain.settings import get_settings

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TERMS = ["kopikita", "kopilain"]


def _network() -> SandboxNetwork:
    return SandboxNetwork(random.Random(1))


async def test_slots_are_spread_evenly_over_the_minute():
    found = await _network().search(["kopikita"], START, START + timedelta(minutes=1), 4)
    assert [item.created_at for item in found] == [
        START + timedelta(seconds=s) for s in (15, 30, 45, 60)
    ]
    odd = await _network().search(["kopikita"], START, START + timedelta(seconds=59), 7)
    offsets = [(item.created_at - START).total_seconds() for item in odd]
    assert len(offsets) == 6
    assert all(abs(offset - k * 60 / 7) < 1e-6 for k, offset in enumerate(offsets, 1))


async def test_one_second_windows_partition_a_minute_exactly():
    per_minute = 200
    whole = await _network().search(TERMS, START, START + timedelta(minutes=1), per_minute)
    assert len(whole) == per_minute * len(TERMS)
    pieces = []
    for second in range(60):
        since = START + timedelta(seconds=second)
        window = await _network().search(TERMS, since, since + timedelta(seconds=1), per_minute)
        assert all(since < item.created_at <= since + timedelta(seconds=1) for item in window)
        pieces += window
    assert pieces == whole
    assert len({item.network_id for item in pieces}) == len(pieces)


async def test_uneven_windows_lose_and_repeat_nothing():
    rng = random.Random(7)
    edges = sorted(START + timedelta(microseconds=rng.randrange(180_000_000)) for _ in range(40))
    edges = [START, *edges, START + timedelta(minutes=3)]
    pieces = []
    for since, until in zip(edges, edges[1:], strict=False):
        pieces += await _network().search(TERMS, since, until, 37)
    assert pieces == await _network().search(TERMS, START, edges[-1], 37)
    assert len(pieces) == 3 * 37 * len(TERMS)


async def test_per_minute_is_respected_and_sorted_in_time():
    for per_minute in (1, 2, 60, 1000):
        found = await _network().search(["kopi"], START, START + timedelta(minutes=3), per_minute)
        assert len(found) == 3 * per_minute
        stamps = [item.created_at for item in found]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


async def test_the_same_window_answers_the_same_posts():
    window = (START - timedelta(minutes=5), START + timedelta(seconds=30))
    first = await _network().search(TERMS, *window, per_minute=12)
    again = await SandboxNetwork(random.Random(99)).search(TERMS, *window, per_minute=12)
    assert first == again
    assert {item.kind for item in first} == {"MENTION"}
    assert all(item.text.endswith(("#kopikita", "#kopilain")) for item in first)
    assert all(item.author_handle and item.author_followers >= 10 for item in first)
    # A post's id, text and author depend on (term, minute, slot), not on the window asked.
    later = await _network().search(TERMS, START, START + timedelta(seconds=30), per_minute=12)
    assert later == [item for item in first if item.created_at > START]


async def test_the_rate_comes_from_the_settings_by_default(monkeypatch):
    assert await _network().search(["kopi"], START, START + timedelta(minutes=1)) != []
    assert len(await _network().search(["kopi"], START, START + timedelta(minutes=1))) == 2
    faster = get_settings().model_copy(update={"sandbox_mentions_per_minute": 30})
    monkeypatch.setattr(sandbox_network, "get_settings", lambda: faster)
    found = await _network().search(["kopi"], START, START + timedelta(minutes=1))
    assert [item.created_at for item in found] == [
        START + timedelta(seconds=2 * k) for k in range(1, 31)
    ]


async def test_a_long_window_is_capped_without_splitting_an_instant():
    terms, end = ["a", "b", "c"], START + timedelta(hours=1)
    found = await _network().search(terms, START, end, 60)  # 10,800 posts in the hour
    assert MAX_SEARCH_RESULTS - len(terms) < len(found) <= MAX_SEARCH_RESULTS
    assert len(found) % len(terms) == 0
    assert found[-1].created_at != found[-len(terms) - 1].created_at
    rest = await _network().search(terms, found[-1].created_at, end, 60)
    assert len(found) + len(rest) == 60 * 60 * len(terms)
    assert len({item.network_id for item in found + rest}) == len(found) + len(rest)
