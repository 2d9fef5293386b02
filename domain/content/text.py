"""Counting text the way each network counts it."""

from __future__ import annotations

import unicodedata

import regex

# A URL ends before trailing punctuation; parentheses belong to it only when balanced.
URL_PATTERN = regex.compile(
    r"""https?://(?:\([^\s()<>"']*\)|[^\s()<>"'])+(?<![.,;:!?])""", regex.IGNORECASE
)
# A hashtag has at least one letter (#2024 is not one); a handle may name its server.
HASHTAG_PATTERN = regex.compile(r"(?<![\w&])#(\w*[^\W\d_]\w*)")
MENTION_PATTERN = regex.compile(r"(?<![\w.])@(\w+(?:@[\w-]+(?:\.[\w-]+)+)?)")
GRAPHEME = regex.compile(r"\X")
X_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, everything else 2, emoji 2 per sequence.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def graphemes(text: str) -> int:
    return len(GRAPHEME.findall(text))


def _is_emoji(cluster: str) -> bool:
    return any(
        ord(char) >= 0x1F000 or 0x2600 <= ord(char) <= 0x27BF or char == "\ufe0f"
        for char in cluster
    )


def x_weighted_length(text: str) -> int:
    """X's weighted length: URLs count 23, CJK and emoji count 2."""
    text = unicodedata.normalize("NFC", text)
    urls = URL_PATTERN.findall(text)
    rest = URL_PATTERN.sub("", text)
    weight = X_URL_WEIGHT * len(urls)
    for cluster in GRAPHEME.findall(rest):
        if _is_emoji(cluster):
            weight += 2
            continue
        for char in cluster:
            point = ord(char)
            light = any(low <= point <= high for low, high in _X_LIGHT_RANGES)
            weight += 1 if light else 2
    return weight


def length(text: str, counting: str) -> int:
    match counting:
        case "x_weighted":
            return x_weighted_length(text)
        case "graphemes":
            return graphemes(text)
    return len(text)


def hashtags(text: str) -> list[str]:
    """Hashtags outside links (a URL's #fragment is not one)."""
    return HASHTAG_PATTERN.findall(URL_PATTERN.sub(" ", text))


def mentions(text: str) -> list[str]:
    """Mentions outside links (mastodon.social/@alice is a link, not a mention)."""
    return MENTION_PATTERN.findall(URL_PATTERN.sub(" ", text))


def normalized(text: str) -> str:
    """For duplicate detection: case, spacing and Unicode form do not make a post new."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
