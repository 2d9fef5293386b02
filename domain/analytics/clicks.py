"""Counting clicks on short links: at most one per link, visitor and hour.

A visitor is a keyed hash of the address and user agent for that hour, so the address is
never stored and two hours of one visitor cannot be linked without the server key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from domain.analytics.links import valid_code
from domain.analytics.models import LinkClick, TrackedLink
from domain.settings import get_settings
from domain.uow import unit_of_work

CLICK_PARAM = "kelola_click"
MAX_AGENT_LENGTH = 1000
# Link-preview fetchers of networks and chat apps open every posted link; they are sent on
# without a click being counted.
_PREVIEW_AGENTS = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|linkedinbot|"
    r"pinterestbot|slackbot|discordbot|telegrambot|whatsapp|skypeuripreview|"
    r"mastodon/|bluesky|cardyb|googlebot|bingbot|applebot|embedly|redditbot|iframely",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Redirect:
    location: str
    click_ref: str | None  # None: nothing counted (a link preview, a HEAD request)


def _visitor_key() -> bytes:
    secret = get_settings().jwt_secret.encode()
    return hmac.new(secret, b"kelola:link-visitor:v1", hashlib.sha256).digest()


def visitor_hash(address: str, user_agent: str, hour: datetime) -> str:
    message = "\n".join((address, user_agent[:MAX_AGENT_LENGTH], hour.isoformat()))
    return hmac.new(_visitor_key(), message.encode(), hashlib.sha256).hexdigest()


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def with_click(destination: str, click_ref: str) -> str:
    """The destination with `kelola_click` set to this click (replacing one in the URL)."""
    parts = urlsplit(destination)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.partition("=")[0]) != CLICK_PARAM
    ]
    kept.append(urlencode([(CLICK_PARAM, click_ref)]))
    return urlunsplit(parts._replace(query="&".join(kept)))


def is_preview(user_agent: str) -> bool:
    return bool(_PREVIEW_AGENTS.search(user_agent))


async def _count(link: TrackedLink, visitor: str, hour: datetime, now: datetime) -> str:
    """The click's ref: a new counted click, or the one this visitor made this hour."""
    async with unit_of_work():
        while True:
            click_ref = secrets.token_urlsafe(18)
            try:
                async with unit_of_work():  # a savepoint: the conflict must not abort the rest
                    await LinkClick.create(
                        workspace_id=link.workspace_id,
                        link_id=link.id,
                        visitor_hash=visitor,
                        hour=hour,
                        click_ref=click_ref,
                        clicked_at=now,
                    )
            except IntegrityError:
                earlier = await LinkClick.get_or_none(
                    link_id=link.id, visitor_hash=visitor, hour=hour
                )
                if earlier is not None:
                    return earlier.click_ref
                continue  # the ref collided with another click: draw again
            await TrackedLink.filter(id=link.id).update(clicks=F("clicks") + 1)
            return click_ref


async def follow(
    code: str,
    *,
    client_address: str,
    user_agent: str,
    now: datetime,
    count: bool = True,
) -> Redirect | None:
    """Where `/l/{code}` sends a visitor, counting the click; None for an unknown code.

    Public: the code is all the visitor has, so the link is looked up by code alone."""
    if not valid_code(code):
        return None
    link = await TrackedLink.get_or_none(code=code)
    if link is None:
        return None
    if not count or is_preview(user_agent):
        return Redirect(link.destination, None)
    hour = hour_of(now)
    click_ref = await _count(link, visitor_hash(client_address, user_agent, hour), hour, now)
    return Redirect(with_click(link.destination, click_ref), click_ref)
