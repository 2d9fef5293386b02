"""Which accounts a network login reaches, each with the credentials it will act with.

Most logins reach one account (X, Mastodon, a LinkedIn member, a Pinterest account with a
chosen board). A Facebook login reaches every Page the member manages, an Instagram one
every professional account linked to those Pages, a LinkedIn organization login every page
the member administers, and a Pinterest account without a chosen board every board: each
is a `Candidate`, and `key` is what a member picks it by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.channels.oauth import ConnectErrorCode, ConnectFailure, name_of
from domain.platforms.base import (
    Account,
    AuthExpired,
    Credentials,
    Platform,
    Provider,
    ProviderError,
    Rejected,
)
from domain.secrets import decrypt, encrypt

# The network refused (a token it does not accept, a permission missing): retrying the same
# login will not help. Other failures (rate limits, timeouts, 5xx) may pass.
_REFUSALS = (AuthExpired, Rejected)


@dataclass(frozen=True)
class Candidate:
    key: str
    account: Account
    credentials: Credentials = field(repr=False)
    detail: str | None = None


def key_of(platform: Platform, external_account_id: str, extra: dict[str, Any]) -> str:
    """A connected channel's key: its board for Pinterest, else its account."""
    if platform == Platform.PINTEREST and extra.get("board_id"):
        return str(extra["board_id"])
    return external_account_id


async def discover(
    platform: Platform, provider: Provider, credentials: Credentials, facts: dict[str, Any]
) -> list[Candidate]:
    """The accounts the login reaches; network failures become ConnectFailure."""
    try:
        found = await _discover(platform, provider, credentials, facts)
    except ProviderError as error:
        retryable = not isinstance(error, _REFUSALS)
        raise ConnectFailure(
            ConnectErrorCode.NETWORK_UNAVAILABLE if retryable else ConnectErrorCode.NETWORK_REFUSED,
            f"{name_of(platform)} did not list the account: {_short(error)}",
        ) from None
    if not found:
        raise ConnectFailure(ConnectErrorCode.NO_ACCOUNTS, _nothing_found(platform, facts))
    return found


async def _discover(
    platform: Platform, provider: Provider, credentials: Credentials, facts: dict[str, Any]
) -> list[Candidate]:
    match platform:
        case Platform.FACEBOOK:
            pairs = await provider.list_pages(credentials)  # type: ignore[attr-defined]
            return [Candidate(account.external_id, account, creds) for account, creds in pairs]
        case Platform.INSTAGRAM:
            pairs = await provider.list_accounts(credentials)  # type: ignore[attr-defined]
            return [Candidate(account.external_id, account, creds) for account, creds in pairs]
        case Platform.LINKEDIN if str(facts.get("kind", "")).upper() == "ORGANIZATION":
            pairs = await provider.list_organizations(credentials)  # type: ignore[attr-defined]
            return [Candidate(account.external_id, account, creds) for account, creds in pairs]
        case Platform.PINTEREST:
            return await _pinterest(provider, credentials, facts)
        case Platform.MASTODON:
            credentials.extra["instance_url"] = facts["instance_url"]
            account = await provider.fetch_account(credentials)
            credentials.extra["account_id"] = account.external_id
        case Platform.X:
            account = await provider.fetch_account(credentials)
            credentials.extra.update(user_id=account.external_id, username=account.handle)
        case Platform.LINKEDIN:
            account = await provider.fetch_account(credentials)
            credentials.extra["author_urn"] = account.external_id
        case _:
            account = await provider.fetch_account(credentials)
    return [Candidate(account.external_id, account, credentials)]


async def _pinterest(
    provider: Provider, credentials: Credentials, facts: dict[str, Any]
) -> list[Candidate]:
    account = await provider.fetch_account(credentials)
    boards = await provider.list_boards(credentials)  # type: ignore[attr-defined]
    wanted = facts.get("board_id")
    return [
        Candidate(
            board.id,
            account,
            Credentials(
                credentials.access_token,
                credentials.refresh_token,
                credentials.expires_at,
                {**credentials.extra, "board_id": board.id, "user_id": account.external_id},
            ),
            f"Board: {board.name}",
        )
        for board in boards
        if not wanted or board.id == wanted
    ]


def _nothing_found(platform: Platform, facts: dict[str, Any]) -> str:
    match platform:
        case Platform.FACEBOOK:
            return "The login grants no Facebook Page this member can publish to"
        case Platform.INSTAGRAM:
            return "No Instagram professional account is linked to the Pages this login grants"
        case Platform.LINKEDIN:
            return "This LinkedIn member administers no organization page"
        case Platform.PINTEREST if facts.get("board_id"):
            return "The Pinterest account has no board with the id given"
        case Platform.PINTEREST:
            return "The Pinterest account has no board to pin to: create one first"
    return f"{name_of(platform)} named no account for this login"


def seal(candidates: list[Candidate]) -> str:
    """The candidates with their credentials, encrypted, to wait for the member's choice."""
    return encrypt(json.dumps([_to_json(candidate) for candidate in candidates]))


def unseal(sealed: str | None) -> list[Candidate]:
    raw = decrypt(sealed) if sealed else None
    return [_from_json(item) for item in json.loads(raw)] if raw else []


def _to_json(candidate: Candidate) -> dict[str, Any]:
    account, credentials = candidate.account, candidate.credentials
    return {
        "key": candidate.key,
        "detail": candidate.detail,
        "account": [account.external_id, account.name, account.handle],
        "credentials": {
            "access_token": credentials.access_token,
            "refresh_token": credentials.refresh_token,
            "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
            "extra": credentials.extra,
        },
    }


def _from_json(item: dict[str, Any]) -> Candidate:
    stored = item["credentials"]
    expires_at = stored.get("expires_at")
    return Candidate(
        item["key"],
        Account(*item["account"]),
        Credentials(
            access_token=stored["access_token"],
            refresh_token=stored.get("refresh_token"),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
            extra=stored.get("extra") or {},
        ),
        item.get("detail"),
    )


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:200]
