"""Deciding whether a found text is a mention of a listening query, and of whom.

A text matches when it names a brand term or hashtag or satisfies the include expression,
and does not satisfy the exclude expression; a competitor's terms make it a competitor
mention (share of voice). The languages filter applies to the detected language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from domain.listening.boolean import Expression, parse, term_matcher
from domain.listening.models import ListeningQuery


@dataclass(frozen=True)
class Match:
    terms: tuple[str, ...]
    competitor: str | None


@dataclass(frozen=True)
class CompiledQuery:
    brand: tuple[tuple[str, object], ...]
    competitors: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]
    include: Expression | None
    exclude: Expression | None
    languages: frozenset[str]

    def match(self, text: str, language: str) -> Match | None:
        if self.languages and language not in self.languages:
            return None
        lowered = text.lower()
        if self.exclude is not None and self.exclude.matcher(lowered):
            return None
        terms = [term for term, found in self.brand if found(lowered)]
        if self.include is not None and self.include.matcher(lowered):
            terms += [term for term in self.include.terms if term_matcher(term)(lowered)]
        competitor = None
        for name, competitor_terms in self.competitors:
            hits = [term for term, found in competitor_terms if found(lowered)]
            if hits and not terms:
                competitor, terms = name, hits
                break
        if not terms:
            return None
        return Match(tuple(dict.fromkeys(terms)), competitor)

    @property
    def search_terms(self) -> list[str]:
        """What to ask a network's search for (it is filtered again here)."""
        terms = [term for term, _ in self.brand]
        if self.include is not None:
            terms += list(self.include.terms)
        for _, competitor_terms in self.competitors:
            terms += [term for term, _ in competitor_terms]
        return list(dict.fromkeys(terms))


def _matchers(terms: list[str]) -> tuple[tuple[str, object], ...]:
    return tuple((term.lower(), term_matcher(term.lower())) for term in terms)


@lru_cache(maxsize=512)
def _compile(key: tuple) -> CompiledQuery:
    brand, hashtags, competitors, include, exclude, languages = key
    return CompiledQuery(
        brand=_matchers([*brand, *hashtags]),
        competitors=tuple((name, _matchers(list(terms))) for name, terms in competitors),
        include=parse(include) if include else None,
        exclude=parse(exclude) if exclude else None,
        languages=frozenset(languages),
    )


def compile_query(query: ListeningQuery) -> CompiledQuery:
    return _compile(
        (
            tuple(query.brand_terms),
            tuple(query.hashtags),
            tuple((c["name"], tuple(c["terms"])) for c in query.competitors),
            query.include_expression,
            query.exclude_expression,
            tuple(query.languages),
        )
    )
