"""Plumbing shared by the fake networks: a transport with real-world timing failures, and the
plan of which failure to inject where.

An httpx transport that serves a fake network's ASGI app with real-world timing failures:

`httpx.ASGITransport` calls the app in-process and enforces no timeouts, so a fake that
sleeps would simply block. This transport applies the request's own read timeout and raises
`httpx.ReadTimeout` like the network stack would (the app keeps whatever it stored before
the deadline, exactly like a server that committed a post and then answered too late), and
can refuse connections outright to reproduce `httpx.ConnectError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp


class FakeNetworkTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp, *, refuse: Callable[[], bool] = lambda: False):
        self._inner = httpx.ASGITransport(app=app)
        self._refuse = refuse

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._refuse():
            raise httpx.ConnectError("connection refused", request=request)
        read_timeout = request.extensions.get("timeout", {}).get("read")
        try:
            return await asyncio.wait_for(
                self._inner.handle_async_request(request), timeout=read_timeout
            )
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the answer", request=request) from None


def fake_client(
    app: ASGIApp,
    *,
    read_timeout: float = 0.2,
    refuse: Callable[[], bool] = lambda: False,
) -> httpx.AsyncClient:
    """A client like Kelola's shared one, with a short read timeout so slow modes stay fast."""
    return httpx.AsyncClient(
        transport=FakeNetworkTransport(app, refuse=refuse),
        timeout=httpx.Timeout(read_timeout, connect=1.0),
    )


@dataclass
class Recorded:
    """One request as the fake received it, for assertions on the request's shape."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class _Failure:
    mode: str
    on: frozenset[str]
    times: int | None
    skip: int


@dataclass
class FailurePlan:
    """Which failure a fake injects into which requests. `on` names requests as
    "METHOD /path" (exact path); empty means every request. The first `skip` matching
    requests pass untouched; `times` limits how often the failure strikes after that."""

    slow_seconds: float = 1.0
    refuse_connections: bool = False
    requests: list[Recorded] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)

    def fail(
        self, mode: str, *, on: tuple[str, ...] = (), times: int | None = None, skip: int = 0
    ) -> None:
        self._failures.append(_Failure(mode, frozenset(on), times, skip))

    def clear_failures(self) -> None:
        self._failures.clear()

    def failure_for(self, method: str, path: str) -> str | None:
        for failure in self._failures:
            if failure.on and f"{method} {path}" not in failure.on:
                continue
            if failure.skip > 0:
                failure.skip -= 1
                continue
            if failure.times is not None:
                if failure.times <= 0:
                    continue
                failure.times -= 1
            return failure.mode
        return None

    def recorded(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]
