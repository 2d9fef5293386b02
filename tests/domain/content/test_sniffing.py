"""Telling a file's real type from its first bytes."""

from __future__ import annotations

import pytest

from domain.content.sniffing import sniff
from tests.api.content.media_support import jpeg, mp4, png


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (png(), "image/png"),
        (jpeg(), "image/jpeg"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (mp4(), "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", None),  # a HEIF image, not a video
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"%PDF-1.7", None),
        (b"", None),
        (b"\xff\xd8", None),
    ],
)
def test_sniff(head: bytes, expected: str | None):
    assert sniff(head) == expected
