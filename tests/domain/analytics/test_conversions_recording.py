"""Conversions in the domain: normalising, hashing, racing duplicates, signatures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.analytics.conversion_signatures import parse_header, sign, signature_valid
from domain.analytics.conversions import (
    ConversionReport,
    check_report,
    customer_hash,
    record_signed_conversion,
    request_hash,
)
from domain.analytics.models import AnalyticsSettings, Conversion
from domain.errors import DomainError, ErrorCode, ValidationFailed
from domain.identity.models import Workspace
from domain.secrets import encrypt
from domain.uow import unit_of_work

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def report(**fields) -> ConversionReport:
    return ConversionReport(**{"idempotency_key": "k1", "value": "10", "currency": "usd", **fields})


def test_equivalent_reports_hash_the_same():
    base = check_report(report(click_refs=["a", "b"]), NOW)
    same = check_report(
        report(value=Decimal("10.0000"), currency="USD", click_refs=["b", "a", "a"]), NOW
    )
    assert base.value == Decimal("10.0000") and base.currency == "USD"
    assert same.click_refs == ("b", "a")
    assert request_hash(base, None) == request_hash(same, None)
    different = [
        check_report(report(value="10.0001"), NOW),
        check_report(report(currency="EUR"), NOW),
        check_report(report(occurred_at=NOW), NOW),
        check_report(report(order_id="o"), NOW),
        check_report(report(link_code="abc"), NOW),
    ]
    hashes = {request_hash(item, None) for item in different} | {request_hash(base, None)}
    assert len(hashes) == 6
    assert request_hash(base, customer_hash(1, "c")) != request_hash(base, None)


def test_occurred_at_in_any_offset_is_the_same_moment():
    one = check_report(report(occurred_at="2027-03-01T19:00:00+07:00"), NOW)
    two = check_report(report(occurred_at="2027-03-01T12:00:00Z"), NOW)
    assert one.occurred_at == two.occurred_at == NOW
    assert request_hash(one, None) == request_hash(two, None)


def test_customer_hashes_are_keyed_per_workspace():
    assert customer_hash(1, "jane") == customer_hash(1, "jane")
    assert customer_hash(1, "jane") != customer_hash(2, "jane")
    assert "jane" not in customer_hash(1, "jane")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"value": None}, [("value", ErrorCode.REQUIRED)]),
        ({"value": True}, [("value", ErrorCode.INVALID)]),
        ({"value": [1]}, [("value", ErrorCode.INVALID)]),
        ({"value": " "}, [("value", ErrorCode.INVALID)]),
        ({"value": "-0"}, []),
        ({"currency": 840}, [("currency", ErrorCode.INVALID)]),
        ({"idempotency_key": "   "}, [("idempotency_key", ErrorCode.REQUIRED)]),
        ({"idempotency_key": "a\x00b"}, [("idempotencyKey", ErrorCode.INVALID)]),
        ({"occurred_at": NOW + timedelta(minutes=4)}, []),
        ({"occurred_at": NOW + timedelta(minutes=6)}, [("occurredAt", ErrorCode.INVALID)]),
        ({"occurred_at": "2027-13-01T00:00:00Z"}, [("occurredAt", ErrorCode.INVALID)]),
        ({"click_refs": [1]}, [("clickRefs.0", ErrorCode.INVALID)]),
        ({"click_refs": ["r"] * 20}, []),
    ],
)
def test_checks(fields, expected):
    expected = [("idempotencyKey", code) if name == "idempotency_key" else (name, code)
                for name, code in expected]  # fmt: skip
    if not expected:
        check_report(report(**fields), NOW)
        return
    with pytest.raises(ValidationFailed) as failure:
        check_report(report(**fields), NOW)
    assert [(p.field, p.code) for p in failure.value.problems] == expected


async def _workspace() -> Workspace:
    return await Workspace.create(name="Shop")


async def _record(workspace_id: int, item: ConversionReport):
    async with unit_of_work():
        return await record_signed_conversion(workspace_id, item)


async def test_racing_duplicates_record_one_conversion():
    workspace = await _workspace()
    results = await asyncio.gather(*(_record(workspace.id, report()) for _ in range(6)))
    assert len({result.conversion.id for result in results}) == 1
    assert sorted(result.replayed for result in results) == [False] + [True] * 5
    assert await Conversion.all().count() == 1


async def test_racing_reports_with_one_key_and_different_bodies():
    workspace = await _workspace()
    results = await asyncio.gather(
        *(_record(workspace.id, report(value=str(n))) for n in range(4)), return_exceptions=True
    )
    recorded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(recorded) == 1 and len(refused) == 3
    assert all(r.problems[0].code == ErrorCode.IDEMPOTENCY_KEY_REUSED for r in refused)
    assert await Conversion.all().count() == 1


def test_signature_headers_are_parsed_leniently_and_bounded():
    assert parse_header("t=12,v1=AB, v1=cd") == (12, ["ab", "cd"])
    assert parse_header("v1=ab,t=x") == (None, ["ab"])
    assert parse_header(None) == (None, [])
    assert parse_header("t=1," + "v1=a," * 1000) == (None, [])
    assert parse_header("t=1,v1=é") == (None, [])


async def test_signatures_need_the_workspace_secret_and_a_fresh_time():
    workspace = await _workspace()
    body = b'{"value": 1}'
    stamp = int(NOW.timestamp())
    header = f"t={stamp},v1={sign('kcs_s', stamp, body)}"
    assert not await signature_valid(workspace.id, header, body, NOW)  # no secret yet
    await AnalyticsSettings.create(
        workspace_id=workspace.id, conversion_secret_encrypted=encrypt("kcs_s")
    )
    assert await signature_valid(workspace.id, header, body, NOW)
    assert await signature_valid(workspace.id, header, body, NOW + timedelta(seconds=300))
    assert not await signature_valid(workspace.id, header, body, NOW + timedelta(seconds=301))
    assert not await signature_valid(workspace.id, header, body + b" ", NOW)
    assert not await signature_valid(workspace.id + 1, header, body, NOW)
    assert not await signature_valid(None, header, body, NOW)
