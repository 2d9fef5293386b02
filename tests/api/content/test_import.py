"""postsImport: CSV and JSON, per-row reports listing every problem, malformed data, limits,
ALL_OR_NOTHING and VALID_ROWS, scheduling and queueing through an import, tenancy."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from domain.content.models import Post, PostTarget, TargetStatus
from tests.api.content.media_support import uploaded
from tests.api.content.support import (
    QUEUE_SLOTS_SET,
    content_rows,
    iso,
    later,
    pk,
    queued,
    set_policy,
    studio,
)
from tests.helpers import top_level_codes

ROW_ERRORS = "field code message rule channelId"
POSTS_IMPORT = f"""
mutation($input: PostsImportInput!) {{
  postsImport(input: $input) {{
    report {{
      imported total valid invalid created scheduled
      rows {{
        index ok postId scheduled
        errors {{ {ROW_ERRORS} }}
        warnings {{ code }}
        post {{ id body title link firstComment tags mediaIds
                targets {{ status scheduledAt timezone channel {{ id }} }} }}
      }}
    }}
    errors {{ field code message }}
  }}
}}"""


async def run_import(
    gql,
    token: str,
    workspace_id: str,
    data: str | list,
    *,
    format: str = "CSV",
    mode: str = "ALL_OR_NOTHING",
    schedule: bool = False,
    expect_errors: bool = False,
) -> dict:
    return await gql.mutate(
        "postsImport",
        POSTS_IMPORT,
        {
            "workspaceId": workspace_id,
            "format": format,
            "data": data if isinstance(data, str) else json.dumps(data),
            "mode": mode,
            "schedule": schedule,
        },
        token=token,
        expect_errors=expect_errors,
    )


def row_errors(row: dict) -> list[tuple]:
    return sorted((e["field"], e["code"], e["rule"] or "") for e in row["errors"])


def due_times(jobs: dict[str, float]) -> list[datetime]:
    """When the queued publishing jobs run, to the second (they start a moment early)."""
    return sorted(datetime.fromtimestamp(math.ceil(score / 1000), UTC) for score in jobs.values())


# Happy paths


async def test_a_csv_import_creates_drafts_and_schedules_timed_rows(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    image = await uploaded(gql, owner, workspace_id)
    data = (
        "body,channels,at,timezone,tags,link,title,first_comment,media_ids\r\n"
        f'"Kopi, susu ""panas""",@acct0|acct1,,,launch|menu,https://kopi.example,Menu,Try it,\r\n'
        f"Es teh,{a},2027-01-15T09:00,Asia/Jakarta,,,,,{image['id']}\r\n"
        "\r\n"
        '"Two\nlines",sandbox:acct1,2027-01-16T10:00:00+02:00,,,,,,\r\n'
    )
    payload = await run_import(gql, owner.token, workspace_id, data)
    report = payload["report"]
    assert {k: report[k] for k in ("imported", "total", "valid", "invalid", "created")} == {
        "imported": True,
        "total": 3,
        "valid": 3,
        "invalid": 0,
        "created": 3,
    }
    assert report["scheduled"] == 2
    first, second, third = report["rows"]
    assert [r["index"] for r in report["rows"]] == [1, 2, 3]
    assert all(r["ok"] and r["errors"] == [] for r in report["rows"])

    draft = first["post"]
    assert first["postId"] == draft["id"] and first["scheduled"] is False
    assert draft["body"] == 'Kopi, susu "panas"'
    assert draft["tags"] == ["launch", "menu"]
    assert (draft["link"], draft["title"], draft["firstComment"]) == (
        "https://kopi.example",
        "Menu",
        "Try it",
    )
    assert [t["channel"]["id"] for t in draft["targets"]] == [a, b]
    assert {t["status"] for t in draft["targets"]} == {"DRAFT"}

    timed = second["post"]
    assert second["scheduled"] is True and timed["mediaIds"] == [image["id"]]
    target = timed["targets"][0]
    assert target["status"] == "SCHEDULED" and target["timezone"] == "Asia/Jakarta"
    assert datetime.fromisoformat(target["scheduledAt"]) == datetime(2027, 1, 15, 2, tzinfo=UTC)

    offset = third["post"]
    assert offset["body"] == "Two\nlines"
    assert datetime.fromisoformat(offset["targets"][0]["scheduledAt"]) == datetime(
        2027, 1, 16, 8, tzinfo=UTC
    )
    assert offset["targets"][0]["timezone"] == "UTC"  # the workspace's

    # Scheduling through an import queues the publish jobs, like postSchedule.
    assert due_times(await queued()) == [
        datetime(2027, 1, 15, 2, tzinfo=UTC),
        datetime(2027, 1, 16, 8, tzinfo=UTC),
    ]


