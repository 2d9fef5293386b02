"""Errors the domain raises. Expected ones become typed errors in the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_SHORT = "TOO_SHORT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REUSED = "TOKEN_REUSED"
    LAST_OWNER = "LAST_OWNER"
    NOT_ALLOWED = "NOT_ALLOWED"
    RULE_VIOLATED = "RULE_VIOLATED"
    NEEDS_APPROVAL = "NEEDS_APPROVAL"
    NETWORK_ERROR = "NETWORK_ERROR"
    TOO_LARGE = "TOO_LARGE"
    IN_USE = "IN_USE"
    SIZE_MISMATCH = "SIZE_MISMATCH"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    RANGE_TOO_LONG = "RANGE_TOO_LONG"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which field, a stable code, and words for people."""

    field: str | None
    code: ErrorCode
    message: str


class DomainError(Exception):
    """An expected failure; the transaction it happened in is rolled back."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class ValidationFailed(DomainError):
    pass


class NotFound(DomainError):
    """Missing, or belongs to a workspace the actor cannot see: the two look the same."""

    def __init__(self, what: str, field: str | None = "id"):
        super().__init__([Problem(field, ErrorCode.NOT_FOUND, f"{what} not found")])


class Unauthenticated(Exception):
    """No valid credentials; a top-level error with code UNAUTHENTICATED."""

    def __init__(self, message: str = "Authentication required"):
        super().__init__(message)


class Forbidden(Exception):
    """Authenticated, but the role or key scope does not allow it; code FORBIDDEN."""

    def __init__(self, message: str = "You are not allowed to do this"):
        super().__init__(message)


class Problems:
    """Collects every problem with an input before raising, so callers see them all."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.items.append(Problem(field, code, message))

    def check_length(self, field: str, value: str, *, minimum: int = 1, maximum: int) -> None:
        """Length bounds, and no NUL character (PostgreSQL cannot store one in text)."""
        if "\x00" in value:
            self.add(field, ErrorCode.INVALID, f"{field} must not contain NUL characters")
        elif len(value.strip()) < minimum:
            code = ErrorCode.REQUIRED if minimum == 1 else ErrorCode.TOO_SHORT
            self.add(field, code, f"{field} must have at least {minimum} characters")
        elif len(value) > maximum:
            self.add(field, ErrorCode.TOO_LONG, f"{field} must have at most {maximum} characters")

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)
