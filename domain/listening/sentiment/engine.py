"""The lexicon-and-rules engine the English and Indonesian scorers share (after VADER).

A scorer is data: a lexicon of valences (-4..4, VADER's scale), signs (emoji, emoticons,
ratings such as 10/10), slang spellings, and modifier words with a role. Scoring a text sums
the valence of its sentiment-bearing tokens, each adjusted by the modifiers around it, then
squashes the sum into [-1, 1]:

- negators (``not``, ``tidak``, ``gak``, ...) up to three tokens before a word multiply it
  by -0.74; a negator that negates nothing but is followed by a word (``gak bisa login``,
  ``never arrived``) counts as a mild complaint of its own, unless the sentence is a
  question (``bisa kirim gak ke Bekasi?`` is a question tag);
- boosters and dampeners (``very``, ``sangat``; ``slightly``, ``agak``) before a word, and
  post-position intensifiers after it (``enak banget``, ``lemot parah``), add or remove
  0.293 (0.4 for the strong Indonesian ones) in the word's direction, less with distance;
  some modifiers have a valence of their own when they modify nothing (``lumayan``,
  ``parah``, ``kurang``, ``super``);
- negation and boosting stop at punctuation, so ``gak ribet. Makasih`` keeps its thanks;
  signs are counted as they are, never negated (``gak bisa login 😡``);
- a contrast word (``but``, ``tapi``, ``namun``) halves what came before it in the sentence
  and weighs what follows 1.5 times; a concessive (``although``, ``walaupun``) halves its
  own clause;
- a sentence asked once (``...?``) counts half; ALL CAPS words (when not everything is in
  capitals), exclamation marks and repeated ``??`` add emphasis (VADER's amounts);
- a Capitalised sentiment word inside a sentence next to another Capitalised word is taken
  for part of a name (``Pondok Indah``, ``Grand Indonesia``) and not counted;
- the sum is normalised as ``sum / sqrt(sum^2 + 15)``.

Every distinct token is resolved once (lower-cased, slang-normalised, stemmed when the
language has a stemmer) and memoised, so the hot path is a dict lookup per token.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

B_INCR = 0.293
C_INCR = 0.733
N_SCALAR = -0.74
ALPHA = 15.0
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
CONCESSION = 0.5
QUESTION = 0.5
EXCLAMATION = 0.292
_DECAY = (1.0, 0.95, 0.9)

# Token kinds.
WORD = 0
SIGN = 1  # emoji, emoticons, ratings: counted as they are, never negated or boosted
NEGATOR = 2
BOOSTER = 3
CONTRAST = 4
CONCESSIVE = 5
PARTICLE = 6
CLAUSE_END = 7  # , ;
SENTENCE_END = 8  # . ! … newline
QUESTION_END = 9  # ?
BOUNDARY = CLAUSE_END  # kinds >= BOUNDARY end a clause

# Booster directions.
PRE = 1
POST = 2
BOTH = 3

# Resolved-token layout: (kind, valence, boost, direction, needs_word, caps, norm, phrases,
# title); title: Capitalised like a name ("Indah" in "Pondok Indah").
KIND, VALENCE, BOOST, DIRECTION, NEEDS_WORD, CAPS, NORM, PHRASES, TITLE = range(9)

_ROLES = {
    "negator": (NEGATOR, 0),
    "booster": (BOOSTER, PRE),
    "post": (BOOSTER, POST),
    "both": (BOOSTER, BOTH),
    "contrast": (CONTRAST, 0),
    "concessive": (CONCESSIVE, 0),
    "particle": (PARTICLE, 0),
}
_MEMO_LIMIT = 200_000


def read_table(name: str) -> Iterator[list[str]]:
    """Rows of a tab-separated data file, skipping blank lines and ``#`` comments."""
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                yield line.split("\t")


def read_lexicon(*names: str) -> dict[str, float]:
    """``word<TAB>valence`` files merged in order (later files override earlier ones)."""
    lexicon: dict[str, float] = {}
    for name in names:
        for row in read_table(name):
            lexicon[row[0].strip().lower()] = float(row[1])
    return lexicon


