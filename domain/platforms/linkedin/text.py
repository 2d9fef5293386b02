"""Post text in LinkedIn's "little text format"
(https://learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format).

`commentary` is markup: `| { } @ [ ] ( ) < > # \\ * _ ~` are reserved and must be escaped
with a backslash, or LinkedIn silently drops text after them. Hashtags are written as the
template `{hashtag|\\#|word}`, so a `#word` in Kelola's text stays a live hashtag while a
stray `#` is escaped.
"""

from __future__ import annotations

import re

RESERVED = set("|{}@[]()<>#\\*_~")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
TEMPLATE = re.compile(r"\{hashtag\|\\#\|(\w+)\}")
ESCAPED = re.compile(r"\\(.)")


def to_commentary(text: str) -> str:
    parts, last = [], 0
    for match in HASHTAG.finditer(text):
        parts.append(_escape(text[last : match.start()]))
        parts.append(f"{{hashtag|\\#|{match.group(1)}}}")
        last = match.end()
    parts.append(_escape(text[last:]))
    return "".join(parts)


def from_commentary(commentary: str) -> str:
    """The plain text a commentary shows, for matching a post LinkedIn returns."""
    return ESCAPED.sub(r"\1", TEMPLATE.sub(r"#\1", commentary))


def _escape(text: str) -> str:
    return "".join(f"\\{char}" if char in RESERVED else char for char in text)
