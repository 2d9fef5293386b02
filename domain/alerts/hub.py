"""One reader of each workspace's alert log per process, shared by its live subscribers.

The log in the database is the truth; Redis pub/sub only wakes the reader. A tail
subscribes to the workspace's channel before it notes where the log ends, then reads the
log after the last event it has (on every alert wake-up, and every second regardless, so
a lost pub/sub message only delays) and keeps the latest events, with their alerts, in
memory. A thousand subscribers on one process cost one read per wake-up, not a thousand.

A subscriber follows from its own cursor: from memory when the tail still holds
everything after it, from the database otherwise (a replay). Events of a workspace
commit in the order of their ids (`evaluation.lock_event_log`), so reading "after id N"
never skips one that commits later. Announcements that may change who can see the
workspace (a member changed, an API key revoked) are passed on before any alert that
follows them, so a stream can check its subscriber first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.alerts.evaluation import ALERT_EVENT_PREFIX
from domain.alerts.models import Alert, AlertEvent
from domain.events import Event, workspace_channel
from domain.redis import get_redis
from domain.streams import ACCESS_EVENTS

logger = logging.getLogger(__name__)

WAKE_EVERY_S = 1.0
READ_LIMIT = 1000
KEEP = 2000  # events held in memory per workspace and process
KEEP_ACCESS = 100  # access announcements held per workspace and process
RETRY_AFTER_S = 1.0


@dataclass(frozen=True)
class Delivery:
    """An alert event and its alert as read from the log with it."""

    event: AlertEvent
    alert: Alert | None


async def latest_event_id(workspace_id: int) -> int:
    latest = (
        await AlertEvent.filter(workspace_id=workspace_id)
        .order_by("-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    return latest[0] if latest else 0


async def deliveries_after(workspace_id: int, after_id: int) -> list[Delivery]:
    """Up to READ_LIMIT events after a cursor, oldest first, with their alerts (two reads)."""
    events = (
        await AlertEvent.filter(workspace_id=workspace_id, id__gt=after_id)
        .order_by("id")
        .limit(READ_LIMIT)
    )
    if not events:
        return []
    alerts = {
        alert.id: alert
        for alert in await Alert.filter(
            workspace_id=workspace_id, id__in={event.alert_id for event in events}
        )
    }
    return [Delivery(event, alerts.get(event.alert_id)) for event in events]


@dataclass(frozen=True)
class Batch:
    """What a follower gets: new deliveries, and whether an announcement since the last
    batch concerns its access (checked before these deliveries are handed over)."""

    deliveries: list[Delivery] = field(default_factory=list)
    recheck: bool = False


def _announced(message: dict | None) -> tuple[str, dict[str, Any]] | None:
    """The type and data of a pub/sub message on the workspace channel."""
    if message is None or message.get("type") != "message":
        return None
    try:
        event = Event.decode(message["data"])
    except (ValueError, KeyError, TypeError):
        return None
    return event.type, event.data


class _Tail:
    """The process's reader of one workspace's log."""

    def __init__(self, workspace_id: int):
        self.workspace_id = workspace_id
        self.loop = asyncio.get_running_loop()
        self.kept: list[Delivery] = []
        self.last_id = 0
        self.kept_after = 0  # `kept` holds every event with kept_after < id <= last_id
        self.grew = asyncio.Event()
        self.access: list[tuple[str, dict[str, Any]]] = []
        self.access_seen = 0  # announcements ever noted (`access` keeps the latest)
        self.ready = asyncio.Event()
        self.followers = 0
        self.task = asyncio.create_task(self._run(), name=f"alert-tail-{workspace_id}")

    def after(self, cursor: int) -> list[Delivery] | None:
        """What memory holds after the cursor; None when it no longer reaches back that far."""
        if cursor < self.kept_after:
            return None
        return self.kept[bisect_right(self.kept, cursor, key=lambda d: d.event.id) :]

    async def _run(self) -> None:
        started = False
        while True:
            try:
                async with self._subscribed() as pubsub:
                    if not started:
                        self.last_id = self.kept_after = await latest_event_id(self.workspace_id)
                        started = True
                        self.ready.set()
                    while True:
                        await self._read()
                        await self._wait(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("alert log tail of workspace %s failed", self.workspace_id)
                await asyncio.sleep(RETRY_AFTER_S)

    @contextlib.asynccontextmanager
    async def _subscribed(self):
        pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
        channel = workspace_channel(self.workspace_id)
        await pubsub.subscribe(channel)
        try:
            yield pubsub
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(channel)
                await pubsub.aclose()

    async def _wait(self, pubsub) -> None:
        """Until an alert event is announced (or a second passes), noting access changes on
        the way; other announcements pass by."""
        deadline = self.loop.time() + WAKE_EVERY_S
        while (left := deadline - self.loop.time()) > 0:
            if self._note(await pubsub.get_message(timeout=left)):
                break
        while (pending := await pubsub.get_message(timeout=0)) is not None:
            self._note(pending)  # alerts among them are covered by the read that follows

    def _note(self, message: dict | None) -> bool:
        """Whether the message announces an alert event; access changes wake followers."""
        announced = _announced(message)
        if announced is None:
            return False
        if announced[0] in ACCESS_EVENTS:
            self.access = [*self.access[-KEEP_ACCESS + 1 :], announced]
            self.access_seen += 1
            self._wake()
        return announced[0].startswith(ALERT_EVENT_PREFIX)

    def access_since(self, seen: int) -> list[tuple[str, dict[str, Any]]] | None:
        """Announcements after the first `seen`; None when some are no longer kept."""
        missed = self.access_seen - seen
        return self.access[len(self.access) - missed :] if missed <= len(self.access) else None

    def _wake(self) -> None:
        grew, self.grew = self.grew, asyncio.Event()
        grew.set()

    async def _read(self) -> None:
        while batch := await deliveries_after(self.workspace_id, self.last_id):
            self.kept.extend(batch)
            self.last_id = batch[-1].event.id
            if len(self.kept) > 2 * KEEP:
                dropped, self.kept = self.kept[:-KEEP], self.kept[-KEEP:]
                self.kept_after = dropped[-1].event.id
            self._wake()
            if len(batch) < READ_LIMIT:
                return


_tails: dict[int, _Tail] = {}


async def _join(workspace_id: int) -> _Tail:
    tail = _tails.get(workspace_id)
    if tail is None or tail.loop is not asyncio.get_running_loop():
        tail = _tails[workspace_id] = _Tail(workspace_id)
    tail.followers += 1
    try:
        await tail.ready.wait()
    except BaseException:
        _leave(tail)
        raise
    return tail


def _leave(tail: _Tail) -> None:
    tail.followers -= 1
    if tail.followers == 0:
        tail.task.cancel()
        if _tails.get(tail.workspace_id) is tail:
            del _tails[tail.workspace_id]


async def follow(
    workspace_id: int,
    after_id: int | None,
    concerns: Callable[[str, dict[str, Any]], bool],
    idle_s: float = WAKE_EVERY_S,
) -> AsyncIterator[Batch]:
    """Batches of the workspace's alert events after the cursor (or after the end of the
    log, without one), each once and in order, for as long as the caller iterates. A batch
    says `recheck` when an access announcement it `concerns` arrived; an empty batch comes
    when nothing arrived for `idle_s`, so the caller can look up."""
    tail = await _join(workspace_id)
    try:
        last = after_id if after_id is not None else tail.last_id
        access_seen = tail.access_seen
        while True:
            grew = tail.grew
            if tail.access_seen != access_seen:
                announced = tail.access_since(access_seen)
                access_seen = tail.access_seen
                if announced is None or any(concerns(*item) for item in announced):
                    yield Batch(recheck=True)
                    continue
            deliveries = tail.after(last)
            if deliveries is None:
                deliveries = await deliveries_after(workspace_id, last)
            if not deliveries:
                try:
                    await asyncio.wait_for(grew.wait(), idle_s)
                except TimeoutError:
                    yield Batch()
                continue
            last = deliveries[-1].event.id
            yield Batch(deliveries)
    finally:
        _leave(tail)
