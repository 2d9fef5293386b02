"""Boolean search expressions for listening queries.

    kopi AND (susu OR "gula aren") NOT -robusta
    #kopikita OR @kopikita OR "kopi kita"

Words, "quoted phrases", #hashtags and @handles match case-insensitively on word
boundaries; AND (also implied between neighbours), OR, NOT (or a leading `-`) and
parentheses combine them, NOT binding tightest, then AND, then OR. A malformed expression
(empty, unbalanced parentheses, an operator without an operand) raises BooleanSyntaxError
with the position of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_LENGTH = 1000
MAX_TERMS = 100

_TOKEN = re.compile(
    r'\s*(?:(?P<open>\()|(?P<close>\))|"(?P<phrase>[^"]*)"|(?P<unclosed>")|'
    r"(?P<word>[^\s()\"]+))"
)
_OPERATORS = {"AND", "OR", "NOT"}
_WORD_CHARS = r"[\w#@]"


class BooleanSyntaxError(ValueError):
    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


@dataclass(frozen=True)
class _Token:
    kind: str  # open, close, term, AND, OR, NOT
    text: str
    position: int


Matcher = Callable[[str], bool]


def _tokens(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None:  # pragma: no cover - the pattern accepts any non-space character
            raise BooleanSyntaxError("unexpected character", position)
        start = match.start(match.lastgroup) - (match.lastgroup == "phrase")  # its quote
        if match.lastgroup == "unclosed":
            raise BooleanSyntaxError("a quote is not closed", start)
        if match.lastgroup == "open":
            tokens.append(_Token("open", "(", start))
        elif match.lastgroup == "close":
            tokens.append(_Token("close", ")", start))
        elif match.lastgroup == "phrase":
            phrase = " ".join(match["phrase"].split())
            if not phrase:
                raise BooleanSyntaxError("an empty phrase", start)
            tokens.append(_Token("term", phrase.lower(), start))
        else:
            word = match["word"]
            if word in _OPERATORS:
                tokens.append(_Token(word, word, start))
            elif word.startswith("-") and len(word) > 1:
                tokens.append(_Token("NOT", "-", start))
                tokens.append(_Token("term", word[1:].lower(), start + 1))
            else:
                tokens.append(_Token("term", word.lower(), start))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], length: int):
        self.tokens, self.index, self.length = tokens, 0, length
        self.terms: list[str] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Matcher:
        if not self.tokens:
            raise BooleanSyntaxError("the expression is empty", 0)
        matcher = self.any_of()
        token = self.peek()
        if token is not None:
            raise BooleanSyntaxError(f"unexpected {token.text!r}", token.position)
        return matcher

    def any_of(self) -> Matcher:
        parts = [self.all_of()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else (lambda text: any(part(text) for part in parts))

    def all_of(self) -> Matcher:
        parts = [self.unary()]
        while (token := self.peek()) is not None and token.kind in ("AND", "NOT", "term", "open"):
            if token.kind == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda text: all(part(text) for part in parts))

    def unary(self) -> Matcher:
        token = self.peek()
        if token is None:
            raise BooleanSyntaxError("an operator is missing its operand", self.length)
        if token.kind == "NOT":
            self.take()
            inner = self.unary()
            return lambda text: not inner(text)
        if token.kind == "open":
            self.take()
            inner = self.any_of()
            closing = self.peek()
            if closing is None or closing.kind != "close":
                raise BooleanSyntaxError("a parenthesis is not closed", token.position)
            self.take()
            return inner
        if token.kind == "term":
            self.take()
            self.terms.append(token.text)
            if len(self.terms) > MAX_TERMS:
                raise BooleanSyntaxError(f"more than {MAX_TERMS} terms", token.position)
            return term_matcher(token.text)
        raise BooleanSyntaxError(f"unexpected {token.text!r}", token.position)


def term_matcher(term: str) -> Matcher:
    """Whether lower-cased text holds the term on word boundaries (a phrase's words in order,
    any whitespace between them). A plain word also matches as a #hashtag or @handle; a
    #hashtag or @handle term matches only as itself."""
    words = [re.escape(word) for word in term.split()]
    before = rf"(?<!{_WORD_CHARS})" if term[:1] in "#@" else r"(?<!\w)"
    pattern = re.compile(before + r"\s+".join(words) + r"(?!\w)")
    return lambda text: pattern.search(text) is not None


@dataclass(frozen=True)
class Expression:
    source: str
    terms: tuple[str, ...]
    matcher: Matcher

    def matches(self, text: str) -> bool:
        return self.matcher(text.lower())


def parse(expression: str) -> Expression:
    if len(expression) > MAX_LENGTH:
        raise BooleanSyntaxError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if "\x00" in expression:
        raise BooleanSyntaxError("a NUL character", expression.index("\x00"))
    parser = _Parser(_tokens(expression), len(expression))
    matcher = parser.parse()
    return Expression(expression, tuple(parser.terms), matcher)
