"""Schema extensions: refuse rate-limited or badly authenticated calls, translate errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError, StreamExecutionResult

from api.errors import TopLevelCode, coded_error
from domain.errors import DomainError, Forbidden, NotFound, Unauthenticated

logger = logging.getLogger("kelola.api")


class RequestGuard(SchemaExtension):
    """Stops an operation before it runs when the caller is over its rate limit or
    presented credentials that do not check out (never silently run as anonymous)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        refusal = None
        if getattr(context, "rate_limit", None) is not None and not context.rate_limit.allowed:
            refusal = coded_error(
                TopLevelCode.RATE_LIMITED,
                "Rate limit exceeded; retry later",
                retryAfter=context.rate_limit.retry_after_s,
            )
        elif getattr(context, "credentials_rejected", False):
            refusal = coded_error(
                TopLevelCode.UNAUTHENTICATED, "Invalid, expired or revoked credentials"
            )
        if refusal is not None:
            self.execution_context.result = PreExecutionError(data=None, errors=[refusal])
        yield


def translate_error(error: GraphQLError) -> GraphQLError:
    """Domain exceptions become coded errors; anything unexpected is logged and masked."""
    original = error.original_error
    if error.extensions and "code" in error.extensions:
        return error
    if original is None or isinstance(original, GraphQLError):
        # The document itself was refused: syntax, validation or an abuse limit.
        syntax = error.message.startswith("Syntax Error")
        code = "GRAPHQL_PARSE_FAILED" if syntax else "GRAPHQL_VALIDATION_FAILED"
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            path=error.path,
            extensions={**(error.extensions or {}), "code": code},
        )
    match original:
        case Unauthenticated():
            code, message, extra = TopLevelCode.UNAUTHENTICATED, str(original), {}
        case Forbidden():
            code, message, extra = TopLevelCode.FORBIDDEN, str(original), {}
        case NotFound():
            code, message, extra = TopLevelCode.NOT_FOUND, str(original), {}
        case DomainError():
            problems = [
                {"field": p.field, "code": p.code.value, "message": p.message}
                for p in original.problems
            ]
            code, message, extra = (
                TopLevelCode.BAD_USER_INPUT,
                str(original),
                {"problems": problems},
            )
        case _:
            logger.error("unexpected error in %s", error.path, exc_info=original)
            code, message, extra = TopLevelCode.INTERNAL_SERVER_ERROR, "Unexpected error", {}
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": code.value, **extra},
    )


class ErrorTranslation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result and result.errors:
            result.errors = [translate_error(error) for error in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Websocket results (subscription events and their errors) are sent one by one,
        # before on_operation resumes: translate each on its way out.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [translate_error(error) for error in errors]
        yield
