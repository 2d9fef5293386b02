"""The per-network rules table, through check_content with unsaved channels of each network.

Only sandbox channels can be connected in this build, so the networks' rules are exercised
here, on the pure function every schedule and postValidate runs.
"""

from __future__ import annotations

import itertools

import pytest

from domain.channels.models import Channel
from domain.content.models import Media, MediaKind, Post
from domain.content.rules import RULES
from domain.content.validation import Candidate, RuleCode, Severity, check_content
from domain.platforms.base import Platform

MB = 1024 * 1024
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
_ids = itertools.count(1)


def image(mime: str = "image/jpeg", size: int = 200_000, alt: str | None = "a cup of kopi"):
    return Media(
        id=next(_ids),
        kind=MediaKind.GIF if mime == "image/gif" else MediaKind.IMAGE,
        mime_type=mime,
        size_bytes=size,
        alt_text=alt,
        storage_key=f"k{next(_ids)}",
    )


def video(seconds: float = 30, size: int = 10 * MB, mime: str = "video/mp4"):
    return Media(
        id=next(_ids),
        kind=MediaKind.VIDEO,
        mime_type=mime,
        size_bytes=size,
        duration_s=seconds,
        storage_key=f"k{next(_ids)}",
    )


def check(
    platform: Platform, body: str = "Kopi susu is back", media: list | None = None, **post
) -> list:
    channel = Channel(id=42, platform=platform, name="acct", external_account_id="1")
    candidate = Candidate(channel=channel, text=body, media=media or [], at=None)
    return check_content(Post(body=body, **post), candidate)


def errors(findings: list) -> list[str]:
    return sorted(f.code.value for f in findings if f.severity == Severity.ERROR)


def warnings(findings: list) -> list[str]:
    return sorted(f.code.value for f in findings if f.severity == Severity.WARNING)


def test_every_network_has_rules():
    assert set(RULES) == set(Platform)


@pytest.mark.parametrize(
    ("platform", "limit", "unit", "media"),
    [
        (Platform.X, 280, "a", []),
        (Platform.BLUESKY, 300, "a", []),
        (Platform.MASTODON, 500, "a", []),
        (Platform.LINKEDIN, 3000, "a", []),
        (Platform.INSTAGRAM, 2200, "a", "image"),
        (Platform.PINTEREST, 500, "a", "image"),
        (Platform.FACEBOOK, 63206, "a", []),
        (Platform.SANDBOX, 1000, "a", []),
    ],
)
def test_text_limit_of_each_network(platform, limit, unit, media):
    attached = [image()] if media else []
    extra = {"title": "Kopi"} if platform == Platform.PINTEREST else {}
    assert errors(check(platform, unit * limit, attached, **extra)) == []
    too_long = check(platform, unit * (limit + 1), attached, **extra)
    assert errors(too_long) == ["TEXT_TOO_LONG"]
    finding = next(f for f in too_long if f.code == RuleCode.TEXT_TOO_LONG)
    assert finding.field == "body" and finding.channel_id == 42
    assert str(limit + 1) in finding.message


def test_x_counts_weighted_characters():
    url = "https://example.com/" + "a" * 200
    assert errors(check(Platform.X, "a" * 256 + " " + url)) == []  # 256 + 1 + 23 = 280
    assert errors(check(Platform.X, "a" * 257 + " " + url)) == ["TEXT_TOO_LONG"]
    assert errors(check(Platform.X, "\u65e5" * 140)) == []  # 140 CJK = 280
    assert errors(check(Platform.X, "\u65e5" * 141)) == ["TEXT_TOO_LONG"]
    assert errors(check(Platform.X, "\U0001f600" * 141)) == ["TEXT_TOO_LONG"]


def test_bluesky_counts_graphemes():
    assert errors(check(Platform.BLUESKY, FAMILY * 300)) == []  # 2,100 code points
    assert errors(check(Platform.BLUESKY, FAMILY * 301)) == ["TEXT_TOO_LONG"]
    # A link counts in full on Bluesky (no shortening), unlike on X.
    long_link = "https://example.com/" + "a" * 290
    assert errors(check(Platform.BLUESKY, long_link)) == ["TEXT_TOO_LONG"]
    assert errors(check(Platform.X, long_link)) == []


def test_instagram_requires_media():
    assert errors(check(Platform.INSTAGRAM)) == ["MEDIA_REQUIRED"]
    assert errors(check(Platform.INSTAGRAM, media=[image()])) == []
    assert errors(check(Platform.INSTAGRAM, media=[video()])) == []


def test_instagram_allows_30_hashtags():
    tags = " ".join(f"#kopi{n}x" for n in range(30))
    assert errors(check(Platform.INSTAGRAM, tags, [image()])) == []
    assert errors(check(Platform.INSTAGRAM, tags + " #satu", [image()])) == ["TOO_MANY_HASHTAGS"]


