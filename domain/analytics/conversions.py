"""Conversions partners report: checked, made idempotent, credited to the last click.

A report carries an idempotency key. The same key with the same (normalised) report
returns the conversion recorded the first time and writes nothing; the same key with a
different report is refused. Attribution is last click: of the clicks the partner saw
(`kelola_click` values), the latest in this workspace within the attribution window
before the conversion; a report with only a link code is credited to that link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError

from domain.analytics.currencies import normalised_currency
from domain.analytics.models import Conversion, ConversionSource, LinkClick, TrackedLink
from domain.analytics.options import options_for
from domain.content.models import PostTarget
from domain.errors import DomainError, ErrorCode, Problem, Problems
from domain.identity.roles import Permission
from domain.pagination import Page, paginate
from domain.secrets import constant_time_equal
from domain.settings import get_settings
from domain.tenancy import Actor, readable_row, visible_by_ids, visible_to, workspace_for
from domain.uow import unit_of_work

MAX_KEY_LENGTH = 128
MAX_CLICK_REFS = 20
MAX_CLICK_REF_LENGTH = 32
MAX_LINK_CODE_LENGTH = 16
MAX_CUSTOMER_ID_LENGTH = 200
MAX_ORDER_ID_LENGTH = 200
MAX_VALUE = Decimal(10) ** 13
VALUE_PLACES = Decimal("0.0001")
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=400)


@dataclass(frozen=True)
class ConversionReport:
    """A conversion as the partner sent it, not yet checked. `value` and `occurred_at` may
    still be text (from JSON); `problems` are what translating the request already found."""

    idempotency_key: object
    value: object
    currency: object
    occurred_at: object = None
    click_refs: object = ()
    link_code: object = None
    customer_id: object = None
    order_id: object = None
    problems: tuple[Problem, ...] = field(default=())


@dataclass(frozen=True)
class CheckedReport:
    idempotency_key: str
    value: Decimal
    currency: str
    occurred_at: datetime | None
    click_refs: tuple[str, ...]
    link_code: str | None
    customer_id: str | None
    order_id: str | None


@dataclass(frozen=True)
class Recorded:
    conversion: Conversion
    replayed: bool

    @property
    def attributed(self) -> bool:
        return self.conversion.attributed


# Checking


def _text(
    problems: Problems, name: str, raw: object, maximum: int, *, required: bool = False
) -> str | None:
    if raw is None:
        if required:
            problems.add(name, ErrorCode.REQUIRED, f"{name} is required")
        return None
    if not isinstance(raw, str):
        problems.add(name, ErrorCode.INVALID, f"{name} must be a string")
        return None
    problems.check_length(name, raw, maximum=maximum)
    return raw


def _value(problems: Problems, raw: object) -> Decimal | None:
    if raw is None:
        problems.add("value", ErrorCode.REQUIRED, "value is required")
        return None
    value = None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            value = Decimal(str(raw).strip()) if str(raw).strip() else None
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        problems.add("value", ErrorCode.INVALID, "value must be a number")
        return None
    if value < 0:
        problems.add("value", ErrorCode.INVALID, "value must not be negative")
    elif value > MAX_VALUE:
        problems.add("value", ErrorCode.INVALID, "value must be at most 10,000,000,000,000")
    elif value != value.quantize(VALUE_PLACES):
        problems.add("value", ErrorCode.INVALID, "value has at most 4 decimal places")
    else:
        return value.quantize(VALUE_PLACES) + 0  # + 0 turns -0 into 0
    return None


def _currency(problems: Problems, raw: object) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.add("currency", ErrorCode.REQUIRED, "currency is required")
        return None
    currency = normalised_currency(raw) if isinstance(raw, str) else None
    if currency is None:
        problems.add("currency", ErrorCode.INVALID, "currency is not an ISO 4217 code in use")
    return currency


def _occurred_at(problems: Problems, raw: object, now: datetime) -> datetime | None:
    if raw is None:
        return None
    moment = raw
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip()) if len(raw) <= 64 else None
        except ValueError:
            moment = None
    if not isinstance(moment, datetime):
        problems.add("occurredAt", ErrorCode.INVALID, "occurredAt must be an ISO 8601 date-time")
        return None
    if moment.tzinfo is None:
        problems.add("occurredAt", ErrorCode.INVALID, "occurredAt needs a UTC offset")
        return None
    moment = moment.astimezone(UTC)
    if moment > now + MAX_FUTURE:
        problems.add("occurredAt", ErrorCode.INVALID, "occurredAt must not be in the future")
    elif moment < now - MAX_AGE:
        problems.add(
            "occurredAt", ErrorCode.INVALID, f"occurredAt must be within {MAX_AGE.days} days"
        )
    return moment


def _click_refs(problems: Problems, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        problems.add("clickRefs", ErrorCode.INVALID, "clickRefs must be a list of strings")
        return ()
    if len(raw) > MAX_CLICK_REFS:
        problems.add(
            "clickRefs", ErrorCode.INVALID, f"clickRefs has at most {MAX_CLICK_REFS} entries"
        )
        return ()
    refs = [
        _text(problems, f"clickRefs.{index}", ref, MAX_CLICK_REF_LENGTH, required=True)
        for index, ref in enumerate(raw)
    ]
    return tuple(dict.fromkeys(ref for ref in refs if ref))


def check_report(report: ConversionReport, now: datetime) -> CheckedReport:
    """The report normalised, or ValidationFailed listing every problem."""
    problems = Problems()
    problems.items.extend(report.problems)
    key = _text(problems, "idempotencyKey", report.idempotency_key, MAX_KEY_LENGTH, required=True)
    value = _value(problems, report.value)
    currency = _currency(problems, report.currency)
    occurred_at = _occurred_at(problems, report.occurred_at, now)
    click_refs = _click_refs(problems, report.click_refs)
    link_code = _text(problems, "linkCode", report.link_code, MAX_LINK_CODE_LENGTH)
    customer_id = _text(problems, "customerId", report.customer_id, MAX_CUSTOMER_ID_LENGTH)
    order_id = _text(problems, "orderId", report.order_id, MAX_ORDER_ID_LENGTH)
    problems.raise_if_any()
    assert key is not None and value is not None and currency is not None
    return CheckedReport(
        key, value, currency, occurred_at, click_refs, link_code, customer_id, order_id
    )


def customer_hash(workspace_id: int, customer_id: str) -> str:
    """A keyed hash: the same customer matches within a workspace, and the id itself is
    never stored."""
    secret = get_settings().jwt_secret.encode()
    key = hmac.new(secret, b"kelola:conversion-customer:v1", hashlib.sha256).digest()
    return hmac.new(key, f"{workspace_id}\n{customer_id}".encode(), hashlib.sha256).hexdigest()


def request_hash(checked: CheckedReport, customer: str | None) -> str:
    """SHA-256 of the canonical report: equal for reports that mean the same conversion
    (10 and 10.00, usd and USD, click refs in any order)."""
    canonical = {
        "value": format(checked.value, "f"),
        "currency": checked.currency,
        "occurredAt": checked.occurred_at.isoformat() if checked.occurred_at else None,
        "clickRefs": sorted(checked.click_refs),
        "linkCode": checked.link_code,
        "customer": customer,
        "orderId": checked.order_id,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


# Recording


async def record_conversion(
    actor: Actor, *, workspace_id: int, report: ConversionReport, now: datetime | None = None
) -> Recorded:
    """`conversionRecord`: an API key with the CONVERSIONS scope (or an owner or admin)."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONVERSIONS_WRITE)
    return await _record(workspace.id, report, ConversionSource.API, now)


