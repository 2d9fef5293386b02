"""Checking alert rules as mentions arrive, in the transaction that stores them.

  WATCH_TERMS           a new mention contains a watched term (crisis words)
  INFLUENTIAL_NEGATIVE  a new negative mention by an author with at least `min_reach`
  NEGATIVE_SHARE        negative mentions are at least `threshold` of the last window (and
                        there are at least `min_mentions`)
  VOLUME_SPIKE          the last window holds at least `threshold` times the query's own
                        average per window over the previous day (and `min_mentions`)

Only the brand's mentions count (not competitors'). One incident raises one alert: while a
rule's alert is open or acknowledged and its last mention is within the cooldown, new
mentions update it instead of raising another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.functions import Count

from domain.alerts.models import (
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertMention,
    AlertRule,
    AlertStatus,
    RuleKind,
)
from domain.events import Event, emit_many
from domain.listening.boolean import term_matcher
from domain.listening.models import ListeningQuery, Mention

ALERT_EVENT_PREFIX = "alert."
BASELINE = timedelta(days=1)
_LOG_LOCK_CLASS = 0x4B4C41  # the advisory-lock namespace of the alert event logs


@dataclass(frozen=True)
class Arrival:
    """A freshly stored mention, as the rules see it."""

    id: int
    text: str
    sentiment: str
    author_reach: int | None
    published_at: datetime


async def evaluate(query: ListeningQuery, arrivals: list[Arrival], now: datetime) -> int:
    """Raise or update alerts for the query's rules; returns the alert events written."""
    if not arrivals:
        return 0
    events: list[Event] = []
    for rule in await AlertRule.filter(query_id=query.id, active=True).order_by("id"):
        triggering = await _triggering(rule, arrivals, now)
        if triggering:
            events.append(await _raise(rule, triggering, now))
    await emit_many(events)
    return len(events)


async def _window_counts(rule: AlertRule, since: datetime, until: datetime) -> tuple[int, int]:
    counts = dict(
        await Mention.filter(
            query_id=rule.query_id,
            competitor__isnull=True,
            published_at__gte=since,
            published_at__lte=until,
        )
        .annotate(count=Count("id"))
        .group_by("sentiment")
        .values_list("sentiment", "count")
    )
    negative = sum(n for label, n in counts.items() if str(label) == "NEGATIVE")
    return sum(counts.values()), negative


async def _triggering(rule: AlertRule, arrivals: list[Arrival], now: datetime) -> list[Arrival]:
    if rule.kind == RuleKind.WATCH_TERMS:
        matchers = [term_matcher(term.lower()) for term in rule.terms]
        return [a for a in arrivals if any(found(a.text.lower()) for found in matchers)]
    negative = [a for a in arrivals if a.sentiment == "NEGATIVE"]
    if rule.kind == RuleKind.INFLUENTIAL_NEGATIVE:
        return [a for a in negative if (a.author_reach or 0) >= (rule.min_reach or 0)]
    window = timedelta(minutes=rule.window_minutes)
    total, negatives = await _window_counts(rule, now - window, now)
    if total < rule.min_mentions:
        return []
    if rule.kind == RuleKind.NEGATIVE_SHARE:
        return negative if negatives / total >= (rule.threshold or 0) else []
    before, _ = await _window_counts(rule, now - window - BASELINE, now - window)
    baseline = before / (BASELINE / window)
    return arrivals if total >= (rule.threshold or 0) * max(baseline, 1.0) else []


def _summary(rule: AlertRule, count: int) -> str:
    return f"{rule.name}: {count} mention{'s' if count != 1 else ''}"[:300]


async def _raise(rule: AlertRule, triggering: list[Arrival], now: datetime) -> Event:
    await lock_event_log(rule.workspace_id)
    cooldown = now - timedelta(minutes=rule.cooldown_minutes)
    alert = (
        await Alert.filter(
            rule_id=rule.id,
            status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
            last_at__gte=cooldown,
        )
        .order_by("-id")
        .select_for_update()
        .first()
    )
    kind = AlertEventKind.UPDATED
    if alert is None:
        kind = AlertEventKind.OPENED
        alert = await Alert.create(
            workspace_id=rule.workspace_id,
            rule_id=rule.id,
            summary=_summary(rule, 0),
            first_at=now,
            last_at=now,
        )
    await AlertMention.bulk_create(
        [AlertMention(alert_id=alert.id, mention_id=a.id) for a in triggering],
        ignore_conflicts=True,
    )
    alert.mentions_count = await AlertMention.filter(alert_id=alert.id).count()
    alert.last_at, alert.summary = now, _summary(rule, alert.mentions_count)
    await alert.save(update_fields=["mentions_count", "last_at", "summary"])
    return await record_event(alert, kind)


async def lock_event_log(workspace_id: int) -> None:
    """Hold the workspace's alert log until the transaction ends, so its events commit in
    the order of their ids and a reader that has seen id N has seen every event before it.

    Taken before any alert row is locked (everywhere), so it cannot deadlock with them.
    SQLite needs nothing: it has one writer at a time.
    """
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "SELECT pg_advisory_xact_lock($1, $2)", [_LOG_LOCK_CLASS, workspace_id % 2**31]
        )


async def record_event(alert: Alert, kind: AlertEventKind) -> Event:
    """Log the event (the replay cursor) as of now; returns the domain event to emit with the
    others of the transaction (webhook deliveries, and the wake-up of live subscribers)."""
    now = datetime.now(UTC)
    event = await AlertEvent.create(
        workspace_id=alert.workspace_id, alert_id=alert.id, kind=kind, created_at=now
    )
    return Event(
        ALERT_EVENT_PREFIX + kind.value.lower(),
        alert.workspace_id,
        {
            "event_id": event.id,
            "alert_id": alert.id,
            "rule_id": alert.rule_id,
            "kind": kind.value,
            "status": alert.status.value,
            "summary": alert.summary,
            "mentions_count": alert.mentions_count,
            "first_at": alert.first_at.isoformat(),
            "last_at": alert.last_at.isoformat(),
        },
        occurred_at=now,
    )