def read_pairs(name: str) -> dict[str, str]:
    return {row[0].strip().lower(): row[1].strip().lower() for row in read_table(name)}


def read_modifiers(name: str) -> dict[str, tuple[str, float, float, bool | None]]:
    """``word<TAB>role[<TAB>boost[<TAB>own valence[<TAB>word|alone]]]`` rows.

    The own valence counts when the modifier modifies nothing; ``word`` means only when a
    word follows it in the clause (the default for negators), ``alone`` even at its end.
    """
    modifiers = {}
    for row in read_table(name):
        cells = [cell.strip() for cell in row] + ["", "", ""]
        word, role, boost, own, when = cells[:5]
        if role not in _ROLES:
            raise ValueError(f"{name}: unknown role {role!r} for {word!r}")
        needs_word = {"word": True, "alone": False}.get(when)
        modifiers[word.lower()] = (role, float(boost or 0), float(own or 0), needs_word)
    return modifiers


def normalize(total: float) -> float:
    value = total / math.sqrt(total * total + ALPHA)
    return -1.0 if value < -1.0 else 1.0 if value > 1.0 else value


class Scorer:
    """One language's sentiment scorer over the shared engine."""

    def __init__(
        self,
        *,
        lexicon: dict[str, float],
        signs: dict[str, float],
        modifiers: dict[str, tuple[str, float, float, bool | None]],
        slang: dict[str, str] | None = None,
        stem: Callable[[str], Iterator[str]] | None = None,
        negator_valence: float = -0.9,
    ) -> None:
        self._slang = slang or {}
        self._stem = stem
        self._memo: dict[str, tuple] = {}
        entries: dict[str, tuple] = {}
        phrases: dict[str, list[tuple[tuple[str, ...], tuple]]] = {}
        for word, valence in lexicon.items():
            self._add(entries, phrases, word, (WORD, valence, 0.0, 0, False))
        for sign, valence in signs.items():
            entries[sign] = (SIGN, valence, 0.0, 0, False)
        for word, (role, boost, own, needs_word) in modifiers.items():
            kind, direction = _ROLES[role]
            if kind == NEGATOR:
                boost = N_SCALAR
                own = own or negator_valence
            elif kind == BOOSTER and not boost:
                boost = B_INCR
            if needs_word is None:
                needs_word = kind == NEGATOR
            self._add(entries, phrases, word, (kind, own, boost, direction, needs_word))
        self._entries = entries
        # Longest phrases first, so "not bad at all" wins over "not bad".
        self._phrases = {
            head: tuple(sorted(options, key=lambda option: -len(option[0])))
            for head, options in phrases.items()
        }

    def _add(self, entries, phrases, word: str, entry: tuple) -> None:
        parts = word.split()
        if len(parts) == 1:
            entries[word] = entry
        else:
            parts = [self._part(part) for part in parts]
            # The whole phrase is an entry too, for slang written as one word ("makasih").
            entries[" ".join(parts)] = entry
            phrases.setdefault(parts[0], []).append((tuple(parts[1:]), entry))

    def _part(self, word: str) -> str:
        """A phrase word as the resolver normalises it (``lagi-lagi`` -> ``lagi``)."""
        halves = word.split("-")
        if len(halves) == 2 and halves[0] and halves[1].startswith(halves[0]):
            word = halves[0]
        return self._slang.get(word, word)

    # -- tokens --------------------------------------------------------------------------

    def resolve(self, token: str) -> tuple:
        """What a raw token is to this scorer (memoised)."""
        info = self._memo.get(token)
        if info is not None:
            return info
        first = token[0]
        if first in ",;" and token.strip(",;") == "":
            info = (CLAUSE_END, 0.0, 0.0, 0, False, False, token, None, False)
        elif first in ".,;!?\u2026\n":
            kind = QUESTION_END if "?" in token else SENTENCE_END
            info = (kind, 0.0, 0.0, 0, False, False, token, None, False)
        else:
            low = token.lower().replace("\u2019", "'")
            norm, entry = self._lookup(low)
            if entry is None:
                entry = (WORD, 0.0, 0.0, 0, False)
            caps = len(token) > 1 and token.isupper()
            title = first.isupper() and token[1:].islower()
            info = (*entry, caps, norm, self._phrases.get(norm), title)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[token] = info
        return info

    def _lookup(self, low: str) -> tuple[str, tuple | None]:
        entries, slang = self._entries, self._slang
        candidates = [low]
        squashed = _squash(low)
        if squashed != low:
            candidates.append(squashed)
        for candidate in candidates:
            norm = slang.get(candidate, candidate)
            entry = entries.get(norm)
            if entry is not None or norm in self._phrases:
                return norm, entry
        if "-" in low:
            return self._compound(low)
        if low.endswith("n't") or low.endswith("n\u2019t"):
            return low, entries.get("not")
        if self._stem is not None:
            for stem in self._stem(low):
                norm = slang.get(stem, stem)
                entry = entries.get(norm)
                if entry is not None and entry[0] == WORD:
                    return norm, entry
        return slang.get(low, low), None

    def _compound(self, low: str) -> tuple[str, tuple | None]:
        """``anak-anak``, ``hujan-hujanan``, ``CS-nya``, ``nge-freeze``, ``top-notch``."""
        parts = [part for part in low.split("-") if part]
        if not parts:
            return low, None
        if len(parts) == 2 and (parts[1].startswith(parts[0]) or parts[1] in _ENCLITICS):
            return self._lookup(parts[0])
        if len(parts) == 2 and parts[0] in _PROCLITICS:
            return self._lookup(parts[1])
        best: tuple[str, tuple | None] = (low, None)
        for part in parts:
            norm, entry = self._lookup(part)
            if (
                entry is not None
                and entry[0] == WORD
                and (best[1] is None or abs(entry[1]) > abs(best[1][1]))
            ):
                best = (norm, entry)
        return best

    # -- scoring -------------------------------------------------------------------------

    def infos(self, tokens: list[str]) -> list[tuple]:
        """Resolved tokens with phrases merged (``worth it``, ``terima kasih``)."""
        memo, resolve = self._memo, self.resolve
        out = []
        append = out.append
        i, n = 0, len(tokens)
        while i < n:
            token = tokens[i]
            info = memo.get(token) or resolve(token)
            options = info[PHRASES]
            if options is not None:
                for rest, entry in options:
                    k = len(rest)
                    if i + k < n:
                        for j in range(k):
                            following = tokens[i + 1 + j]
                            if (memo.get(following) or resolve(following))[NORM] != rest[j]:
                                break
                        else:
                            info = (*entry, info[CAPS], info[NORM], None, info[TITLE])
                            i += k
                            break
            append(info)
            i += 1
        return out

    def polarity(
        self, tokens: list[str], *, shout: bool = False, exclamations: int = 0, questions: int = 0
    ) -> float:
        """The normalised sentiment of tokenised text, in [-1, 1]."""
        infos = self.infos(tokens)
        n = len(infos)
        cap_diff = False
        if shout:
            words = caps = 0
            for info in infos:
                if info[KIND] < PARTICLE:
                    words += 1
                    caps += info[CAPS]
            cap_diff = 0 < caps < words
        total = 0.0  # whole text
        sentence = 0.0  # current sentence, already weighted
        idle = 0.0  # the current sentence's negators that negate nothing
        weight = 1.0  # after a contrast word: 1.5 until the sentence ends
        concession = 1.0  # inside a concessive clause: 0.5 until the clause ends
        for i in range(n):
            info = infos[i]
            kind = info[KIND]
            if kind >= BOUNDARY:
                concession = 1.0
                if kind != CLAUSE_END:
                    if kind == QUESTION_END and info[NORM] == "?":
                        # Asked, not asserted; and "bisa kirim gak ke Bekasi?" is a tag.
                        total += sentence * QUESTION
                    else:
                        total += sentence + idle
                    sentence = idle = 0.0
                    weight = 1.0
                continue
            valence = info[VALENCE]
            if kind != WORD:
                if kind == SIGN:
                    sentence += valence * weight * concession
                    continue
                if kind == CONTRAST:
                    sentence *= CONTRAST_BEFORE
                    idle *= CONTRAST_BEFORE
                    weight = CONTRAST_AFTER
                    continue
                if kind == CONCESSIVE:
                    concession = CONCESSION
                    continue
                if not valence or _modifies(infos, i, n, info):
                    continue
            elif not valence or (info[TITLE] and _in_name(infos, i, n)):
                continue
            if cap_diff and info[CAPS]:
                valence += C_INCR if valence > 0 else -C_INCR
            # Look back (up to three tokens in the clause) for boosters and negators.
            j = i - 1
            distance = 0
            while j >= 0 and distance < 3:
                before = infos[j]
                before_kind = before[KIND]
                if before_kind >= BOUNDARY:
                    break
                if before_kind == NEGATOR:
                    valence *= N_SCALAR
                elif before_kind == BOOSTER and before[DIRECTION] & PRE:
                    scalar = before[BOOST] * _DECAY[distance]
                    if cap_diff and before[CAPS]:
                        scalar += C_INCR
                    valence += scalar if valence > 0 else -scalar
                j -= 1
                distance += 1
            # Look ahead (up to two tokens) for post-position intensifiers.
            j = i + 1
            while j < n and j <= i + 2:
                after = infos[j]
                after_kind = after[KIND]
                if after_kind >= BOUNDARY or after_kind == NEGATOR:
                    break
                if after_kind == BOOSTER and after[DIRECTION] & POST:
                    scalar = after[BOOST]
                    if cap_diff and after[CAPS]:
                        scalar += C_INCR
                    valence += scalar if valence > 0 else -scalar
                elif after_kind == WORD and after[VALENCE]:
                    break
                j += 1
            if kind == NEGATOR and info[NEEDS_WORD]:
                idle += valence * weight * concession
            else:
                sentence += valence * weight * concession
        total += sentence + idle
        if total:
            emphasis = EXCLAMATION * min(exclamations, 4)
            if questions > 1:
                emphasis += min(questions * 0.18, 0.96)
            total += emphasis if total > 0 else -emphasis
        return normalize(total)


