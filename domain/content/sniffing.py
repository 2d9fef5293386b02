"""What a file really is, from its first bytes (magic numbers), whatever its name or the
type its uploader declared."""

from __future__ import annotations

# Enough of the head of a file to tell every accepted type apart.
HEAD_BYTES = 16

# ISO base media brands (bytes 8–12, after `ftyp`) of MP4 video. HEIF/AVIF images share the
# container (brands heic, mif1, avif, …) and are deliberately not here.
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso7",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"mp71",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"MSNV",
        b"NDAS",
        b"NDSC",
        b"NDSH",
        b"NDSM",
        b"NDSP",
        b"NDSS",
        b"NDXC",
        b"NDXH",
        b"NDXM",
        b"NDXP",
        b"NDXS",
        b"f4v ",
        b"mmp4",
    }
)
# Atoms a QuickTime movie without an `ftyp` box may start with.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def sniff(head: bytes) -> str | None:
    """The mime type of a file starting with `head`, or None when it is none of JPEG, PNG,
    GIF, WebP, MP4 or QuickTime."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    return None
