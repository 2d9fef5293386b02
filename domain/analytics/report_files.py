"""Rendering a report's files from data already read: report.json (the summary), report.csv
(one row per post) and chart.png (the main series). Pure and synchronous, so the build runs
it in a worker thread; the chart uses matplotlib's object API on the Agg canvas (no pyplot,
no display; one chart at a time, as matplotlib is not thread-safe).
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.analytics.overview import Comparison, Overview, SeriesPoint
from domain.analytics.periods import Window
from domain.analytics.readings import METRIC_FIELDS
from domain.analytics.totals import COMPARABLE, Totals, change, value_of
from domain.ids import to_global_id

TOP_POSTS = 10
# Matplotlib is not thread-safe, even through its object API: one chart at a time per process.
_CHART_LOCK = threading.Lock()
EXCERPT_CHARS = 100
# Spreadsheet programs run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Field names as the GraphQL API spells them (AnalyticsMetrics), so files and API agree.
_NAMES = {"watch_time_s": "watchTimeSeconds", "lifetime_value": "customerLifetimeValue"}


def camel(name: str) -> str:
    if name in _NAMES:
        return _NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class ChannelInfo:
    id: int
    name: str
    handle: str | None
    network: str


@dataclass(frozen=True)
class PostRow:
    post_id: int
    published_day: date
    channel_ids: tuple[int, ...]
    networks: tuple[str, ...]
    text: str
    tags: tuple[str, ...]
    campaign: str | None
    totals: Totals


@dataclass
class ReportData:
    report_id: int
    name: str
    frequency: str
    workspace_id: int
    workspace_name: str
    timezone: str
    window: Window
    filters: dict
    overview: Overview  # broken down by channel
    networks: dict[Hashable, Comparison]
    channels: dict[int, ChannelInfo]
    posts: list[PostRow]
    series: list[SeriesPoint]
    generated_at: datetime
    top: list[PostRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        ranked = [row for row in self.posts if row.totals.engagements is not None]
        ranked.sort(key=lambda row: (row.totals.engagements, -row.post_id), reverse=True)
        self.top = ranked[:TOP_POSTS]


def render_all(data: ReportData) -> dict[str, bytes]:
    return {
        "report.json": render_json(data),
        "report.csv": render_csv(data),
        "chart.png": render_chart(data),
    }


def render_chart(data: ReportData) -> bytes:
    with _CHART_LOCK:
        return _render_chart(data)


# report.json


def _money(amounts: dict[str, Decimal]) -> list[dict]:
    return [
        {"amount": str(amount), "currency": currency}
        for currency, amount in sorted(amounts.items())
    ]


def metrics_json(totals: Totals) -> dict:
    """A Totals as the API's AnalyticsMetrics shows it (camelCase, money per currency)."""
    result: dict = {"posts": totals.posts, "targets": totals.targets}
    for name in METRIC_FIELDS:
        result[camel(name)] = getattr(totals, name)
    for name in (
        "engagements",
        "engagement_rate_by_reach",
        "engagement_rate_by_impressions",
        "engagements_per_post",
        "click_through_rate",
        "link_clicks",
        "conversions",
        "conversion_rate",
    ):
        result[camel(name)] = getattr(totals, name)
    result["revenue"] = _money(totals.revenue)
    result["revenuePerPost"] = _money(totals.revenue_per_post)
    for name in ("followers", "follower_growth", "profile_views", "customers", "repeat_customers"):
        result[camel(name)] = getattr(totals, name)
    result["customerLifetimeValue"] = _money(totals.lifetime_value)
    return result


def changes_json(current: Totals, previous: Totals) -> dict:
    result = {}
    for name in COMPARABLE:
        now, before = value_of(current, name), value_of(previous, name)
        result[camel(name)] = {"current": now, "previous": before, "change": change(now, before)}
    return result


def _comparison_json(item: Comparison) -> dict:
    return {
        "current": metrics_json(item.current),
        "previous": metrics_json(item.previous),
        "changes": changes_json(item.current, item.previous),
    }


def _window_json(window: Window) -> dict:
    return {
        "period": window.period.value,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
    }


def _filter_json(filters: dict) -> dict:
    return {
        "channelIds": [to_global_id("Channel", pk) for pk in filters.get("channel_ids") or ()],
        "networks": list(filters.get("platforms") or ()),
        "tags": list(filters.get("tags") or ()),
        "campaignIds": [to_global_id("Campaign", pk) for pk in filters.get("campaign_ids") or ()],
        "postIds": [to_global_id("Post", pk) for pk in filters.get("post_ids") or ()],
    }


def _channel_json(data: ReportData, channel_id: int | None, item: Comparison) -> dict:
    info = data.channels.get(channel_id) if channel_id is not None else None
    return {
        "channelId": to_global_id("Channel", channel_id) if channel_id is not None else None,
        "name": info.name if info else None,
        "handle": info.handle if info else None,
        "network": info.network if info else None,
        **_comparison_json(item),
    }


