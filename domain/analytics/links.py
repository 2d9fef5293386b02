"""Tracked links: short codes that redirect to a destination carrying UTM parameters.

Links are made by members (`create_link`) or by the publisher, which rewrites every URL of
a target's text and link into a short link of that target (`track_request`).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from domain.analytics.models import Conversion, TrackedLink
from domain.analytics.options import options_for
from domain.channels.models import Channel
from domain.content.models import Post, PostTarget, PublishAttempt
from domain.content.rules import RULES
from domain.content.text import URL_PATTERN, length
from domain.errors import ErrorCode, Problem, Problems
from domain.identity.roles import Permission
from domain.pagination import Page, paginate
from domain.settings import get_settings
from domain.strategy.models import Campaign
from domain.tenancy import Actor, readable_row, visible_by_ids, visible_to, workspace_for
from domain.uow import unit_of_work

CODE_LENGTH = 8
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")
CODE_ATTEMPTS = 5
MAX_URL_LENGTH = 2048
DEFAULT_UTM = "kelola"
UTM_MEDIUM = "social"
MAX_SLUG_LENGTH = 100
AMBIGUOUS_OUTCOME = "UNKNOWN"  # the publisher's attempt-log outcome when a send may have arrived


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def short_url(code: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/l/{code}"


def slug(name: str) -> str:
    """`Ramadan Sale 2027!` → `ramadan-sale-2027`; letters of any script are kept."""
    words = re.sub(r"[\W_]+", "-", name.strip().lower()).strip("-")
    return words[:MAX_SLUG_LENGTH].strip("-")


def url_problem(url: str) -> tuple[ErrorCode, str] | None:
    """Why `url` cannot be tracked, or None: http(s) with a host, at most 2,048 chars."""
    if len(url) > MAX_URL_LENGTH:
        return ErrorCode.TOO_LONG, f"url must have at most {MAX_URL_LENGTH:,} characters"
    if not url.strip():
        return ErrorCode.REQUIRED, "url is required"
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return ErrorCode.INVALID, "url must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return ErrorCode.INVALID, "url is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ErrorCode.INVALID, "url must be an http(s) URL with a host"
    return None


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """`url` with `params` appended to its query, the existing query kept byte for byte and
    the fragment kept last."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def destination_for(
    url: str, *, source: str | None, campaign: str | None, post_id: int | None
) -> str:
    """The URL with UTM parameters added; any utm_* already in the URL is the user's choice
    and is never overridden."""
    present = {key.lower() for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    wanted = [
        ("utm_source", (source or "").lower() or DEFAULT_UTM),
        ("utm_medium", UTM_MEDIUM),
        ("utm_campaign", slug(campaign or "") or DEFAULT_UTM),
    ]
    if post_id is not None:
        wanted.append(("utm_content", f"post-{post_id}"))
    return with_query(url, [(key, value) for key, value in wanted if key not in present])


async def _insert(**fields: object) -> TrackedLink:
    """Create a link under a fresh code, drawing again on the (unlikely) code collision.
    IntegrityError from any other constraint propagates."""
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        try:
            async with unit_of_work():  # a savepoint: a collision must not abort the caller
                return await TrackedLink.create(code=code, **fields)
        except IntegrityError:
            if not await TrackedLink.exists(code=code):
                raise
    raise RuntimeError("could not draw an unused link code")


# linkCreate


@dataclass(frozen=True)
class LinkDraft:
    url: str
    post_id: int | None = None
    channel_id: int | None = None
    campaign_id: int | None = None
    problems: tuple[Problem, ...] = ()  # what translating the input already found


async def create_link(actor: Actor, *, workspace_id: int, draft: LinkDraft) -> TrackedLink:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    problems = Problems()
    problems.items.extend(draft.problems)
    problem = url_problem(draft.url)
    if problem is not None:
        problems.add("url", *problem)

    async def owned(model, row_id: int | None, field: str, what: str):
        if row_id is None:
            return None
        row = await visible_to(actor, model).get_or_none(id=row_id, workspace_id=workspace.id)
        if row is None:  # missing and foreign look the same
            problems.add(field, ErrorCode.NOT_FOUND, f"{what} not found")
        return row

    post = await owned(Post, draft.post_id, "postId", "post")
    channel = await owned(Channel, draft.channel_id, "channelId", "channel")
    campaign = await owned(Campaign, draft.campaign_id, "campaignId", "campaign")
    problems.raise_if_any()
    if campaign is None and post is not None and post.campaign_id is not None:
        campaign = await visible_to(actor, Campaign).get_or_none(id=post.campaign_id)
    destination = destination_for(
        draft.url,
        source=channel.platform.value if channel else None,
        campaign=campaign.name if campaign else None,
        post_id=post.id if post else None,
    )
    return await _insert(
        workspace_id=workspace.id,
        original_url=draft.url,
        destination=destination,
        post_id=post.id if post else None,
        channel_id=channel.id if channel else None,
        campaign_id=campaign.id if campaign else None,
        created_by_id=actor.user_id,
    )


# reads


async def list_links(
    actor: Actor,
    workspace_id: int,
    *,
    post_id: int | None = None,
    first: int | None,
    after: str | None,
) -> Page[TrackedLink]:
    workspace = await workspace_for(actor, workspace_id, Permission.ANALYTICS_READ)
    rows = visible_to(actor, TrackedLink).filter(workspace_id=workspace.id)
    if post_id is not None:
        rows = rows.filter(post_id=post_id)
    return await paginate(rows, first=first, after=after)


async def get_link(actor: Actor, link_id: int) -> TrackedLink | None:
    return await readable_row(actor, TrackedLink, link_id, Permission.ANALYTICS_READ)


async def links_by_ids(actor: Actor, ids: Sequence[int]) -> list[TrackedLink | None]:
    return await visible_by_ids(actor, TrackedLink, ids)


async def conversion_counts_by_link_ids(actor: Actor, ids: Sequence[int]) -> list[int]:
    """How many conversions each link was credited with, in one GROUP BY."""
    counts = dict(
        await visible_to(actor, Conversion)
        .filter(link_id__in=list(set(ids)))
        .annotate(count=Count("id"))
        .group_by("link_id")
        .values_list("link_id", "count")
    )
    return [counts.get(link_id, 0) for link_id in ids]


# Rewriting at publish time


def _trackable(url: str) -> bool:
    own = short_url("")
    return url_problem(url) is None and not url.startswith(own)


def _rewritten(text: str, short: dict[str, str]) -> str:
    return URL_PATTERN.sub(lambda match: short.get(match.group(0), match.group(0)), text)


def _fits(text: str, original: str, platform: str) -> bool:
    """Whether rewritten text still fits the network's limit (if the original did): a short
    link can be longer than a short original URL, and the post was validated before."""
    rules = RULES.get(platform)
    if rules is None:
        return True
    limit = rules.text_limit
    return length(text, rules.counting) <= limit or length(original, rules.counting) > limit


async def _target_links(
    target: PostTarget, post: Post, platform: str, urls: list[str]
) -> dict[str, TrackedLink]:
    """Get or create the target's link of each URL; a concurrent creator wins the race and
    its row is read back, so every attempt sees the same codes."""
    found = {
        link.original_url: link
        for link in await TrackedLink.filter(target_id=target.id, original_url__in=urls)
    }
    missing = [url for url in urls if url not in found]
    if not missing:
        return found
    campaign = None
    if post.campaign_id is not None:
        campaign = await Campaign.get_or_none(id=post.campaign_id, workspace_id=post.workspace_id)
    for url in missing:
        try:
            found[url] = await _insert(
                workspace_id=target.workspace_id,
                original_url=url,
                destination=destination_for(
                    url,
                    source=platform,
                    campaign=campaign.name if campaign else None,
                    post_id=post.id,
                ),
                post_id=post.id,
                target_id=target.id,
                channel_id=target.channel_id,
                campaign_id=campaign.id if campaign else None,
            )
        except IntegrityError:
            found[url] = await TrackedLink.get(target_id=target.id, original_url=url)
    return found


async def _tracks(target: PostTarget) -> bool:
    if await TrackedLink.exists(target_id=target.id):
        return True
    if not (await options_for(target.workspace_id)).track_links:
        return False
    return not await PublishAttempt.exists(target_id=target.id, outcome=AMBIGUOUS_OUTCOME)


async def track_request(
    target: PostTarget, post: Post, text: str, link: str | None
) -> tuple[str, str | None]:
    """The target's text and link with every http(s) URL replaced by a short link of this
    target, when the workspace tracks links. The links are committed here, before anything
    is sent.

    Every attempt sends the same text (retries, and recognising an ambiguous send on the
    network by its text, rely on it): once a target has links they are used even if
    tracking was turned off since, and a target sent with its URLs as written while the
    outcome is unknown keeps them even if tracking was turned on since."""
    urls = [match.group(0) for match in URL_PATTERN.finditer(text)]
    if link:
        urls.append(link)
    urls = [url for url in dict.fromkeys(urls) if _trackable(url)]
    if not urls or not await _tracks(target):
        return text, link
    channel = target.channel if isinstance(target.channel, Channel) else None
    channel = channel or await Channel.get(id=target.channel_id)
    platform = channel.platform.value
    # Decide with a stand-in of the same length first, so no link is made for nothing.
    stand_in = {url: short_url("x" * CODE_LENGTH) for url in urls}
    rewrite_text = _fits(_rewritten(text, stand_in), text, platform)
    if not rewrite_text:
        urls = [url for url in urls if url == link]
        if not urls:
            return text, link
    async with unit_of_work():
        links = await _target_links(target, post, platform, urls)
    short = {url: short_url(row.code) for url, row in links.items()}
    new_text = _rewritten(text, short) if rewrite_text else text
    return new_text, short.get(link, link) if link else link


def valid_code(code: str) -> bool:
    """Whether `code` could be a link code at all (checked before any query)."""
    return bool(CODE_PATTERN.match(code))
