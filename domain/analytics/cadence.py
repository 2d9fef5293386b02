"""How often a published post's metrics are read, by its age.

The default (`KELOLA_METRICS_CADENCE="1d:15m,7d:1h,30d:1d"`) reads a post every 15 minutes
in its first day, hourly to day 7, daily to day 30, then never again. Readings are stored
per time bucket of the shortest interval, so a job that runs twice in one bucket writes once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from domain.settings import get_settings

_STEP = re.compile(r"^\s*(\d+)([mhd])\s*:\s*(\d+)([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Step:
    until_age: timedelta
    every: timedelta


@dataclass(frozen=True)
class Cadence:
    steps: tuple[Step, ...]

    @property
    def max_age(self) -> timedelta:
        return self.steps[-1].until_age

    @property
    def bucket(self) -> timedelta:
        return min(step.every for step in self.steps)

    def interval(self, age: timedelta) -> timedelta | None:
        """The polling interval for a post of this age; None once it is too old."""
        for step in self.steps:
            if age < step.until_age:
                return step.every
        return None

    def next_poll(self, published_at: datetime, now: datetime) -> datetime | None:
        every = self.interval(now - published_at)
        return None if every is None else now + every

    def bucket_of(self, moment: datetime) -> datetime:
        """The start of the time bucket `moment` falls in (UTC)."""
        size = int(self.bucket.total_seconds())
        seconds = int(moment.timestamp()) // size * size
        return datetime.fromtimestamp(seconds, UTC)


def parse_cadence(text: str) -> Cadence:
    """Steps like "1d:15m,7d:1h,30d:1d"; age limits must increase. ValueError otherwise."""
    steps: list[Step] = []
    for part in text.split(","):
        match = _STEP.match(part)
        if match is None:
            raise ValueError(f"bad metrics cadence step {part!r}; expected e.g. 7d:1h")
        until = timedelta(**{_UNITS[match[2]]: int(match[1])})
        every = timedelta(**{_UNITS[match[4]]: int(match[3])})
        if every <= timedelta(0) or (steps and until <= steps[-1].until_age):
            raise ValueError(f"metrics cadence step {part!r} is out of order or empty")
        steps.append(Step(until, every))
    if not steps:
        raise ValueError("metrics cadence has no steps")
    return Cadence(tuple(steps))


@lru_cache
def _cached(text: str) -> Cadence:
    return parse_cadence(text)


def current_cadence() -> Cadence:
    return _cached(get_settings().metrics_cadence)
