"""Sentiment of a mention: a score in [-1, 1] and a label, in English or Indonesian.

    >>> score("Pelayanannya ramah banget, mantap!")
    Sentiment(score=0.7959, label='POSITIVE', language='id')

``score(text)`` detects the language first (``domain.listening.language``); pass
``language`` when it is already known (any code but "en"/"id" counts as undetermined;
regional tags such as "en-US" or "id-ID" are accepted). Undetermined text ("Mantap!",
"😍😍", a language neither lexicon knows) is scored by both scorers and the stronger signal
wins; its language stays "und". The label is POSITIVE at a score >= 0.05, NEGATIVE at
<= -0.05, NEUTRAL in between (VADER's thresholds). Pure and fast: no I/O after import.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.listening import language as _language
from domain.listening.sentiment import english, indonesian
from domain.listening.sentiment.tokens import may_shout, tokenize

POSITIVE = "POSITIVE"
NEUTRAL = "NEUTRAL"
NEGATIVE = "NEGATIVE"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
THRESHOLD = 0.05

__all__ = ["LABELS", "NEGATIVE", "NEUTRAL", "POSITIVE", "Sentiment", "label_of", "score"]


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float  # in [-1, 1]
    label: str  # POSITIVE, NEUTRAL or NEGATIVE
    language: str  # "en", "id" or "und"


def label_of(value: float) -> str:
    if value >= THRESHOLD:
        return POSITIVE
    if value <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


_SCORERS = {_language.ENGLISH: english.SCORER, _language.INDONESIAN: indonesian.SCORER}


def score(text: str, language: str | None = None) -> Sentiment:
    """The sentiment of ``text``, in ``language`` ("en", "id") or the detected one."""
    if not text or text.isspace():
        return Sentiment(0.0, NEUTRAL, language_code(language) or _language.UNDETERMINED)
    tokens = tokenize(text)
    code = language_code(language) if language else _language.detect_tokens(tokens)
    shout = may_shout(text)
    exclamations = text.count("!")
    questions = text.count("?")
    scorer = _SCORERS.get(code)
    if scorer is not None:
        value = scorer.polarity(tokens, shout=shout, exclamations=exclamations, questions=questions)
    else:
        value = english.SCORER.polarity(
            tokens, shout=shout, exclamations=exclamations, questions=questions
        )
        other = indonesian.SCORER.polarity(
            tokens, shout=shout, exclamations=exclamations, questions=questions
        )
        if abs(other) > abs(value):
            value = other
    value = round(value, 4)
    return Sentiment(value, label_of(value), code)


def language_code(language: str | None) -> str:
    """The scorer code for a language tag: "en-US" -> "en", "in" -> "id", "fr" -> "und"."""
    if not language:
        return ""
    base = language.strip().lower().replace("_", "-").partition("-")[0]
    if base == "in":  # the old ISO 639 code for Indonesian
        base = _language.INDONESIAN
    return base if base in _SCORERS else _language.UNDETERMINED
