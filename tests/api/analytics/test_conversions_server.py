"""`POST /conversions/{workspaceId}` over HTTP: signed server-to-server reports."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from api.ids import to_global_id
from domain.analytics.conversion_signatures import sign
from domain.analytics.models import Conversion
from tests.api.analytics.test_conversions import clicked, shop
from tests.api.analytics.test_options import rotate_secret
from tests.api.content.support import studio


def signed(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "kelola-signature": f"t={timestamp},v1={sign(secret, timestamp, body)}",
        "content-type": "application/json",
    }


def encode(report: dict) -> bytes:
    return json.dumps(report).encode()


REPORT = {"idempotencyKey": "order-1", "value": 49.9, "currency": "eur", "orderId": "INV-1"}


@pytest.fixture
async def partner(gql):
    world = await shop(gql)
    world["secret"] = await rotate_secret(gql, world["owner"].token, world["workspace_id"])
    world["url"] = f"/conversions/{world['workspace_id']}"
    return world


async def post(gql, url: str, body: bytes, headers: dict[str, str]):
    return await gql.http.post(url, content=body, headers=headers)


async def test_a_signed_report_is_recorded_and_a_replay_answers_200(gql, partner):
    click = await clicked(partner["menu"]["code"], datetime.now(UTC) - timedelta(hours=1))
    body = encode({**REPORT, "clickRefs": [click]})
    created = await post(gql, partner["url"], body, signed(partner["secret"], body))
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["replayed"] is False and answer["attributed"] is True
    conversion = answer["conversion"]
    assert conversion["value"] == "49.9000" and conversion["currency"] == "EUR"
    assert conversion["source"] == "SERVER" and conversion["orderId"] == "INV-1"
    assert conversion["linkId"] == partner["menu"]["id"]
    assert conversion["postId"] == partner["post"]["id"]
    replay = await post(gql, partner["url"], body, signed(partner["secret"], body))
    assert replay.status_code == 200
    assert replay.json()["replayed"] is True
    assert replay.json()["conversion"] == conversion
    assert await Conversion.all().count() == 1


async def test_the_key_may_come_in_a_header(gql, partner):
    body = encode({"value": "5", "currency": "USD"})
    headers = {**signed(partner["secret"], body), "idempotency-key": "hdr-1"}
    assert (await post(gql, partner["url"], body, headers)).status_code == 201
    assert (await Conversion.get()).idempotency_key == "hdr-1"
    both = encode({"idempotencyKey": "other", "value": "5", "currency": "USD"})
    headers = {**signed(partner["secret"], both), "idempotency-key": "hdr-1"}
    refused = await post(gql, partner["url"], both, headers)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "idempotencyKey"


async def test_bad_signatures_and_unknown_workspaces_all_answer_401(gql, partner):
    body = encode(REPORT)
    now = int(time.time())
    other_owner, other_workspace, _ = await studio(gql)  # a workspace without a secret
    cases = [
        (partner["url"], {}),
        (partner["url"], {"kelola-signature": "garbage"}),
        (partner["url"], signed("kcs_wrong", body)),
        (partner["url"], signed(partner["secret"], body + b" ")),
        (partner["url"], signed(partner["secret"], body, now - 330)),
        (partner["url"], signed(partner["secret"], body, now + 330)),
        (f"/conversions/{to_global_id('Workspace', 999999)}", signed(partner["secret"], body)),
        (f"/conversions/{other_workspace}", signed(partner["secret"], body)),
        ("/conversions/not-an-id", signed(partner["secret"], body)),
        (f"/conversions/{partner['post']['id']}", signed(partner["secret"], body)),
    ]
    answers = set()
    for url, headers in cases:
        response = await post(gql, url, body, headers)
        assert response.status_code == 401, (url, headers)
        answers.add(response.text)
    assert len(answers) == 1  # nothing tells the cases apart
    assert json.loads(answers.pop())["errors"][0]["code"] == "UNAUTHENTICATED"
    assert await Conversion.all().count() == 0


async def test_any_of_several_signatures_may_match_and_rotation_is_instant(gql, partner):
    body = encode(REPORT)
    timestamp = int(time.time())
    header = (
        f"t={timestamp},v1={sign('kcs_old', timestamp, body)},"
        f"v1={sign(partner['secret'], timestamp, body)}"
    )
    accepted = await post(gql, partner["url"], body, {"kelola-signature": header})
    assert accepted.status_code == 201
    old = partner["secret"]
    await rotate_secret(gql, partner["owner"].token, partner["workspace_id"])
    second = encode({**REPORT, "idempotencyKey": "order-2"})
    assert (await post(gql, partner["url"], second, signed(old, second))).status_code == 401


async def test_bad_input_lists_every_problem_with_codes(gql, partner):
    report = {
        "idempotencyKey": "",
        "value": "ten",
        "currency": "XXX",
        "occurredAt": "yesterday",
        "clickRefs": [f"r{n}" for n in range(21)],
        "linkCode": 7,
        "coupon": "SAVE10",
    }
    body = encode(report)
    response = await post(gql, partner["url"], body, signed(partner["secret"], body))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert all(set(error) == {"field", "code", "message"} for error in errors)
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("clickRefs", "INVALID"),
        ("coupon", "INVALID"),
        ("currency", "INVALID"),
        ("idempotencyKey", "REQUIRED"),
        ("linkCode", "INVALID"),
        ("occurredAt", "INVALID"),
        ("value", "INVALID"),
    ]
    shapes = {
        b"not json": [(None, "INVALID")],
        b"[1, 2]": [(None, "INVALID")],
        b"": [(None, "INVALID")],
        b"{}": [("currency", "REQUIRED"), ("idempotencyKey", "REQUIRED"), ("value", "REQUIRED")],
        b'{"idempotencyKey": "k", "value": true, "currency": "USD"}': [("value", "INVALID")],
        b'{"idempotencyKey": "k", "value": -0.5, "currency": "USD"}': [("value", "INVALID")],
        b'{"idempotencyKey": "k", "value": NaN, "currency": "USD"}': [("value", "INVALID")],
        b'{"idempotencyKey": "k", "value": 1e400, "currency": "USD"}': [("value", "INVALID")],
        b'{"idempotencyKey": "k", "value": 1, "currency": "USD", "clickRefs": "r"}': [
            ("clickRefs", "INVALID")
        ],
        b"\xff\xfe": [(None, "INVALID")],
    }
    for raw, expected in shapes.items():
        answer = await post(gql, partner["url"], raw, signed(partner["secret"], raw))
        assert answer.status_code == 400, raw
        found = sorted(
            ((e["field"], e["code"]) for e in answer.json()["errors"]), key=lambda p: str(p)
        )
        assert found == sorted(expected, key=lambda p: str(p)), raw
    assert await Conversion.all().count() == 0


async def test_a_reused_key_with_another_report_answers_409(gql, partner):
    body = encode(REPORT)
    assert (
        await post(gql, partner["url"], body, signed(partner["secret"], body))
    ).status_code == 201
    changed = encode({**REPORT, "value": 50})
    conflict = await post(gql, partner["url"], changed, signed(partner["secret"], changed))
    assert conflict.status_code == 409
    assert conflict.json()["errors"] == [
        {
            "field": "idempotencyKey",
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "This idempotency key was already used for a different conversion",
        }
    ]
    assert await Conversion.all().count() == 1


async def test_a_body_over_64_kb_answers_413(gql, partner):
    body = encode({**REPORT, "orderId": "x" * (64 * 1024)})
    response = await post(gql, partner["url"], body, signed(partner["secret"], body))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "TOO_LARGE"

    async def chunks():  # no Content-Length: counted while reading
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    streamed = await gql.http.post(
        partner["url"], content=chunks(), headers=signed(partner["secret"], body)
    )
    assert streamed.status_code == 413
    assert await Conversion.all().count() == 0


async def test_the_same_key_over_graphql_and_the_endpoint_is_one_conversion(gql, partner):
    from tests.api.analytics.test_conversions import record

    first = await record(
        gql, partner["key"], partner["workspace_id"], idempotencyKey="order-1", value="49.9",
        currency="EUR", orderId="INV-1",
    )  # fmt: skip
    body = encode(REPORT)
    replay = await post(gql, partner["url"], body, signed(partner["secret"], body))
    assert replay.status_code == 200
    assert replay.json()["conversion"]["id"] == first["conversion"]["id"]
