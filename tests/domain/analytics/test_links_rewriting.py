"""URLs of a post become tracked short links when it is published (through the sandbox)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from domain.analytics.models import AnalyticsSettings, TrackedLink
from domain.content.models import Post, PostTarget, TargetStatus
from domain.platforms.sandbox.models import SandboxAccount, SandboxPost
from domain.publishing import publisher
from domain.publishing.publisher import publish_target
from domain.strategy.models import Campaign
from tests.domain.publishing.conftest import world  # noqa: F401 - the publishing fixture

SHORT = re.compile(r"http://127\.0\.0\.1:8000/l/([A-Za-z0-9]{8})")
BODY = "Kopi susu is back: https://kopi.example/menu?ref=bio. Order at https://shop.example/kopi!"


async def _published(target: PostTarget) -> SandboxPost:
    assert (await publish_target(target.id)).status == TargetStatus.PUBLISHED
    return await SandboxPost.get(reference=publisher.reference(target))


async def _with_link(target: PostTarget, link: str) -> None:
    await Post.filter(id=target.post_id).update(link=link)


async def test_urls_in_the_text_and_the_link_become_short_links(world):  # noqa: F811
    channel = await world.channel()
    target = await world.due_target(channel, BODY)
    await _with_link(target, "https://kopi.example/menu?ref=bio")
    sent = await _published(target)
    codes = SHORT.findall(sent.text)
    assert len(codes) == 2
    assert sent.text == (
        f"Kopi susu is back: http://127.0.0.1:8000/l/{codes[0]}. "
        f"Order at http://127.0.0.1:8000/l/{codes[1]}!"
    )
    # The post's link is the same URL as the first one in the text: the same short link.
    assert sent.link == f"http://127.0.0.1:8000/l/{codes[0]}"
    links = {link.code: link for link in await TrackedLink.all()}
    assert set(links) == set(codes)
    menu = links[codes[0]]
    assert menu.original_url == "https://kopi.example/menu?ref=bio"
    assert (menu.target_id, menu.post_id, menu.channel_id) == (
        target.id,
        target.post_id,
        channel.id,
    )
    assert parse_qsl(urlsplit(menu.destination).query) == [
        ("ref", "bio"),
        ("utm_source", "sandbox"),
        ("utm_medium", "social"),
        ("utm_campaign", "kelola"),
        ("utm_content", f"post-{target.post_id}"),
    ]


async def test_every_attempt_sends_the_same_short_links(world):  # noqa: F811
    channel = await world.channel(server_error_before=1.0)
    target = await world.due_target(channel, BODY)
    assert (await publish_target(target.id)).status == TargetStatus.SCHEDULED
    first = await publisher._request(await PostTarget.get(id=target.id))
    assert len(SHORT.findall(first.text)) == 2
    assert await TrackedLink.all().count() == 2
    assert (await publisher._request(await PostTarget.get(id=target.id))).text == first.text
    await SandboxAccount.all().update(failure_rates={})
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    sent = await _published(target)
    assert sent.text == first.text
    assert await TrackedLink.all().count() == 2


async def test_concurrent_first_requests_agree_on_the_links(world):  # noqa: F811
    channel = await world.channel()
    target = await world.due_target(channel, BODY)
    loaded = await PostTarget.get(id=target.id)
    requests = await asyncio.gather(*(publisher._request(loaded) for _ in range(5)))
    assert len({request.text for request in requests}) == 1
    assert len(SHORT.findall(requests[0].text)) == 2
    assert await TrackedLink.all().count() == 2


async def test_tracking_off_sends_the_text_unchanged(world):  # noqa: F811
    await AnalyticsSettings.create(workspace_id=world.workspace_id, track_links=False)
    channel = await world.channel()
    target = await world.due_target(channel, BODY)
    await _with_link(target, "https://kopi.example/")
    sent = await _published(target)
    assert sent.text == BODY and sent.link == "https://kopi.example/"
    assert await TrackedLink.all().count() == 0


async def test_links_made_by_an_earlier_attempt_stay_when_tracking_is_turned_off(world):  # noqa: F811
    channel = await world.channel(server_error_before=1.0)
    target = await world.due_target(channel, BODY)
    await publish_target(target.id)
    first = await publisher._request(await PostTarget.get(id=target.id))
    await AnalyticsSettings.create(workspace_id=world.workspace_id, track_links=False)
    await SandboxAccount.all().update(failure_rates={})
    await PostTarget.filter(id=target.id).update(next_attempt_at=datetime.now(UTC))
    assert (await _published(target)).text == first.text


async def test_a_send_of_unknown_outcome_without_links_keeps_its_urls(world):  # noqa: F811
    """Sent with tracking off, outcome unknown, tracking turned on before the check: the
    network is searched for (and, if missing, sent) the text as it went out the first time."""
    await AnalyticsSettings.create(workspace_id=world.workspace_id, track_links=False)
    channel = await world.channel(timeout=1.0)
    target = await world.due_target(channel, BODY)
    assert (await publish_target(target.id)).status == TargetStatus.UNCONFIRMED
    await AnalyticsSettings.filter(workspace_id=world.workspace_id).update(track_links=True)
    again = await publisher._request(await PostTarget.get(id=target.id))
    assert again.text == BODY
    assert await TrackedLink.all().count() == 0


async def test_each_target_gets_its_own_links_and_the_campaign(world):  # noqa: F811
    launch = await Campaign.create(workspace_id=world.workspace_id, name="Kopi Launch")
    one, two = await world.channel(), await world.channel()
    target = await world.due_target(one, "Menu: https://kopi.example/menu")
    await Post.filter(id=target.post_id).update(campaign_id=launch.id)
    other = await PostTarget.create(
        workspace_id=world.workspace_id,
        post_id=target.post_id,
        channel_id=two.id,
        status=TargetStatus.SCHEDULED,
        scheduled_at=target.scheduled_at,
        next_attempt_at=target.next_attempt_at,
    )
    texts = [(await _published(t)).text for t in (target, other)]
    assert texts[0] != texts[1]
    links = await TrackedLink.all().order_by("id")
    assert [link.target_id for link in links] == [target.id, other.id]
    assert all(link.campaign_id == launch.id for link in links)
    assert all("utm_campaign=kopi-launch" in link.destination for link in links)


async def test_what_is_left_alone(world):  # noqa: F811
    channel = await world.channel()
    too_long = "https://kopi.example/" + "a" * 2100
    own = "http://127.0.0.1:8000/l/Abcd1234"
    body = (
        f"Same twice https://k.example/a and https://k.example/a, {own} {too_long} ftp://x.example"
    )
    target = await world.due_target(channel, body)
    sent = await _published(target)
    code = (await TrackedLink.get()).code
    short = f"http://127.0.0.1:8000/l/{code}"
    assert sent.text == f"Same twice {short} and {short}, {own} {too_long} ftp://x.example"


async def test_text_that_would_no_longer_fit_keeps_its_urls(world):  # noqa: F811
    channel = await world.channel()
    body = "x" * 980 + " http://a.co/b"  # 995 of the sandbox's 1,000 characters
    target = await world.due_target(channel, body)
    await _with_link(target, "http://a.co/b")
    sent = await _published(target)
    assert sent.text == body
    # The link field does not count towards the text: it is still tracked.
    assert SHORT.fullmatch(sent.link)
