"""English sentiment: VADER's lexicon and rules, re-implemented for speed.

The lexicon is VADER's (``data/vader_lexicon.tsv``, MIT) with Kelola's additions and
overrides for customer messages (``data/en_lexicon.tsv``) and the shared emoji table; the
negators, boosters and contrast words are in ``data/en_modifiers.tsv``. See ``engine`` for
the rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from domain.listening.sentiment.engine import Scorer, read_lexicon, read_modifiers


def stems(word: str) -> Iterator[str]:
    """Base forms of an inflected word the lexicon lacks (``disconnecting`` ->
    ``disconnect``, ``dropped`` -> ``drop``, ``replies`` -> ``reply``)."""
    if len(word) < 5 or not word.isalpha():
        return
    if word.endswith("ing"):
        base = word[:-3]
        yield base
        yield base + "e"
        if base[-1] == base[-2]:
            yield base[:-1]
    elif word.endswith("ied") or word.endswith("ies"):
        yield word[:-3] + "y"
    elif word.endswith("ed"):
        base = word[:-2]
        yield base
        yield base + "e"
        if base[-1] == base[-2]:
            yield base[:-1]
    elif word.endswith("es"):
        yield word[:-2]
        yield word[:-1]
    elif word.endswith("s") and not word.endswith("ss"):
        yield word[:-1]


SCORER = Scorer(
    lexicon=read_lexicon("vader_lexicon.tsv", "en_lexicon.tsv"),
    signs=read_lexicon("signs.tsv"),
    modifiers=read_modifiers("en_modifiers.tsv"),
    stem=stems,
)


def polarity(
    tokens: list[str], *, shout: bool = False, exclamations: int = 0, questions: int = 0
) -> float:
    """The English sentiment of tokenised text, in [-1, 1]."""
    return SCORER.polarity(tokens, shout=shout, exclamations=exclamations, questions=questions)
