"""Counting text the way each network counts it; hashtags, mentions, duplicate keys."""

from __future__ import annotations

import pytest

from domain.content import text

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽 with a skin tone
FLAG_ID = "\U0001f1ee\U0001f1e9"  # 🇮🇩, two regional indicators
RED_HEART = "\u2764\ufe0f"  # ❤️ with variation selector
KEYCAP_ONE = "1\ufe0f\u20e3"  # 1️⃣


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://t.co/x", 23),
        ("http://a.io", 23),
        ("https://example.com/" + "a" * 200, 23),
        ("https://example.com/path?query=1&b=2#frag", 23),
    ],
)
def test_x_counts_every_url_as_23_whatever_its_length(url, expected):
    assert text.x_weighted_length(url) == expected
    assert text.x_weighted_length(f"see {url} now") == len("see ") + expected + len(" now")


def test_x_counts_two_urls_and_the_text_around_them():
    body = "new https://example.com/a and http://b.example/" + "x" * 80
    assert text.x_weighted_length(body) == len("new ") + 23 + len(" and ") + 23


def test_x_punctuation_after_a_url_is_text():
    assert text.x_weighted_length("Read https://example.com/post.") == len("Read ") + 23 + 1
    assert text.x_weighted_length("(https://example.com), ok!") == 1 + 23 + len("), ok!")
    wiki = "https://en.wikipedia.org/wiki/Kopi_(drink)"  # balanced parentheses are the URL's
    assert text.x_weighted_length(f"{wiki}.") == 23 + 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", 5),
        ("Halo, apa kabar?", 16),
        ("caf\u00e9", 4),
        ("cafe\u0301", 4),  # decomposed é is normalised first: one character
        ("\u65e5\u672c\u8a9e", 6),  # 日本語: CJK weighs 2
        ("\ud55c\uad6d\uc5b4", 6),  # 한국어: Hangul weighs 2
        ("\u3053\u3093\u306b\u3061\u306f", 10),  # こんにちは
        ("\u2014", 1),  # em dash is in the light ranges
        ("\u2026", 2),  # the ellipsis is not (twitter-text v3 config)
        ("\U0001f600", 2),  # 😀
        (FAMILY, 2),  # one emoji sequence, whatever its code points
        (THUMBS_UP_MEDIUM, 2),
        (FLAG_ID, 2),
        (RED_HEART, 2),
        (KEYCAP_ONE, 2),
        ("ok " + FAMILY + FAMILY, 3 + 4),
        ("", 0),
    ],
)
def test_x_weighted_length(value, expected):
    assert text.x_weighted_length(value) == expected


def test_x_limit_boundary_with_cjk():
    assert text.x_weighted_length("\u65e5" * 140) == 280
    assert text.x_weighted_length("\u65e5" * 140 + "a") == 281


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", 5),
        (FAMILY, 1),
        (FAMILY * 3, 3),
        (THUMBS_UP_MEDIUM, 1),
        (FLAG_ID, 1),
        (RED_HEART, 1),
        (KEYCAP_ONE, 1),
        ("cafe\u0301", 4),  # e + combining acute: one grapheme
        ("\u65e5\u672c\u8a9e", 3),
        ("https://example.com/" + "a" * 30, 50),  # Bluesky counts links in full
        ("", 0),
    ],
)
def test_bluesky_counts_graphemes(value, expected):
    assert text.graphemes(value) == expected
    assert text.length(value, "graphemes") == expected


def test_length_dispatches_on_the_counting_rule():
    body = FAMILY + " https://example.com/" + "a" * 40
    assert text.length(body, "x_weighted") == 2 + 1 + 23
    assert text.length(body, "graphemes") == 1 + 1 + len("https://example.com/") + 40
    assert text.length(body, "chars") == len(body)


def test_hashtags_are_extracted_in_order():
    body = "Kopi #pagi di #Jakarta_Selatan, #\u65e5\u672c and #2024vibes"
    assert text.hashtags(body) == ["pagi", "Jakarta_Selatan", "\u65e5\u672c", "2024vibes"]


def test_not_hashtags():
    # Inside a word, an HTML entity, a bare number, a lone sign, a URL fragment.
    body = "a#b &#39; #1 #2024 # https://example.com/page#section"
    assert text.hashtags(body) == []


def test_mentions_are_extracted_with_fediverse_handles():
    body = "Thanks @alice, @bob_99 and @carol@mastodon.social."
    assert text.mentions(body) == ["alice", "bob_99", "carol@mastodon.social"]


def test_not_mentions():
    body = "mail me at kopi@example.com or see https://mastodon.social/@alice, or just @"
    assert text.mentions(body) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kopi susu is back", "kopi SUSU is back"),
        ("Kopi susu is back", "  Kopi   susu\n\tis back  "),
        ("caf\u00e9 open", "cafe\u0301 open"),  # NFC vs NFD
        ("\uff2b\uff4f\uff50\uff49 time", "Kopi time"),  # full-width letters (NFKC)
        ("STRASSE", "stra\u00dfe"),  # casefold, not lower
    ],
)
def test_normalized_makes_variants_of_one_text_equal(a, b):
    assert text.normalized(a) == text.normalized(b)


def test_normalized_keeps_different_texts_apart():
    assert text.normalized("Kopi susu is back") != text.normalized("Kopi susu is back!")
    assert text.normalized("   ") == ""
