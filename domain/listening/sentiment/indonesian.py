"""Indonesian sentiment: Kelola's own lexicon over the shared engine.

``data/id_lexicon.tsv`` holds the valences (general words, customer-service vocabulary and
the English words Indonesian posts mix in), ``data/id_slang.tsv`` the informal spellings
(``gak``, ``bgt``, ``yg``, ``mantul``, ...) and ``data/id_modifiers.tsv`` the negators
(``tidak``, ``belum``, ``kurang``, ...), intensifiers before and after a word (``sangat``;
``banget``, ``parah``), dampeners (``agak``, ``lumayan``) and contrast words (``tapi``,
``namun``, ``walaupun``). Affixed words the lexicon lacks are looked up by their stem
(``dijutekin`` -> ``jutek``, ``kecewanya`` -> ``kecewa``, ``ngerusak`` -> ``rusak``).
"""

from __future__ import annotations

from collections.abc import Iterator

from domain.listening.sentiment.engine import Scorer, read_lexicon, read_modifiers, read_pairs

_PREFIXES = (
    "meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "per", "pe",
    "ber", "ter", "di", "ke", "se", "nge", "ng", "ny",
)  # fmt: skip
_SUFFIXES = (("lah", "kah", "pun"), ("nya", "ku", "mu"), ("kan", "an", "in", "i"))
_MIN_STEM = 3


def stems(word: str) -> Iterator[str]:
    """Candidate stems of an affixed word, suffixes first (``enaknya`` -> ``enak``)."""
    if len(word) < _MIN_STEM + 2 or not word.isalpha():
        return
    bare = [word]
    for group in _SUFFIXES:
        for current in list(bare):
            for suffix in group:
                if current.endswith(suffix) and len(current) - len(suffix) >= _MIN_STEM:
                    bare.append(current[: -len(suffix)])
                    break
    yield from bare[1:]
    for prefix in _PREFIXES:
        if word.startswith(prefix):
            for current in bare:
                rest = current[len(prefix) :]
                if len(rest) >= _MIN_STEM:
                    yield rest


SCORER = Scorer(
    lexicon=read_lexicon("id_lexicon.tsv"),
    signs=read_lexicon("signs.tsv"),
    modifiers=read_modifiers("id_modifiers.tsv"),
    slang=read_pairs("id_slang.tsv"),
    stem=stems,
)


def polarity(
    tokens: list[str], *, shout: bool = False, exclamations: int = 0, questions: int = 0
) -> float:
    """The Indonesian sentiment of tokenised text, in [-1, 1]."""
    return SCORER.polarity(tokens, shout=shout, exclamations=exclamations, questions=questions)
