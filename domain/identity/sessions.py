"""Register, log in, rotate refresh tokens, log out."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from domain.errors import DomainError, ErrorCode, Problem, Problems
from domain.identity.access_tokens import issue_access_token
from domain.identity.models import RefreshToken, User
from domain.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from domain.secrets import new_token, token_hash
from domain.settings import get_settings

_EMAIL_PART = r"[^@\s\x00-\x1f\x7f]+"  # no @, whitespace or control characters
EMAIL_PATTERN = re.compile(rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$")
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Session:
    """What a successful sign-in hands back; the refresh token is shown only here."""

    user: User
    access_token: str
    access_token_expires_in: int
    refresh_token: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(problems: Problems, email: str, field: str = "email") -> None:
    if len(email) > MAX_EMAIL_LENGTH:
        problems.add(field, ErrorCode.TOO_LONG, f"{field} must have at most 254 characters")
    elif not EMAIL_PATTERN.match(email):
        problems.add(field, ErrorCode.INVALID, "Enter a valid email address")


async def register(*, email: str, password: str, name: str) -> Session:
    email = normalize_email(email)
    problems = Problems()
    check_email(problems, email)
    problems.check_length("name", name, maximum=MAX_NAME_LENGTH)
    problems.check_length(
        "password", password, minimum=MIN_PASSWORD_LENGTH, maximum=MAX_PASSWORD_LENGTH
    )
    problems.raise_if_any()
    if await User.exists(email=email):
        raise _email_taken()
    try:
        user = await User.create(
            email=email, name=name.strip(), password_hash=hash_password(password)
        )
    except IntegrityError:  # a concurrent registration won the race
        raise _email_taken() from None
    return await _start_session(user)


def _email_taken() -> DomainError:
    return DomainError(
        [Problem("email", ErrorCode.ALREADY_EXISTS, "An account with this email already exists")]
    )


async def login(*, email: str, password: str) -> Session:
    email = normalize_email(email)
    plausible = len(email) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.match(email)
    user = await User.get_or_none(email=email) if plausible else None
    password_ok = verify_password(
        user.password_hash if user else None, password[:MAX_PASSWORD_LENGTH]
    )
    if user is None or not password_ok:
        raise DomainError(
            [Problem(None, ErrorCode.INVALID_CREDENTIALS, "Email or password is incorrect")]
        )
    return await _start_session(user)


async def _start_session(user: User, family: uuid.UUID | None = None) -> Session:
    refresh_token = new_token()
    await RefreshToken.create(
        user=user,
        family=family or uuid.uuid4(),
        token_hash=token_hash(refresh_token),
        expires_at=datetime.now(UTC) + timedelta(seconds=get_settings().refresh_token_ttl_s),
    )
    access_token, expires_in = issue_access_token(user.id)
    return Session(user, access_token, expires_in, refresh_token)


class RefreshTokenReused(DomainError):
    """A rotated token came back. The caller revokes `family` in its own transaction,
    since the failed unit of work that detected it is rolled back."""

    def __init__(self, family: uuid.UUID):
        super().__init__(_invalid_refresh_token(ErrorCode.TOKEN_REUSED).problems)
        self.family = family


def _invalid_refresh_token(code: ErrorCode = ErrorCode.TOKEN_INVALID) -> DomainError:
    messages = {
        ErrorCode.TOKEN_INVALID: "Refresh token is invalid or revoked",
        ErrorCode.TOKEN_EXPIRED: "Refresh token has expired",
        ErrorCode.TOKEN_REUSED: "Refresh token was already used; every session of it is revoked",
    }
    return DomainError([Problem("refreshToken", code, messages[code])])


async def refresh(*, refresh_token: str) -> Session:
    """Rotate: the presented token dies, a new one of the same family is issued.

    Presenting a token that was already rotated means it leaked (or the client is
    confused): the whole family is revoked, so the thief's chain dies too. The
    conditional update makes two concurrent refreshes of one token a reuse as well.
    """
    now = datetime.now(UTC)
    stored = await RefreshToken.get_or_none(token_hash=token_hash(refresh_token))
    if stored is None or stored.revoked_at is not None:
        raise _invalid_refresh_token()
    if stored.rotated_at is not None:
        raise RefreshTokenReused(stored.family)
    if stored.expires_at <= now:
        raise _invalid_refresh_token(ErrorCode.TOKEN_EXPIRED)
    claimed = await RefreshToken.filter(id=stored.id, rotated_at__isnull=True).update(
        rotated_at=now
    )
    if not claimed:
        raise RefreshTokenReused(stored.family)
    user = await User.get(id=stored.user_id)
    return await _start_session(user, family=stored.family)


async def revoke_family(family: uuid.UUID) -> None:
    await RefreshToken.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=datetime.now(UTC)
    )


async def logout(*, refresh_token: str, user_id: int | None) -> None:
    """Revoke the session the token belongs to; an unknown token is an error."""
    stored = await RefreshToken.get_or_none(token_hash=token_hash(refresh_token))
    if stored is None or (user_id is not None and stored.user_id != user_id):
        raise _invalid_refresh_token()
    await revoke_family(stored.family)


async def purge_expired_refresh_tokens(older_than: datetime) -> int:
    return await RefreshToken.filter(expires_at__lt=older_than).delete()
