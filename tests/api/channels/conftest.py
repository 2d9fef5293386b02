import pytest_asyncio

from tests.api.channels.fake_networks import NetworkSeam


@pytest_asyncio.fixture
async def seam(monkeypatch):
    seam = NetworkSeam(monkeypatch)
    yield seam
    await seam.close()