def _post_json(rank: int, row: PostRow, data: ReportData) -> dict:
    return {
        "rank": rank,
        "postId": to_global_id("Post", row.post_id),
        "publishedDay": row.published_day.isoformat(),
        "channels": [_channel_label(data, pk) for pk in row.channel_ids],
        "networks": list(row.networks),
        "excerpt": excerpt(row.text),
        "tags": list(row.tags),
        "campaign": row.campaign,
        "engagements": row.totals.engagements,
        "metrics": metrics_json(row.totals),
    }


def render_json(data: ReportData) -> bytes:
    summary = data.overview
    body = {
        "report": {
            "id": to_global_id("Report", data.report_id),
            "name": data.name,
            "frequency": data.frequency,
        },
        "workspace": {
            "id": to_global_id("Workspace", data.workspace_id),
            "name": data.workspace_name,
            "timezone": data.timezone,
        },
        "window": _window_json(data.window),
        "previousWindow": _window_json(data.window.previous()),
        "filter": _filter_json(data.filters),
        **_comparison_json(summary),
        "byChannel": sorted(
            (_channel_json(data, key, item) for key, item in summary.breakdown.items()),
            key=lambda row: ((row["name"] or "").lower(), row["channelId"] or ""),
        ),
        "byNetwork": [
            {"network": str(key), **_comparison_json(item)}
            for key, item in sorted(data.networks.items(), key=lambda pair: str(pair[0]))
        ],
        "topPosts": [_post_json(rank, row, data) for rank, row in enumerate(data.top, 1)],
        "generatedAt": data.generated_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


# report.csv


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


def _cell(text: str | None) -> str:
    """Text as a spreadsheet shows it, never as a formula it would run."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: int | float | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.6g}"
    return str(value)


def _channel_label(data: ReportData, channel_id: int) -> str:
    info = data.channels.get(channel_id)
    if info is None:
        return to_global_id("Channel", channel_id)
    return info.name


CSV_METRICS = (
    "targets",
    *METRIC_FIELDS,
    "engagements",
    "engagement_rate_by_reach",
    "engagement_rate_by_impressions",
    "click_through_rate",
    "link_clicks",
    "conversions",
    "conversion_rate",
)


def render_csv(data: ReportData) -> bytes:
    currencies = sorted({currency for row in data.posts for currency in row.totals.revenue})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "post_id",
            "published_day",
            "channels",
            "networks",
            "text_excerpt",
            "tags",
            "campaign",
            *("watch_time_seconds" if name == "watch_time_s" else name for name in CSV_METRICS),
            *(f"revenue_{currency}" for currency in currencies),
        ]
    )
    for row in data.posts:
        writer.writerow(
            [
                to_global_id("Post", row.post_id),
                row.published_day.isoformat(),
                _cell("; ".join(_channel_label(data, pk) for pk in row.channel_ids)),
                "; ".join(row.networks),
                _cell(excerpt(row.text)),
                _cell("; ".join(row.tags)),
                _cell(row.campaign),
                *(_number(getattr(row.totals, name)) for name in CSV_METRICS),
                *(_number(row.totals.revenue.get(currency)) for currency in currencies),
            ]
        )
    return out.getvalue().encode()


# chart.png


def _render_chart(data: ReportData) -> bytes:
    """Impressions (left axis) and engagements (right axis) per publishing day as lines,
    over the posts published each day as bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    days = [point.start for point in data.series]
    posts = [point.totals.posts for point in data.series]
    impressions = [_plotted(p.totals.impressions, p.totals.posts) for p in data.series]
    engagements = [_plotted(p.totals.engagements, p.totals.posts) for p in data.series]

    figure = Figure(figsize=(10, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    reach, counts = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    engaged = reach.twinx()
    marker = {"marker": "o", "markersize": 3 if len(days) <= 62 else 0}
    reach.plot(days, impressions, color="#1f77b4", label="Impressions", **marker)
    engaged.plot(days, engagements, color="#d62728", label="Engagements", **marker)
    reach.set_ylabel("Impressions", color="#1f77b4")
    engaged.set_ylabel("Engagements", color="#d62728")
    for axis in (reach, engaged):
        axis.set_ylim(bottom=0)
        axis.yaxis.get_major_locator().set_params(integer=True)
    reach.grid(axis="y", alpha=0.3)
    lines = [*reach.get_legend_handles_labels()[0], *engaged.get_legend_handles_labels()[0]]
    reach.legend(handles=lines, loc="upper left")
    counts.bar(days, posts, width=0.8, color="#7f8fa6", label="Posts")
    counts.set_ylabel("Posts")
    counts.set_ylim(bottom=0, top=max([*posts, 1]) * 1.2)
    counts.yaxis.get_major_locator().set_params(integer=True)
    locator = AutoDateLocator()
    counts.xaxis.set_major_locator(locator)
    counts.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    title = (
        f"{data.workspace_name}: {data.name}\n"
        f"{data.window.start.isoformat()} to {data.window.end.isoformat()} ({data.timezone}),"
        " by publishing day"
    )
    figure.suptitle(title.replace("$", r"\$"))  # `$` would start mathtext
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the default font
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _plotted(value: int | None, posts: int) -> float:
    """A day without posts earned nothing; a metric no network reported is left out."""
    if value is None:
        return 0.0 if posts == 0 else math.nan
    return float(value)
