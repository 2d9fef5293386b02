"""Typed errors: user errors as data in payloads, top-level errors with `extensions.code`."""

from __future__ import annotations

from enum import StrEnum

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode, name="ErrorCode", description="Why an input was refused."
)


@strawberry.type(description="A problem with the input of a mutation; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault, in camelCase, or null when it is the whole input."
    )
    code: ErrorCode = strawberry.field(description="A stable code to branch on.")
    message: str = strawberry.field(description="A human-readable explanation.")


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(field=problem.field, code=problem.code, message=problem.message)
        for problem in error.problems
    ]


class TopLevelCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def coded_error(code: TopLevelCode, message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extensions})