async def record_signed_conversion(
    workspace_id: int, report: ConversionReport, now: datetime | None = None
) -> Recorded:
    """A server-to-server report whose signature proved it comes from the workspace."""
    return await _record(workspace_id, report, ConversionSource.SERVER, now)


def _key_reused() -> DomainError:
    return DomainError(
        [
            Problem(
                "idempotencyKey",
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "This idempotency key was already used for a different conversion",
            )
        ]
    )


def _replay(earlier: Conversion, hashed: str) -> Recorded:
    if not constant_time_equal(earlier.request_hash, hashed):
        raise _key_reused()
    return Recorded(earlier, replayed=True)


async def _attribute(
    workspace_id: int, checked: CheckedReport, occurred_at: datetime, window: timedelta
) -> tuple[LinkClick | None, TrackedLink | None]:
    """The last of the given clicks within the window, and its link; or the link of a
    report that names only a link code; else nothing."""
    if checked.click_refs:
        click = (
            await LinkClick.filter(
                workspace_id=workspace_id,
                click_ref__in=list(checked.click_refs),
                clicked_at__gte=occurred_at - window,
                clicked_at__lte=occurred_at,
            )
            .order_by("-clicked_at", "-id")
            .first()
        )
        if click is None:
            return None, None
        link = await TrackedLink.get_or_none(id=click.link_id, workspace_id=workspace_id)
        return click, link
    if checked.link_code:
        link = await TrackedLink.get_or_none(code=checked.link_code, workspace_id=workspace_id)
        return None, link
    return None, None


async def _record(
    workspace_id: int, report: ConversionReport, source: ConversionSource, now: datetime | None
) -> Recorded:
    now = now or datetime.now(UTC)
    checked = check_report(report, now)
    customer = customer_hash(workspace_id, checked.customer_id) if checked.customer_id else None
    hashed = request_hash(checked, customer)
    key = checked.idempotency_key
    earlier = await Conversion.get_or_none(workspace_id=workspace_id, idempotency_key=key)
    if earlier is not None:
        return _replay(earlier, hashed)
    options = await options_for(workspace_id)
    occurred_at = checked.occurred_at or now
    window = timedelta(days=options.attribution_window_days)
    click, link = await _attribute(workspace_id, checked, occurred_at, window)
    try:
        async with unit_of_work():  # a savepoint: a concurrent duplicate must not abort all
            row = await Conversion.create(
                workspace_id=workspace_id,
                idempotency_key=key,
                request_hash=hashed,
                source=source,
                occurred_at=occurred_at,
                value=checked.value,
                currency=checked.currency,
                customer_hash=customer,
                order_ref=checked.order_id,
                click_id=click.id if click else None,
                link_id=link.id if link else None,
                target_id=link.target_id if link else None,
                post_id=link.post_id if link else None,
                channel_id=link.channel_id if link else None,
                campaign_id=link.campaign_id if link else None,
            )
    except IntegrityError:
        earlier = await Conversion.get_or_none(workspace_id=workspace_id, idempotency_key=key)
        if earlier is None:
            raise
        return _replay(earlier, hashed)
    return Recorded(row, replayed=False)


# Reads


async def list_conversions(
    actor: Actor, workspace_id: int, *, first: int | None, after: str | None
) -> Page[Conversion]:
    workspace = await workspace_for(actor, workspace_id, Permission.ANALYTICS_READ)
    rows = visible_to(actor, Conversion).filter(workspace_id=workspace.id)
    return await paginate(rows, first=first, after=after)


async def get_conversion(actor: Actor, conversion_id: int) -> Conversion | None:
    return await readable_row(actor, Conversion, conversion_id, Permission.ANALYTICS_READ)


async def targets_by_ids(actor: Actor, ids: Sequence[int]) -> list[PostTarget | None]:
    return await visible_by_ids(actor, PostTarget, ids)
