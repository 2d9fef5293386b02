"""Local storage: streamed writes are all or nothing; signed URLs tell forged from expired."""

from __future__ import annotations

import time

import pytest

from domain.storage import LocalStorage, Signature, _signature, check_signature, signed_url


class Broken(Exception):
    pass


async def test_a_stream_that_fails_leaves_nothing_behind(tmp_path):
    storage = LocalStorage(tmp_path)

    async def chunks():
        yield b"abc"
        raise Broken

    with pytest.raises(Broken):
        await storage.write_stream("ab/file.png", chunks())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []

    async def good():
        yield b"abc"
        yield b"def"

    assert await storage.write_stream("ab/file.png", good()) == 6
    assert await storage.read("ab/file.png") == b"abcdef"
    assert b"".join([chunk async for chunk in storage.read_stream("ab/file.png")]) == b"abcdef"
    assert await storage.exists("ab/file.png")
    await storage.delete("ab/file.png")
    assert not await storage.exists("ab/file.png")


async def test_keys_cannot_escape_the_root(tmp_path):
    storage = LocalStorage(tmp_path / "media")

    async def chunks():
        yield b"x"

    with pytest.raises(ValueError):
        await storage.write_stream("../outside", chunks())


def test_signatures():
    url = signed_url("uploads", "ab/key.png", 60)
    expires, signature = (part.split("=")[1] for part in url.split("?")[1].split("&"))
    assert check_signature("uploads", "ab/key.png", expires, signature) == Signature.VALID
    assert check_signature("media", "ab/key.png", expires, signature) == Signature.INVALID
    assert check_signature("uploads", "ab/other.png", expires, signature) == Signature.INVALID
    assert check_signature("uploads", "ab/key.png", expires, "é" * 64) == Signature.INVALID
    assert check_signature("uploads", "ab/key.png", "-1", signature) == Signature.INVALID
    past = int(time.time()) - 5
    old = _signature("uploads", "ab/key.png", past)
    assert check_signature("uploads", "ab/key.png", str(past), old) == Signature.EXPIRED
    # A forged signature is INVALID even when the time has passed: no oracle on expiry.
    assert check_signature("uploads", "ab/key.png", str(past), "0" * 64) == Signature.INVALID
