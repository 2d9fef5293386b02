"""Recurring posts by RRULE, in wall-clock time of a zone.

The rule runs over naive local times (09:00 every Monday), and each occurrence becomes an
instant through the zone only then: 09:00 stays 09:00 across DST. A time that does not
exist on a spring-forward day moves forward by the gap; a repeated autumn time takes its
first occurrence.

Occurrences are real posts (copies of the template, one per occurrence) created ahead, up
to a year and at most MAX_AHEAD of them, so the calendar shows them and each can be edited
or cancelled on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from domain.errors import ErrorCode, Problems

HORIZON = timedelta(days=366)
MAX_AHEAD = 60
MAX_RULE_LENGTH = 500
_TOO_FREQUENT = ("FREQ=SECONDLY", "FREQ=MINUTELY")


@dataclass(frozen=True)
class Occurrence:
    index: int
    local: datetime  # naive wall-clock time
    at: datetime  # the instant, UTC


def parse_rule(problems: Problems, rule: str, starts_local: datetime) -> rrule | None:
    """The rule, or None with the problems recorded (field `recurrence`)."""
    text = rule.strip().removeprefix("RRULE:")
    if not text or len(text) > MAX_RULE_LENGTH:
        problems.add("recurrence", ErrorCode.INVALID, "recurrence must be an RRULE")
        return None
    upper = text.upper()
    if any(part in upper for part in _TOO_FREQUENT):
        problems.add("recurrence", ErrorCode.INVALID, "a post repeats at most hourly")
        return None
    if "DTSTART" in upper:
        problems.add("recurrence", ErrorCode.INVALID, "give the start as `at`, not DTSTART")
        return None
    try:
        parsed = rrulestr(text, dtstart=starts_local)
    except (ValueError, TypeError) as error:
        problems.add("recurrence", ErrorCode.INVALID, f"recurrence is not a valid RRULE: {error}")
        return None
    if not isinstance(parsed, rrule):
        problems.add("recurrence", ErrorCode.INVALID, "give a single RRULE")
        return None
    return parsed


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def occurrences(
    parsed: rrule, timezone: str, *, after: datetime, until: datetime, start_index: int = 0
) -> list[Occurrence]:
    """Occurrences whose instant is after `after` and not after `until` (both UTC), at most
    MAX_AHEAD of them; indexes count from the rule's start."""
    zone = ZoneInfo(timezone)
    found: list[Occurrence] = []
    for index, local in enumerate(parsed):
        instant = to_instant(local, zone)
        if instant > until or len(found) >= MAX_AHEAD:
            break
        if index >= start_index and instant > after:
            found.append(Occurrence(index, local, instant))
    return found
