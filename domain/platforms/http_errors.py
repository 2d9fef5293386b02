"""One classification of HTTP failures into the ProviderError classes, shared by adapters.

The question every failure must answer is what the publisher may do next, and for a
non-idempotent publishing request that hinges on whether the request may have reached the
network: a refused connection or an exhausted pool never left this process (retry freely),
while a read timeout, a dropped connection or a 5xx answer may follow a stored post (ask
the network before retrying). Read-only requests can always be retried, so their timeouts
and 5xx answers are transient.

Usage from an adapter:

    response = await send(client, "POST", url, network="X", publishing=True, json=body)
    raise_for_status(response, network="X", publishing=True)

Adapters with network-specific signals (Facebook's `x-app-usage`, Bluesky's `ExpiredToken`
on a 400, ...) inspect the response first and pass `auth_expired=True` or `retry_at=` to
`classify_response`. Messages carry the network's own error text and the status, never the
URL (some networks put tokens in query strings) or any header.

`download_media` fetches a post's media from Kelola's public URL for networks that take
uploads; its failures are the media host's, so they are never the channel's AuthExpired.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    ProviderError,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)

DEFAULT_RETRY_AFTER = timedelta(seconds=60)
MAX_MESSAGE_LENGTH = 300

# Raised before any byte of the request reached the network.
_NEVER_SENT: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)
# Header names that carry a reset moment, most specific first. X sends epoch seconds in
# `x-rate-limit-reset`, Mastodon an ISO 8601 time in `x-ratelimit-reset`, Bluesky epoch
# seconds in `ratelimit-reset` (the IETF draft uses delta seconds there), and many
# networks a standard `retry-after` (delta seconds or an HTTP date).
_RESET_HEADERS = ("retry-after", "x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
# Numbers below this are delta seconds, above it epoch seconds (2001-09-09).
_EPOCH_THRESHOLD = 1_000_000_000


def classify_exception(error: httpx.HTTPError, *, network: str, publishing: bool) -> ProviderError:
    """The ProviderError for a transport failure raised by httpx."""
    kind = type(error).__name__
    if isinstance(error, _NEVER_SENT):
        return TransientBeforeSend(f"{network}: request not sent ({kind})")
    if publishing:
        return Ambiguous(f"{network}: no answer after sending ({kind}); the post may exist")
    return TransientBeforeSend(f"{network}: request failed ({kind})")


def classify_response(
    response: httpx.Response,
    *,
    network: str,
    publishing: bool,
    message: str | None = None,
    auth_expired: bool = False,
    retry_at: datetime | None = None,
    now: datetime | None = None,
) -> ProviderError | None:
    """The ProviderError for a failed answer, or None for a 2xx/3xx one.

    `message` overrides the text found in the body; `auth_expired` marks a network's own
    invalid-token signal on a non-401 status; `retry_at` marks a network's own rate-limit
    signal (then a RateLimited is returned whatever the status).
    """
    status = response.status_code
    text = _describe(network, status, message or error_message(response))
    if retry_at is not None:
        return RateLimited(text, retry_at=retry_at, status=status)
    if response.is_success or response.is_redirect:
        return None
    if auth_expired or status == 401:
        return AuthExpired(text, status=status)
    if status == 429:
        return RateLimited(text, retry_at=reset_time(response.headers, now=now), status=status)
    if status == 408:
        return TransientBeforeSend(text, status=status)
    if status >= 500:
        if publishing:
            return Ambiguous(text, status=status)
        return TransientBeforeSend(text, status=status)
    return Rejected(text, status=status)


def raise_for_status(
    response: httpx.Response, *, network: str, publishing: bool, **hints: Any
) -> httpx.Response:
    """Return the response when it succeeded, else raise its ProviderError."""
    error = classify_response(response, network=network, publishing=publishing, **hints)
    if error is not None:
        raise error
    return response


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    network: str,
    publishing: bool,
    **kwargs: Any,
) -> httpx.Response:
    """`client.request` with transport failures turned into ProviderErrors; the answer is
    returned unexamined so the caller can look for network-specific signals first."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise classify_exception(error, network=network, publishing=publishing) from None


async def download_media(
    client: httpx.AsyncClient,
    url: str,
    *,
    network: str,
    max_bytes: int,
    transfer_timeout: httpx.Timeout | None = None,
) -> tuple[bytes, str | None]:
    """The bytes and content type of a media file Kelola serves at a public URL, for networks
    that take uploads rather than URLs. The file is Kelola's, not the network's, so a refusal
    is never the channel's AuthExpired: a missing or oversized file is Rejected, anything
    else transient."""
    try:
        timeout = transfer_timeout or httpx.USE_CLIENT_DEFAULT
        async with client.stream("GET", url, timeout=timeout) as answer:
            if answer.status_code == 429:
                raise RateLimited(
                    f"{network}: media host is rate limiting", retry_at=reset_time(answer.headers)
                )
            if answer.status_code >= 500 or answer.status_code == 408:
                raise TransientBeforeSend(
                    f"{network}: media host answered HTTP {answer.status_code}",
                    status=answer.status_code,
                )
            if not answer.is_success:
                raise Rejected(
                    f"{network}: media file unavailable (HTTP {answer.status_code})",
                    status=answer.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in answer.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise Rejected(f"{network}: media file exceeds {max_bytes} bytes")
                chunks.append(chunk)
            content_type = answer.headers.get("content-type")
    except httpx.HTTPError as error:
        raise classify_exception(error, network=network, publishing=False) from None
    return b"".join(chunks), content_type.split(";")[0].strip() if content_type else None


def reset_time(
    headers: httpx.Headers | dict[str, str],
    *,
    now: datetime | None = None,
    default: timedelta = DEFAULT_RETRY_AFTER,
) -> datetime:
    """When a rate-limited caller may come back, from whichever reset header is present;
    `default` from now when none is (LinkedIn answers 429 without any)."""
    now = now or datetime.now(UTC)
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in _RESET_HEADERS:
        value = lowered.get(name)
        if value:
            parsed = parse_reset(value, now=now)
            if parsed is not None:
                return max(parsed, now)
    return now + default


def parse_reset(value: str, *, now: datetime) -> datetime | None:
    """A reset header value as a moment: delta seconds, epoch seconds, ISO 8601 or an HTTP
    date; None when it is none of those."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number >= _EPOCH_THRESHOLD:
            return datetime.fromtimestamp(number, UTC)
        return now + timedelta(seconds=max(number, 0))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def error_message(response: httpx.Response) -> str:
    """The network's own error text from the common JSON error shapes, else the reason."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "error"
    return _message_from(body) or response.reason_phrase or "error"


def _message_from(body: Any) -> str | None:
    """Handles X ({"errors": [{"message"}], "detail"}), Mastodon ({"error"}), AT Protocol
    ({"error", "message"}), Graph API ({"error": {"message"}}) and LinkedIn/Pinterest
    ({"message"}) error bodies."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return _message_from(error)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        texts = [_message_from(item) for item in errors]
        if joined := "; ".join(text for text in texts if text):
            return joined
    for key in ("message", "detail", "error_description"):
        if isinstance(body.get(key), str) and body[key]:
            prefix = f"{error}: " if isinstance(error, str) and error != body[key] else ""
            return prefix + body[key]
    if isinstance(error, str):
        return error
    if isinstance(body.get("title"), str):
        return body["title"]
    return None


def _describe(network: str, status: int, message: str) -> str:
    message = " ".join(message.split())[:MAX_MESSAGE_LENGTH]
    return f"{network}: HTTP {status}: {message}"