async def test_a_json_import_takes_arrays_and_camel_case_keys(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    at = later(days=3)
    payload = await run_import(
        gql,
        owner.token,
        workspace_id,
        [
            {"body": "Array channels", "channels": [a, "@acct1"], "tags": ["x", "y"]},
            {
                "body": "Timed",
                "channels": "acct0",
                "at": iso(at),
                "firstComment": "first!",
                "mediaIds": [],
                "link": None,
            },
        ],
        format="JSON",
    )
    rows = payload["report"]["rows"]
    assert [r["ok"] for r in rows] == [True, True]
    assert [t["channel"]["id"] for t in rows[0]["post"]["targets"]] == [a, b]
    assert rows[0]["post"]["tags"] == ["x", "y"]
    assert rows[1]["post"]["firstComment"] == "first!"
    assert datetime.fromisoformat(rows[1]["post"]["targets"][0]["scheduledAt"]) == at
    assert payload["report"]["scheduled"] == 1


async def test_with_schedule_rows_without_a_time_take_successive_queue_slots(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await gql.mutate(
        "queueSlotsSet",
        QUEUE_SLOTS_SET,
        {
            "channelId": a,
            "timezone": "UTC",
            "slots": [{"weekday": day, "time": "09:00"} for day in range(7)],
        },
        token=owner.token,
    )
    data = "body,channels\nfirst,acct0\nsecond,acct0\nthird,acct0\n"
    payload = await run_import(gql, owner.token, workspace_id, data, schedule=True)
    moments = [
        datetime.fromisoformat(row["post"]["targets"][0]["scheduledAt"])
        for row in payload["report"]["rows"]
    ]
    assert payload["report"]["scheduled"] == 3
    assert all(moment.hour == 9 for moment in moments)
    assert moments == sorted(set(moments))
    assert [b - a for a, b in zip(moments, moments[1:], strict=False)] == [timedelta(days=1)] * 2
    assert len(await queued()) == 3


# Per-row problems


async def test_every_problem_of_every_row_is_reported(gql):
    owner, workspace_id, (a,) = await studio(gql)
    past = iso(datetime.now(UTC) - timedelta(hours=2))
    rows = [
        {"body": "fine", "channels": "acct0"},
        {
            "body": "",
            "channels": ["@nobody", a],
            "at": "next tuesday",
            "timezone": "Mars/Olympus",
            "link": "ftp://kopi",
            "tags": ["ok", "x" * 51],
            "mediaIds": ["not-an-id"],
        },
        {"body": "k" * 1001, "channels": "acct0", "at": past},
        {"body": "", "channels": ""},
        {"body": "hi", "channels": "acct0", "title": "t" * 301, "at": past},
        {"body": "hi", "channels": "acct0", "title": "t" * 301, "at": "2020-01-01 09:00"},
    ]
    payload = await run_import(
        gql, owner.token, workspace_id, rows, format="JSON", mode="VALID_ROWS"
    )
    report = payload["report"]
    assert payload["errors"] == []
    assert (report["total"], report["valid"], report["invalid"], report["created"]) == (6, 1, 5, 1)
    one, two, three, four, five, six = report["rows"]
    assert one["ok"] and one["postId"]
    assert row_errors(two) == [
        ("at", "INVALID", ""),
        ("body", "REQUIRED", ""),
        ("channels", "NOT_FOUND", ""),
        ("link", "INVALID", ""),
        ("media_ids", "INVALID", ""),
        ("tags", "INVALID", ""),
        ("timezone", "INVALID", ""),
    ]
    assert "@nobody" in next(e["message"] for e in two["errors"] if e["field"] == "channels")
    assert row_errors(three) == [
        ("at", "RULE_VIOLATED", "TIME_IN_PAST"),
        ("body", "RULE_VIOLATED", "TEXT_TOO_LONG"),
    ]
    assert {e["channelId"] for e in three["errors"]} == {a}
    assert row_errors(four) == [("body", "REQUIRED", ""), ("channels", "REQUIRED", "")]
    # Structure and scheduling problems together, when the row cannot even be created.
    assert row_errors(five) == [
        ("at", "RULE_VIOLATED", "TIME_IN_PAST"),
        ("title", "TOO_LONG", ""),
    ]
    # A time without offset is wall-clock time in the workspace's zone.
    assert row_errors(six) == row_errors(five)
    for row in (two, three, four, five, six):
        assert row["ok"] is False and row["postId"] is None and row["post"] is None
    assert await Post.all().count() == 1


async def test_rows_of_one_import_see_each_other(gql):
    owner, workspace_id, _ = await studio(gql)
    at = later(days=2)
    rows = [
        {"body": "Same text", "channels": "acct0", "at": iso(at)},
        {"body": "same   TEXT", "channels": "acct0", "at": iso(at + timedelta(hours=1))},
    ]
    payload = await run_import(
        gql, owner.token, workspace_id, rows, format="JSON", mode="VALID_ROWS"
    )
    first, second = payload["report"]["rows"]
    assert first["ok"] is True
    assert row_errors(second) == [("body", "RULE_VIOLATED", "DUPLICATE_TEXT")]


async def test_foreign_channels_are_not_found_per_row(gql):
    owner, workspace_id, _ = await studio(gql)
    _, _, (theirs,) = await studio(gql)
    data = f"body,channels\nmine,acct0\ntheirs,{theirs}\nboth,acct0|{theirs}\n"
    payload = await run_import(gql, owner.token, workspace_id, data, mode="VALID_ROWS")
    rows = payload["report"]["rows"]
    assert rows[0]["ok"] is True
    assert row_errors(rows[1]) == [("channels", "NOT_FOUND", "")]
    assert row_errors(rows[2]) == [("channels", "NOT_FOUND", "")]
    assert await PostTarget.filter(channel_id=pk(theirs)).count() == 0


async def test_an_ambiguous_handle_asks_for_a_platform_or_an_id(gql):
    owner, workspace_id, _ = await studio(gql)
    await gql.mutate(
        "channelConnectStart",
        "mutation($input: ChannelConnectStartInput!) { channelConnectStart(input: $input) {"
        " channel { id } errors { code } } }",
        {"workspaceId": workspace_id, "platform": "SANDBOX", "sandbox": {"handle": "ACCT0"}},
        token=owner.token,
    )
    payload = await run_import(
        gql, owner.token, workspace_id, "body,channels\nhi,acct0\n", expect_errors=True
    )
    assert row_errors(payload["report"]["rows"][0]) == [("channels", "INVALID", "")]


async def test_scheduling_needs_approval_where_the_workspace_requires_it(gql):
    owner, workspace_id, _ = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    data = f"body,channels,at\ndraft,acct0,\ntimed,acct0,{iso(later(days=1))}\n"
    payload = await run_import(gql, owner.token, workspace_id, data, mode="VALID_ROWS")
    draft, timed = payload["report"]["rows"]
    assert draft["ok"] is True
    assert row_errors(timed) == [(None, "NEEDS_APPROVAL", "")]


# Modes


BAD_MIDDLE = (
    f"body,channels,at\ngood one,acct0,{iso(later(days=1))}\nbad one,nobody,\ngood two,acct0,\n"
)


async def test_all_or_nothing_writes_nothing_when_one_row_is_bad(gql):
    owner, workspace_id, _ = await studio(gql)
    before = await content_rows()
    payload = await run_import(gql, owner.token, workspace_id, BAD_MIDDLE, expect_errors=True)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("data", "INVALID")]
    report = payload["report"]
    assert report["imported"] is False
    assert (report["total"], report["valid"], report["invalid"]) == (3, 2, 1)
    assert (report["created"], report["scheduled"]) == (0, 0)
    assert [row["ok"] for row in report["rows"]] == [True, False, True]
    assert all(row["postId"] is None and row["post"] is None for row in report["rows"])
    assert row_errors(report["rows"][1]) == [("channels", "NOT_FOUND", "")]
    assert await content_rows() == before
    assert await queued() == {}


async def test_valid_rows_writes_the_good_rows(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await run_import(gql, owner.token, workspace_id, BAD_MIDDLE, mode="VALID_ROWS")
    report = payload["report"]
    assert payload["errors"] == [] and report["imported"] is True
    assert (report["created"], report["scheduled"], report["invalid"]) == (2, 1, 1)
    assert sorted(await Post.all().values_list("body", flat=True)) == ["good one", "good two"]
    statuses = await PostTarget.all().order_by("id").values_list("status", flat=True)
    assert statuses == [TargetStatus.SCHEDULED, TargetStatus.DRAFT]
    assert len(await queued()) == 1


# Malformed data and limits: nothing written


async def test_malformed_data_is_refused_whole(gql):
    owner, workspace_id, _ = await studio(gql)
    cases = [
        ("CSV", 'body,channels\n"unterminated,acct0\n', "line"),
        ("CSV", 'body,channels\n"a"b,acct0\n', "line 2"),
        ("CSV", "", "header"),
        ("CSV", "\n\n", "header"),
        ("CSV", "body,channels,colour\nhi,acct0,red\n", "colour"),
        ("CSV", "body\nhi\n", "channels column"),
        ("CSV", "body,channels,body\nhi,acct0,again\n", "twice"),
        ("CSV", "body,channels\nhi,acct0,extra\n", "line 2 has 3 fields"),
        ("CSV", "body,channels\n", "no rows"),
        ("JSON", '{"body": "hi"}', "array"),
        ("JSON", '[{"body": "hi", "channels": "acct0"},', "not valid JSON"),
        ("JSON", '[{"body": 5, "channels": "acct0"}]', "body must be a string"),
        ("JSON", '[{"body": "hi", "channels": [1]}]', "array of strings"),
        ("JSON", '[{"body": "hi", "channels": "acct0", "colour": "red"}]', "colour"),
        ("JSON", '["hi"]', "item 1 is not an object"),
        ("JSON", "[" * 100_000, "JSON"),
        ("JSON", "[]", "no rows"),
    ]
    before = await content_rows()
    for data_format, data, words in cases:
        payload = await run_import(
            gql, owner.token, workspace_id, data, format=data_format, expect_errors=True
        )
        assert payload["report"] is None, data[:40]
        assert payload["errors"] and {e["field"] for e in payload["errors"]} == {"data"}
        assert {e["code"] for e in payload["errors"]} <= {"INVALID", "REQUIRED"}
        assert any(words in e["message"] for e in payload["errors"]), (data[:40], payload)
    assert await content_rows() == before


async def test_every_malformed_item_is_listed(gql):
    owner, workspace_id, _ = await studio(gql)
    data = [{"body": 1, "channels": "acct0"}, "x", {"body": "ok", "channels": "acct0", "at": 5}]
    payload = await run_import(
        gql, owner.token, workspace_id, data, format="JSON", expect_errors=True
    )
    assert len(payload["errors"]) == 3


async def test_more_than_5000_rows_is_refused(gql):
    owner, workspace_id, _ = await studio(gql)
    data = "body,channels\n" + "x,acct0\n" * 5001
    payload = await run_import(gql, owner.token, workspace_id, data, expect_errors=True)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("data", "TOO_LARGE")]
    rows = [{"body": "x", "channels": "acct0"}] * 5001
    payload = await run_import(
        gql, owner.token, workspace_id, rows, format="JSON", expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("data", "TOO_LARGE")]
    assert await Post.all().count() == 0


# Tenancy and roles


async def test_another_workspaces_member_cannot_import_into_it(gql):
    owner, workspace_id, _ = await studio(gql)
    stranger, _, _ = await studio(gql)
    payload = await run_import(
        gql, stranger.token, workspace_id, "body,channels\nhi,acct0\n", expect_errors=True
    )
    assert payload["report"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("workspaceId", "NOT_FOUND")]
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    body = await gql.execute(
        POSTS_IMPORT,
        {
            "input": {
                "workspaceId": workspace_id,
                "format": "CSV",
                "data": "body,channels\nhi,acct0\n",
            }
        },
        token=analyst.person.token,
    )
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await Post.all().count() == 0


async def test_a_write_api_key_imports(gql):
    owner, workspace_id, _ = await studio(gql)
    key = await gql.api_key(workspace_id, owner, ["WRITE"])
    payload = await run_import(gql, key, workspace_id, "body,channels\nhi,acct0\n")
    assert payload["report"]["created"] == 1
