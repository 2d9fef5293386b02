"""Building tracked links' destinations: UTM parameters, slugs, which URLs qualify."""

from __future__ import annotations

import pytest

from domain.analytics.links import destination_for, short_url, slug, url_problem, with_query
from domain.errors import ErrorCode


def test_slugs():
    assert slug("Ramadan Sale 2027!") == "ramadan-sale-2027"
    assert slug("  Kopi & Teh — Édition  ") == "kopi-teh-édition"
    assert slug("!!!") == ""
    assert len(slug("a" * 300)) == 100


def test_destination_with_everything_known():
    assert destination_for(
        "https://k.example/p?x=1#f", source="LINKEDIN", campaign="Big Launch", post_id=9
    ) == (
        "https://k.example/p?x=1&utm_source=linkedin&utm_medium=social"
        "&utm_campaign=big-launch&utm_content=post-9#f"
    )


def test_destination_defaults_and_the_users_own_utm_values():
    assert destination_for("http://k.example", source=None, campaign=None, post_id=None) == (
        "http://k.example?utm_source=kelola&utm_medium=social&utm_campaign=kelola"
    )
    kept = destination_for(
        "https://k.example/?utm_medium=email&utm_content=hero",
        source="X",
        campaign="!!!",
        post_id=3,
    )
    assert kept == (
        "https://k.example/?utm_medium=email&utm_content=hero&utm_source=x&utm_campaign=kelola"
    )


def test_with_query_keeps_the_existing_query_verbatim():
    assert with_query("https://k.example/?q=a+b&e=%C3%A9", [("n", "x y")]) == (
        "https://k.example/?q=a+b&e=%C3%A9&n=x+y"
    )
    assert with_query("https://k.example/p", []) == "https://k.example/p"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://k.example", None),
        ("HTTPS://K.EXAMPLE/path?x#y", None),
        ("http://[::1]:8080/", None),
        ("http://[::1/", ErrorCode.INVALID),
        ("javascript:alert(1)", ErrorCode.INVALID),
        ("https:///path", ErrorCode.INVALID),
        ("https://k.example/\r\nx", ErrorCode.INVALID),
        ("https://k.example/\x00", ErrorCode.INVALID),
        ("   ", ErrorCode.REQUIRED),
        ("https://k.example/" + "a" * 2040, ErrorCode.TOO_LONG),
    ],
)
def test_which_urls_can_be_tracked(url, code):
    problem = url_problem(url)
    assert (problem[0] if problem else None) == code


def test_short_urls_use_the_public_url():
    assert short_url("Abcd1234") == "http://127.0.0.1:8000/l/Abcd1234"
