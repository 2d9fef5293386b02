"""Reports through GraphQL and HTTP: asking, building, downloading by signed URL, bad
input, tenancy, schedules and the `reportReady` subscription."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from api.context import Context, make_loaders
from api.ids import from_global_id
from api.schema import schema
from domain.analytics.models import Report, ReportFrequency, ReportSchedule
from domain.analytics.report_build import build_report
from domain.analytics.report_timing import next_run_after
from domain.analytics.reports import URL_PURPOSE
from domain.events import workspace_channel
from domain.jobs import get_job_pool
from domain.redis import get_redis
from domain.storage import get_storage, signed_url_until
from domain.tenancy import Actor
from tests.api.analytics.support import OVERVIEW, Shop, collect, gid, make_shop
from tests.helpers import top_level_codes

REPORT_FIELDS = """
  id name frequency status periodStart periodEnd createdAt readyAt failureReason scheduleId
  filter { channelIds networks tags campaignIds postIds }
  files { jsonUrl csvUrl pngUrl expiresAt }
"""
SCHEDULE_FIELDS = """
  id name frequency nextRunAt createdAt cancelledAt filter { channelIds networks tags }
"""
REPORT_CREATE = f"""
mutation($input: ReportCreateInput!) {{
  reportCreate(input: $input) {{
    report {{ {REPORT_FIELDS} }} schedule {{ {SCHEDULE_FIELDS} }} errors {{ field code message }}
  }}
}}"""
SCHEDULE_CANCEL = f"""
mutation($input: ReportScheduleCancelInput!) {{
  reportScheduleCancel(input: $input) {{
    schedule {{ {SCHEDULE_FIELDS} }} errors {{ field code message }}
  }}
}}"""
REPORTS = f"""
query($ws: ID!, $first: Int, $after: String, $scheduleId: ID) {{
  reports(workspaceId: $ws, first: $first, after: $after, scheduleId: $scheduleId) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {REPORT_FIELDS} }} }}
  }}
}}"""
SCHEDULES = f"""
query($ws: ID!, $first: Int, $after: String) {{
  reportSchedules(workspaceId: $ws, first: $first, after: $after) {{
    totalCount edges {{ node {{ {SCHEDULE_FIELDS} }} }}
  }}
}}"""
NODE = f"""
query($id: ID!) {{
  node(id: $id) {{
    __typename ... on Report {{ {REPORT_FIELDS} }} ... on ReportSchedule {{ id name }}
  }}
}}"""
READY = """
subscription($ws: ID!) { reportReady(workspaceId: $ws) { reportId name status readyAt } }
"""


def recent_window(days: int = 10) -> dict:
    today = datetime.now(UTC).date()
    return {"period": "CUSTOM", "start": str(today - timedelta(days=days - 1)), "end": str(today)}


async def queued_ids() -> list[str]:
    return sorted(job.job_id for job in await (await get_job_pool()).queued_jobs())


async def create(gql, shop: Shop, *, expect_errors: bool = False, token=None, **fields) -> dict:
    return await gql.mutate(
        "reportCreate",
        REPORT_CREATE,
        {"workspaceId": shop.workspace_id, "name": "Kopi weekly", **fields},
        token=token or shop.owner.token,
        expect_errors=expect_errors,
    )


async def built(gql, shop: Shop, report_id: str) -> dict:
    await build_report(from_global_id(report_id)[1])
    body = await gql.data(NODE, {"id": report_id}, token=shop.owner.token)
    return body["node"]


async def shop_with_posts(gql, posts: int = 3) -> tuple[Shop, list]:
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    targets = []
    for index in range(posts):
        targets.append(
            await shop.world.published(
                channel,
                age=timedelta(hours=2 + 20 * index),
                tags=["promo"] if index % 2 == 0 else [],
                body=f"Kopi susu #{index}",
            )
        )
    await collect(channel)
    return shop, targets


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def download(gql, url: str):
    return await gql.http.get(path_of(url))


# A ONCE report end to end


async def test_a_once_report_is_made_and_downloaded(gql):
    shop, targets = await shop_with_posts(gql, posts=3)
    window, filter_ = recent_window(), {"tags": ["promo"]}
    payload = await create(gql, shop, window=window, filter=filter_)
    report = payload["report"]
    assert payload["schedule"] is None
    assert report["status"] == "PENDING" and report["files"] is None
    assert report["frequency"] == "ONCE" and report["scheduleId"] is None
    assert (report["periodStart"], report["periodEnd"]) == (window["start"], window["end"])
    assert report["filter"]["tags"] == ["promo"]
    report_pk = from_global_id(report["id"])[1]
    assert await queued_ids() == [f"report:{report_pk}"]

    ready = await built(gql, shop, report["id"])
    assert ready["__typename"] == "Report" and ready["status"] == "READY"
    assert ready["readyAt"] is not None and ready["failureReason"] is None
    files = ready["files"]
    expires_at = datetime.fromisoformat(files["expiresAt"])
    assert timedelta(hours=23) < expires_at - datetime.now(UTC) <= timedelta(hours=24)

    summary_response = await download(gql, files["jsonUrl"])
    assert summary_response.status_code == 200
    assert summary_response.headers["content-type"] == "application/json"
    disposition = summary_response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="kopi-weekly-') and ".json" in disposition
    summary = summary_response.json()
    overview = (
        await gql.data(
            OVERVIEW,
            {"ws": shop.workspace_id, "window": window, "filter": filter_},
            token=shop.owner.token,
        )
    )["analyticsOverview"]
    assert summary["current"] == overview["current"]
    assert summary["previous"] == overview["previous"]
    assert summary["window"] == overview["window"]
    assert summary["previousWindow"] == overview["previousWindow"]
    for change in overview["changes"]:
        name = change["metric"].lower()
        camel = name.split("_")[0] + "".join(w.capitalize() for w in name.split("_")[1:])
        assert summary["changes"][camel]["change"] == change["change"], camel
    assert summary["current"]["posts"] == 2
    assert summary["workspace"] == {"id": shop.workspace_id, "name": "Kopi Kita", "timezone": "UTC"}
    assert [row["network"] for row in summary["byNetwork"]] == ["SANDBOX"]
    assert len(summary["byChannel"]) == 1 and summary["byChannel"][0]["current"]["posts"] == 2
    assert [post["rank"] for post in summary["topPosts"]] == [1, 2]
    assert summary["topPosts"][0]["engagements"] >= summary["topPosts"][1]["engagements"]

    table = await download(gql, files["csvUrl"])
    assert table.status_code == 200
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert table.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    promo = [target for index, target in enumerate(targets) if index % 2 == 0]
    assert sorted(row["post_id"] for row in rows) == sorted(gid("Post", t.post_id) for t in promo)
    assert {row["tags"] for row in rows} == {"promo"} and rows[0]["campaign"] == ""
    assert sum(int(row["likes"]) for row in rows) == overview["current"]["likes"]

    chart = await download(gql, files["pngUrl"])
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.headers["x-content-type-options"] == "nosniff"

    # The job again: the report and its files stay as they were.
    prefix = (await Report.get(id=report_pk)).storage_prefix
    await build_report(report_pk)
    again = await Report.get(id=report_pk)
    assert again.storage_prefix == prefix and again.ready_at.isoformat() == ready["readyAt"]


async def test_without_a_window_a_report_covers_this_week(gql):
    shop, _ = await shop_with_posts(gql, posts=1)
    report = (await create(gql, shop))["report"]
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    assert (report["periodStart"], report["periodEnd"]) == (
        str(monday),
        str(monday + timedelta(days=6)),
    )


# Signed URLs


async def ready_report(gql) -> tuple[Shop, dict]:
    shop, _ = await shop_with_posts(gql, posts=1)
    report = (await create(gql, shop, window=recent_window()))["report"]
    return shop, await built(gql, shop, report["id"])


async def test_tampered_expired_and_missing_files_are_refused(gql):
    shop, report = await ready_report(gql)
    url = report["files"]["jsonUrl"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    key = parts.path.removeprefix("/reports/")

    forged = query["signature"][:-1] + ("0" if query["signature"][-1] != "0" else "1")
    response = await gql.http.get(f"{parts.path}?expires={query['expires']}&signature={forged}")
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "TOKEN_INVALID"
    later = int(query["expires"]) + 3600
    response = await gql.http.get(f"{parts.path}?expires={later}&signature={query['signature']}")
    assert response.status_code == 403
    other = parts.path.replace("report.json", "report.csv")
    response = await gql.http.get(
        f"{other}?expires={query['expires']}&signature={query['signature']}"
    )
    assert response.status_code == 403
    assert (await gql.http.get(parts.path)).status_code == 403

    expired = signed_url_until(URL_PURPOSE, key, int(time.time()) - 5)
    response = await download(gql, expired)
    assert response.status_code == 410 and response.json()["errors"][0]["code"] == "TOKEN_EXPIRED"

    # Genuine URLs of something that is not (or no longer) there.
    folder = key.rsplit("/", 1)[0]
    response = await download(gql, signed_url_until(URL_PURPOSE, f"{folder}/secrets.txt", 2**33))
    assert response.status_code == 404
    response = await download(gql, signed_url_until(URL_PURPOSE, "../../etc/passwd", 2**33))
    assert response.status_code == 404
    await get_storage().delete(f"reports/{folder}/chart.png")
    response = await download(gql, report["files"]["pngUrl"])
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "NOT_FOUND"
    await Report.filter(id=from_global_id(report["id"])[1]).delete()
    assert (await download(gql, url)).status_code == 404


# Bad input


async def nothing_written() -> None:
    assert await Report.all().count() == 0
    assert await ReportSchedule.all().count() == 0
    assert await queued_ids() == []


async def errors_of(gql, shop, **fields) -> list[tuple[str | None, str]]:
    payload = await create(gql, shop, expect_errors=True, **fields)
    assert payload["report"] is None and payload["schedule"] is None
    return sorted((error["field"], error["code"]) for error in payload["errors"])


async def test_bad_input_is_refused_with_typed_errors_and_writes_nothing(gql):
    shop = await make_shop(gql)
    other = await make_shop(gql, "Other")
    foreign_channel = await other.world.channel()
    today = datetime.now(UTC).date()

    assert await errors_of(
        gql, shop, filter={"channelIds": [gid("Channel", foreign_channel.id)]}
    ) == [("filter.channelIds", "NOT_FOUND")]
    assert await errors_of(gql, shop, filter={"postIds": ["nonsense"]}) == [
        ("filter.postIds", "INVALID")
    ]
    assert await errors_of(gql, shop, filter={"campaignIds": [gid("Campaign", 999)]}) == [
        ("filter.campaignIds", "NOT_FOUND")
    ]
    too_long = {"period": "CUSTOM", "start": str(today - timedelta(days=731)), "end": str(today)}
    assert await errors_of(gql, shop, window=too_long) == [("window.end", "RANGE_TOO_LONG")]
    assert await errors_of(gql, shop, window={"period": "CUSTOM"}) == [
        ("window.end", "REQUIRED"),
        ("window.start", "REQUIRED"),
    ]
    future = {"period": "DAY", "date": str(today + timedelta(days=3))}
    assert await errors_of(gql, shop, window=future) == [("window", "INVALID")]
    assert await errors_of(gql, shop, name="") == [("name", "REQUIRED")]
    assert await errors_of(gql, shop, name="   ") == [("name", "REQUIRED")]
    assert await errors_of(gql, shop, name="x" * 121) == [("name", "TOO_LONG")]
    assert await errors_of(gql, shop, frequency="WEEKLY", window=recent_window()) == [
        ("window", "INVALID")
    ]
    # Every problem at once.
    assert await errors_of(
        gql, shop, name="", window=too_long, filter={"channelIds": [gid("Channel", 10**9)]}
    ) == [
        ("filter.channelIds", "NOT_FOUND"),
        ("name", "REQUIRED"),
        ("window.end", "RANGE_TOO_LONG"),
    ]
    # Another workspace looks missing; a bad id is refused.
    assert await errors_of(gql, shop, token=other.owner.token) == [("workspaceId", "NOT_FOUND")]
    payload = await gql.mutate(
        "reportCreate",
        REPORT_CREATE,
        {"workspaceId": gid("Channel", 1), "name": "x"},
        token=shop.owner.token,
        expect_errors=True,
    )
    assert [error["code"] for error in payload["errors"]] == ["INVALID"]
    await nothing_written()


async def test_only_members_who_read_analytics_may_ask(gql):
    shop = await make_shop(gql)
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    analyst = await gql.join(shop.workspace_id, shop.owner, "ANALYST")
    body = await gql.execute(
        REPORT_CREATE,
        {"input": {"workspaceId": shop.workspace_id, "name": "Nope"}},
        token=approver.person.token,
    )
    assert top_level_codes(body) == ["FORBIDDEN"]
    body = await gql.execute(REPORTS, {"ws": shop.workspace_id}, token=approver.person.token)
    assert top_level_codes(body) == ["FORBIDDEN"]
    await nothing_written()
    report = (await create(gql, shop, token=analyst.person.token))["report"]
    assert report["status"] == "PENDING"
    anonymous = await gql.execute(
        REPORT_CREATE, {"input": {"workspaceId": shop.workspace_id, "name": "x"}}
    )
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]


# Tenancy and listing


async def test_a_foreign_workspace_report_is_invisible(gql):
    shop, report = await ready_report(gql)
    other = await make_shop(gql, "Other")
    body = await gql.execute(REPORTS, {"ws": shop.workspace_id}, token=other.owner.token)
    assert top_level_codes(body) == ["NOT_FOUND"]
    node = await gql.data(NODE, {"id": report["id"]}, token=other.owner.token)
    assert node["node"] is None
    listed = await gql.data(REPORTS, {"ws": other.workspace_id}, token=other.owner.token)
    assert listed["reports"]["totalCount"] == 0


async def test_reports_are_listed_newest_first_a_page_at_a_time(gql):
    shop = await make_shop(gql)
    names = [f"Report {n}" for n in range(3)]
    for name in names:
        await create(gql, shop, name=name)
    first = await gql.data(REPORTS, {"ws": shop.workspace_id, "first": 2}, token=shop.owner.token)
    page = first["reports"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [edge["node"]["name"] for edge in page["edges"]] == ["Report 2", "Report 1"]
    rest = await gql.data(
        REPORTS,
        {"ws": shop.workspace_id, "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=shop.owner.token,
    )
    assert [edge["node"]["name"] for edge in rest["reports"]["edges"]] == ["Report 0"]
    assert not rest["reports"]["pageInfo"]["hasNextPage"]
    body = await gql.execute(
        REPORTS, {"ws": shop.workspace_id, "first": 101}, token=shop.owner.token
    )
    assert top_level_codes(body) == ["BAD_USER_INPUT"]


# Schedules


async def test_a_monthly_schedule_in_jakarta_and_its_cancellation(gql):
    shop = await make_shop(gql)
    await shop.set_timezone("Asia/Jakarta")
    before = datetime.now(UTC)
    payload = await create(gql, shop, frequency="MONTHLY", filter={"networks": ["SANDBOX"]})
    schedule = payload["schedule"]
    assert payload["report"] is None and schedule["frequency"] == "MONTHLY"
    assert schedule["filter"]["networks"] == ["SANDBOX"] and schedule["cancelledAt"] is None
    next_run = datetime.fromisoformat(schedule["nextRunAt"])
    assert next_run == next_run_after(ReportFrequency.MONTHLY, before, "Asia/Jakarta")
    local = next_run.astimezone(ZoneInfo("Asia/Jakarta"))
    assert (local.day, local.hour, local.minute) == (1, 6, 0)
    weekly = (await create(gql, shop, frequency="WEEKLY"))["schedule"]
    local = datetime.fromisoformat(weekly["nextRunAt"]).astimezone(ZoneInfo("Asia/Jakarta"))
    assert (local.weekday(), local.hour) == (0, 6)
    assert await Report.all().count() == 0 and await queued_ids() == []

    listed = await gql.data(SCHEDULES, {"ws": shop.workspace_id}, token=shop.owner.token)
    assert [edge["node"]["frequency"] for edge in listed["reportSchedules"]["edges"]] == [
        "WEEKLY",
        "MONTHLY",
    ]
    other = await make_shop(gql, "Other")
    refused = await gql.mutate(
        "reportScheduleCancel",
        SCHEDULE_CANCEL,
        {"scheduleId": schedule["id"]},
        token=other.owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("scheduleId", "NOT_FOUND")]
    cancelled = (
        await gql.mutate(
            "reportScheduleCancel",
            SCHEDULE_CANCEL,
            {"scheduleId": schedule["id"]},
            token=shop.owner.token,
        )
    )["schedule"]
    assert cancelled["cancelledAt"] is not None and cancelled["nextRunAt"] is None
    again = await gql.mutate(
        "reportScheduleCancel",
        SCHEDULE_CANCEL,
        {"scheduleId": schedule["id"]},
        token=shop.owner.token,
    )
    assert again["schedule"]["cancelledAt"] == cancelled["cancelledAt"]


# reportReady


async def test_report_ready_reaches_subscribers(gql):
    shop, _ = await shop_with_posts(gql, posts=1)
    report = (await create(gql, shop, window=recent_window()))["report"]
    actor = Actor(user_id=from_global_id(shop.owner.user_id)[1])
    context = Context(None, None, actor, make_loaders(actor))
    events = await schema.subscribe(
        READY, variable_values={"ws": shop.workspace_id}, context_value=context
    )
    first = asyncio.ensure_future(anext(events))
    try:
        channel = workspace_channel(shop.pk)
        for _ in range(100):
            [(_, subscribers)] = await get_redis().pubsub_numsub(channel)
            if subscribers:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the subscription never listened")
        await build_report(from_global_id(report["id"])[1])
        result = await asyncio.wait_for(first, timeout=5)
    finally:
        await events.aclose()
    assert result.errors is None
    event = result.data["reportReady"]
    assert event["reportId"] == report["id"] and event["name"] == "Kopi weekly"
    assert event["status"] == "READY" and event["readyAt"] is not None


async def test_report_ready_needs_analytics_read(gql):
    shop = await make_shop(gql)
    other = await make_shop(gql, "Other")
    actor = Actor(user_id=from_global_id(other.owner.user_id)[1])
    context = Context(None, None, actor, make_loaders(actor))
    events = await schema.subscribe(
        READY, variable_values={"ws": shop.workspace_id}, context_value=context
    )
    result = await anext(events)
    await events.aclose()
    assert [error.extensions["code"] for error in result.errors] == ["NOT_FOUND"]
    assert json.dumps(result.data) == "null"
