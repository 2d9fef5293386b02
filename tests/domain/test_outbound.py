"""Requests to addresses Kelola was given connect, in production, only to the address that
was just checked: resolved once, at connection time, never an internal one."""

import asyncio

import httpcore
import httpx
import pytest

from domain import outbound
from domain.settings import get_settings


class Recorder(httpcore.AsyncNetworkBackend):
    """Stands in for the socket layer: notes where it was asked to connect, then fails."""

    def __init__(self):
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, *args, **kwargs):
        self.connected.append((host, port))
        raise httpcore.ConnectError("recorded")

    async def connect_unix_socket(self, *args, **kwargs):
        raise AssertionError("no unix sockets")

    async def sleep(self, seconds):
        pass


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setattr(get_settings(), "env", "production")


def resolving(monkeypatch, *answers: list[str]) -> list[str]:
    """Each resolution gives the next answer (the last one repeats); returns the hosts asked."""
    asked: list[str] = []
    queue = list(answers)

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(outbound, "resolve_host", resolve)
    return asked


async def _connect(backend, host: str) -> str:
    with pytest.raises(httpcore.ConnectError) as error:
        await backend.connect_tcp(host, 443)
    return str(error.value)


async def test_the_connection_goes_to_the_address_that_was_checked(production, monkeypatch):
    asked = resolving(monkeypatch, ["93.184.216.34"])
    recorder = Recorder()
    await _connect(outbound._CheckedConnections(recorder), "hooks.partner.example")
    assert asked == ["hooks.partner.example"]
    assert recorder.connected == [("93.184.216.34", 443)]  # not the name: no second lookup


async def test_a_host_that_rebinds_to_an_internal_address_is_refused(production, monkeypatch):
    resolving(monkeypatch, ["93.184.216.34"], ["10.0.0.7"])
    url = "https://rebind.partner.example/hook"
    assert await outbound.address_problems(url) == []  # the check at creation passes
    recorder = Recorder()
    message = await _connect(outbound._CheckedConnections(recorder), "rebind.partner.example")
    assert "internal" in message and recorder.connected == []


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "169.254.169.254", "10.1.2.3"])
async def test_internal_literals_are_refused(production, host):
    recorder = Recorder()
    await _connect(outbound._CheckedConnections(recorder), host)
    assert recorder.connected == []


async def test_outside_production_the_host_is_passed_on(monkeypatch):
    asked = resolving(monkeypatch, ["10.0.0.7"])
    recorder = Recorder()
    await _connect(outbound._CheckedConnections(recorder), "localhost")
    assert asked == [] and recorder.connected == [("localhost", 443)]


async def test_the_guarded_client_refuses_before_connecting(production):
    async with outbound.guarded_client() as client:
        with pytest.raises(httpx.ConnectError) as error:
            await client.get("http://127.0.0.1:9/")
    assert "internal" in str(error.value)


async def test_outside_production_the_guarded_client_reaches_a_local_server():
    async def answer(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with outbound.guarded_client() as client:
            response = await client.get(f"http://127.0.0.1:{port}/")
        assert response.status_code == 200 and response.text == "ok"
    finally:
        server.close()
        await server.wait_closed()