def _modifies(infos: list[tuple], i: int, n: int, info: tuple) -> bool:
    """Whether the modifier at ``i`` modifies a word, so its own valence does not count."""
    kind = info[KIND]
    if kind == BOOSTER and info[DIRECTION] & POST:
        j = i - 1
        while j >= 0 and j >= i - 2:
            before = infos[j]
            if before[KIND] >= BOUNDARY:
                break
            if before[VALENCE] and before[KIND] == WORD:
                return True
            j -= 1
    if kind == NEGATOR or info[DIRECTION] & PRE:
        followed = False
        j = i + 1
        while j < n and j <= i + 3:
            after = infos[j]
            after_kind = after[KIND]
            if after_kind >= BOUNDARY:
                break
            if after_kind == WORD:
                if after[VALENCE]:
                    return True
                followed = True
            elif after_kind in (NEGATOR, BOOSTER) and after[VALENCE]:
                return True
            j += 1
        if info[NEEDS_WORD] and not followed:
            return True  # "bisa kirim gak?": a question tag, not a complaint
    return False


def _in_name(infos: list[tuple], i: int, n: int) -> bool:
    """Whether a Capitalised word inside a sentence is part of a name ("Pondok Indah",
    "Grand Indonesia"): a Capitalised neighbour that does not start the sentence either."""
    if i == 0 or infos[i - 1][KIND] >= SENTENCE_END:
        return False  # starts the sentence
    before = infos[i - 1]
    if before[TITLE] and i > 1 and infos[i - 2][KIND] < SENTENCE_END:
        return True
    return i + 1 < n and infos[i + 1][TITLE]


def _squash(word: str) -> str:
    """Doubled letters made single (``soo`` -> ``so``), after the tokenizer's squash."""
    out = []
    previous = ""
    for char in word:
        if char != previous:
            out.append(char)
        previous = char
    return "".join(out)


_ENCLITICS = frozenset({"nya", "lah", "kah", "pun", "in", "an", "ku", "mu"})
_PROCLITICS = frozenset({"nge", "di", "ke", "se", "ter", "ber"})
