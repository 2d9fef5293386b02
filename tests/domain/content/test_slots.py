"""Queue slots are wall-clock times: 09:00 stays 09:00 local across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.content.models import QueueSlot
from domain.content.scheduling import slot_instants

NEW_YORK = ZoneInfo("America/New_York")
SUNDAY = 6


def slots(*times: tuple[int, str], timezone: str = "America/New_York") -> list[QueueSlot]:
    rows = []
    for weekday, clock in times:
        hours, minutes = map(int, clock.split(":"))
        rows.append(
            QueueSlot(weekday=weekday, minute_of_day=hours * 60 + minutes, timezone=timezone)
        )
    return rows


def local(instant: datetime) -> str:
    return instant.astimezone(NEW_YORK).strftime("%Y-%m-%d %a %H:%M %Z")


def test_nine_oclock_stays_nine_oclock_across_the_fall_back():
    # Clocks go back from 02:00 EDT to 01:00 EST on Sunday 2026-11-01.
    instants = slot_instants(
        slots((SUNDAY, "09:00")), after=datetime(2026, 10, 20, tzinfo=UTC), days=20
    )
    assert [local(i) for i in instants] == [
        "2026-10-25 Sun 09:00 EDT",
        "2026-11-01 Sun 09:00 EST",
        "2026-11-08 Sun 09:00 EST",
    ]
    assert [i.astimezone(UTC).hour for i in instants] == [13, 14, 14]
    assert all(i.tzinfo is not None and i.utcoffset().total_seconds() == 0 for i in instants)


def test_nine_oclock_stays_nine_oclock_across_the_spring_forward():
    # Clocks jump from 02:00 EST to 03:00 EDT on Sunday 2027-03-14.
    instants = slot_instants(
        slots((SUNDAY, "09:00")), after=datetime(2027, 3, 1, 12, tzinfo=UTC), days=20
    )
    assert [local(i) for i in instants] == [
        "2027-03-07 Sun 09:00 EST",
        "2027-03-14 Sun 09:00 EDT",
        "2027-03-21 Sun 09:00 EDT",
    ]
    assert [i.astimezone(UTC).hour for i in instants] == [14, 13, 13]


def test_daily_slots_keep_their_local_time_every_day_of_the_change_week():
    week = slots(*((day, "09:00") for day in range(7)))
    instants = slot_instants(week, after=datetime(2026, 10, 29, 12, tzinfo=UTC), days=6)
    assert [local(i)[-9:] for i in instants] == ["09:00 EDT"] * 3 + ["09:00 EST"] * 4
    assert len({i.astimezone(NEW_YORK).date() for i in instants}) == len(instants)


def test_a_slot_in_the_spring_forward_gap_moves_forward_by_the_gap():
    instants = slot_instants(
        slots((SUNDAY, "02:30")), after=datetime(2027, 3, 13, tzinfo=UTC), days=2
    )
    assert [local(i) for i in instants] == ["2027-03-14 Sun 03:30 EDT"]
    assert instants[0] == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)


def test_a_slot_in_the_repeated_hour_is_taken_once_at_its_first_occurrence():
    instants = slot_instants(
        slots((SUNDAY, "01:30")), after=datetime(2026, 10, 31, tzinfo=UTC), days=2
    )
    assert instants == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT
    assert local(instants[0]) == "2026-11-01 Sun 01:30 EDT"


def test_only_instants_after_the_given_moment_in_order():
    after = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # exactly Sunday 09:00 EST
    instants = slot_instants(
        slots((SUNDAY, "09:00"), (SUNDAY, "17:30"), (0, "08:15")), after=after, days=8
    )
    assert [local(i) for i in instants] == [
        "2026-11-01 Sun 17:30 EST",
        "2026-11-02 Mon 08:15 EST",
        "2026-11-08 Sun 09:00 EST",
        "2026-11-08 Sun 17:30 EST",
        "2026-11-09 Mon 08:15 EST",  # the horizon counts local days from `after`
    ]


def test_weekday_is_the_local_weekday_not_the_utc_one():
    # Monday 08:00 in Asia/Jakarta is Monday 01:00 UTC; in Honolulu it is Monday 18:00 UTC.
    jakarta = slot_instants(
        slots((0, "08:00"), timezone="Asia/Jakarta"),
        after=datetime(2026, 11, 1, tzinfo=UTC),
        days=7,
    )
    assert jakarta == [datetime(2026, 11, 2, 1, 0, tzinfo=UTC)]
    honolulu = slots((0, "08:00"), timezone="Pacific/Honolulu")
    assert slot_instants(honolulu, after=datetime(2026, 11, 1, tzinfo=UTC), days=7) == [
        datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    ]


def test_no_slots_no_instants():
    assert slot_instants([], after=datetime(2026, 11, 1, tzinfo=UTC)) == []
