"""Pinterest analytics: which metric types are asked for and what they mean for Kelola.

Pin analytics (pins/analytics, multi_pins/analytics; PinAnalyticsMetricsResponse) report
IMPRESSION, SAVE, PIN_CLICK, OUTBOUND_CLICK and lifetime TOTAL_COMMENTS / TOTAL_REACTIONS;
video pins also VIDEO_MRC_VIEW ("Video views") and VIDEO_V50_WATCH_TIME ("Total play
time", milliseconds: the ads reporting names the same figure
VIDEO_SUM_V50_WATCHTIME_IN_MILLISECOND). User account analytics (user_account/analytics,
AnalyticsResponse) report PROFILE_VISIT per day with a data_status; it is answered when no
metric_types filter is given, though not among the documented filter values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.platforms.base import PostMetrics

ANALYTICS_DAYS = 90  # the furthest back pin analytics reach
METRIC_TYPES = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,TOTAL_REACTIONS"
VIDEO_METRIC_TYPES = "VIDEO_MRC_VIEW,VIDEO_V50_WATCH_TIME"
BULK_PINS = 100  # /pins/analytics takes at most 100 pin_ids
PROFILE_VISIT_DAYS = 3  # user analytics lag; the latest reported day within these counts
REPORTED = frozenset({"READY", "ESTIMATE"})
AUTHENTICATION_FAILED = 2  # Pinterest's error code for a bad token (others: access to a pin)


def dates(days: int) -> dict[str, str]:
    """start_date and end_date (UTC) covering the last `days` days, today included."""
    today = datetime.now(UTC).date()
    return {
        "start_date": (today - timedelta(days=days - 1)).isoformat(),
        "end_date": today.isoformat(),
    }


def bulk_refused(response: httpx.Response) -> bool:
    """Whether the multi-pin read is unavailable for this batch (a beta the app may lack, a
    pin gone or not ours) rather than failed: a 401 only counts as the token's failure with
    Pinterest's authentication error code."""
    status = response.status_code
    return status in (400, 403, 404) or (
        status == 401 and _error_code(response) != AUTHENTICATION_FAILED
    )


def latest_profile_visits(report: dict[str, Any]) -> int | None:
    """PROFILE_VISIT of the latest day whose figures are ready (or estimated)."""
    days = [
        day
        for day in (report.get("all") or {}).get("daily_metrics") or []
        if day.get("data_status") in REPORTED
        and isinstance((day.get("metrics") or {}).get("PROFILE_VISIT"), int | float)
    ]
    latest = max(days, key=lambda day: str(day.get("date")), default=None)
    return number(latest["metrics"]["PROFILE_VISIT"]) if latest else None


def pin_metrics(pin_id: str, report: dict[str, Any]) -> PostMetrics:
    """Lifetime figures where Pinterest has them (all pins created since March 2023), else
    the summary of the last 90 days."""
    lifetime = report.get("lifetime_metrics") or {}
    summary = report.get("summary_metrics") or {}

    def value(name: str) -> int | None:
        found = lifetime.get(name, summary.get(name))
        return int(found) if isinstance(found, int | float) else None

    watched = value("VIDEO_V50_WATCH_TIME")  # milliseconds
    return PostMetrics(
        network_post_id=pin_id,
        impressions=value("IMPRESSION"),
        saves=value("SAVE"),
        clicks=value("OUTBOUND_CLICK"),
        likes=value("TOTAL_REACTIONS"),
        comments=value("TOTAL_COMMENTS"),
        video_views=value("VIDEO_MRC_VIEW"),
        watch_time_s=round(watched / 1000) if watched is not None else None,
    )


def number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _error_code(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None
