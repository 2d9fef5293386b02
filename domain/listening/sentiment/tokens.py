"""Tokenising social-media text for the sentiment scorers and the language detector.

One pass of precompiled regular expressions, no lower-casing here (the scorers memoise each
distinct token, lower-cased and normalised, so case survives for ALL CAPS emphasis):

- URLs, e-mail addresses and @mentions are dropped; a hashtag keeps its word (``#mantap``);
- letters repeated three or more times are squashed to two (``sooo`` -> ``soo``,
  ``bangettt`` -> ``bangett``; the scorers try the single letter next);
- words keep inner apostrophes and hyphens (``didn't``, ``CS-nya``, ``anak-anak``);
- emoticons (``:)``, ``:'(``, ``<3``, ``^_^``, ``-_-``), emoji and ratings (``10/10``)
  are tokens of their own;
- runs of ``. , ; ! ? …`` and line breaks are boundary tokens (they end negation scope).
"""

from __future__ import annotations

import re

# Longer texts are cut here: a mention is a post, not a book, and this bounds the cost.
MAX_CHARS = 5000

_DROP = re.compile(
    r"(?:https?://|www\.)\S+"  # links
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|@\w+",  # mentions
    re.IGNORECASE,
)
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(
    r"(?<![\d:])[:;=][-'^]?(?:[)(\]\[/\\|*@]+|[dpo3v](?![^\W_]))"  # :) :-( :'( :D ;p :/
    r"|</?3+"  # <3 </3
    r"|\^_*\^|-_+-|(?<![^\W_])[tT]_[tT](?![^\W_])"  # ^^ ^_^ -_- T_T
    r"|(?<![\d/])\d{1,2}/(?:10|5)(?![\d/])"  # ratings: 10/10, 4/5
    r"|[^\W_]+(?:['\u2019-][^\W_]+)*"  # words, with inner apostrophes and hyphens
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]"  # emoji and pictographs
    r"|[.,;!?\u2026\n]+",  # boundaries
    re.IGNORECASE,
)
_ALL_CAPS = re.compile(r"[^\W\d_a-z]{2}")


def clean(text: str) -> str:
    """The text as the tokenizer reads it: bounded, without NULs, links and mentions."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if "@" in text or "://" in text or "www." in text:
        text = _DROP.sub(" ", text)
    return _ELONGATION.sub(r"\1\1", text)


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` in their original case (see the module docstring)."""
    return _TOKEN.findall(clean(text))


def may_shout(text: str) -> bool:
    """Whether ``text`` has two capital letters in a row (a cheap gate for ALL CAPS checks)."""
    return _ALL_CAPS.search(text) is not None