def test_instagram_media_types_and_links():
    assert errors(check(Platform.INSTAGRAM, media=[image("image/png")])) == [
        "MEDIA_TYPE_NOT_ALLOWED"
    ]
    assert errors(check(Platform.INSTAGRAM, media=[image("image/gif")])) == [
        "MEDIA_TYPE_NOT_ALLOWED"
    ]
    findings = check(Platform.INSTAGRAM, media=[image()], link="https://kopi.example")
    assert errors(findings) == []
    assert warnings(findings) == ["LINK_NOT_CLICKABLE"]


def test_pinterest_requires_media_and_limits_the_title():
    assert errors(check(Platform.PINTEREST, title="Kopi")) == ["MEDIA_REQUIRED"]
    assert errors(check(Platform.PINTEREST, media=[image()], title="t" * 100)) == []
    assert errors(check(Platform.PINTEREST, media=[image()], title="t" * 101)) == ["TITLE_TOO_LONG"]
    untitled = check(Platform.PINTEREST, media=[image()])
    assert errors(untitled) == [] and warnings(untitled) == ["TITLE_MISSING"]
    long_link = "https://kopi.example/" + "a" * 2048
    assert errors(check(Platform.PINTEREST, media=[image()], title="t", link=long_link)) == [
        "LINK_TOO_LONG"
    ]
    assert warnings(check(Platform.PINTEREST, media=[image()], title="t", first_comment="hi")) == [
        "FIRST_COMMENT_NOT_SUPPORTED"
    ]


def test_x_media_rules():
    assert errors(check(Platform.X, media=[image()] * 4)) == []
    assert errors(check(Platform.X, media=[image()] * 5)) == ["TOO_MANY_MEDIA"]
    assert errors(check(Platform.X, media=[video(), video()])) == ["TOO_MANY_MEDIA"]
    assert errors(check(Platform.X, media=[video(), image()])) == ["MEDIA_MIX_NOT_ALLOWED"]
    assert errors(check(Platform.X, media=[video(seconds=141)])) == ["VIDEO_TOO_LONG"]
    assert errors(check(Platform.X, media=[image(size=6 * MB)])) == ["MEDIA_TOO_LARGE"]


def test_bluesky_media_rules():
    assert errors(check(Platform.BLUESKY, media=[image(size=2 * MB)])) == ["MEDIA_TOO_LARGE"]
    assert errors(check(Platform.BLUESKY, media=[image()] * 5)) == ["TOO_MANY_MEDIA"]
    assert errors(check(Platform.BLUESKY, media=[video(mime="video/x-msvideo")])) == [
        "MEDIA_TYPE_NOT_ALLOWED"
    ]


def test_polls_only_where_the_network_has_them():
    poll = {"options": ["yes", "no"], "duration_minutes": 60}
    for platform in (Platform.X, Platform.LINKEDIN, Platform.MASTODON, Platform.SANDBOX):
        assert errors(check(platform, poll=poll)) == [], platform
    assert errors(check(Platform.BLUESKY, poll=poll)) == ["POLL_NOT_SUPPORTED"]
    assert errors(check(Platform.FACEBOOK, poll=poll)) == ["POLL_NOT_SUPPORTED"]


def test_empty_post_needs_text_or_media():
    assert errors(check(Platform.MASTODON, "   ")) == ["TEXT_REQUIRED"]
    assert errors(check(Platform.MASTODON, "", [image()])) == []


def test_missing_alt_text_warns_without_blocking():
    findings = check(Platform.MASTODON, media=[image(alt=None)])
    assert errors(findings) == []
    assert warnings(findings) == ["ALT_TEXT_MISSING"]
    assert all(f.severity == Severity.WARNING for f in findings)


def test_every_violated_rule_is_reported_not_just_the_first():
    body = "x" * 2200 + " " + " ".join(f"#t{n}x" for n in range(31))
    body += " " + " ".join(f"@user{n}" for n in range(21))
    findings = check(
        Platform.INSTAGRAM,
        body,
        poll={"options": ["a", "b"], "duration_minutes": 60},
        link="https://kopi.example",
    )
    assert errors(findings) == [
        "MEDIA_REQUIRED",
        "POLL_NOT_SUPPORTED",
        "TEXT_TOO_LONG",
        "TOO_MANY_HASHTAGS",
        "TOO_MANY_MENTIONS",
    ]
    assert warnings(findings) == ["LINK_NOT_CLICKABLE"]


def test_every_media_problem_is_reported():
    media = [video(seconds=200), video(), image("image/bmp", size=9 * MB, alt=None), image()]
    media += [image()]
    assert errors(check(Platform.X, media=media)) == [
        "MEDIA_MIX_NOT_ALLOWED",
        "MEDIA_TOO_LARGE",
        "MEDIA_TYPE_NOT_ALLOWED",
        "TOO_MANY_MEDIA",
        "TOO_MANY_MEDIA",
        "VIDEO_TOO_LONG",
    ]
