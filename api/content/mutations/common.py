"""The shape every post mutation shares: one unit of work, typed errors, the report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from api.content.payloads import PostPayload
from api.content.types import Post, ValidationReport
from api.errors import user_errors
from domain.content import models
from domain.content.scheduling import RulesViolated, Scheduled
from domain.errors import DomainError
from domain.uow import unit_of_work

INPUT = "The fields of this mutation."


async def post_mutation(action: Callable[[], Awaitable[models.Post | Scheduled]]) -> PostPayload:
    try:
        async with unit_of_work():
            result = await action()
    except RulesViolated as violated:
        return PostPayload(
            errors=user_errors(violated), validation=ValidationReport.from_report(violated.report)
        )
    except DomainError as error:
        return PostPayload(errors=user_errors(error))
    if isinstance(result, Scheduled):  # scheduled: the report still carries the warnings
        return PostPayload(
            post=Post.from_model(result.post),
            validation=ValidationReport.from_report(result.report),
        )
    return PostPayload(post=Post.from_model(result))
