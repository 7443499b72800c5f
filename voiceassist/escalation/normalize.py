"""Text normalisation shared by rule patterns and transcripts (see ``docs/rules-format.md``).

``Normaliser.tokens(text)`` turns any Unicode string into whole-word tokens:

- NFKC (compatibility forms such as full-width letters fold too), then ``str.casefold``;
- accents folded (``é`` -> ``e``) except letters whose distinction matters (Polish ``ł``,
  Spanish ``ñ``); Hangul is never decomposed;
- punctuation and symbols become spaces; apostrophes inside a word are dropped (``don't`` ->
  ``dont``) or split the word (``l'idiota`` -> ``l idiota``) depending on the language;
- a ``*`` inside a word that starts with a letter is kept: ``f***`` is a *masked* token;
- digit runs are spelled out when the language gives number words (``2`` -> ``two``).

The work is linear in the length of the input; per-word results are cached.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

#: Letters kept as they are (never accent-folded).
KEEP = frozenset("łñ")
APOSTROPHES = frozenset("'’ʼ`´‘")
MASK = "*"


def _is_hangul(ch: str) -> bool:
    o = ord(ch)
    return (
        0xAC00 <= o <= 0xD7A3  # syllables
        or 0x1100 <= o <= 0x11FF  # jamo
        or 0x3130 <= o <= 0x318F  # compatibility jamo
        or 0xA960 <= o <= 0xA97F
        or 0xD7B0 <= o <= 0xD7FF
    )


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """One already case-folded character -> its folded form.

    Returns ``" "`` for separators (punctuation, symbols, spaces, controls), ``"'"`` for
    apostrophes, ``"*"`` for the mask star, ``""`` for characters that vanish (format
    characters, stray combining marks) and otherwise the letter/digit with accents removed.
    """
    if ch in KEEP or _is_hangul(ch):
        return ch
    if ch in APOSTROPHES:
        return "'"
    if ch == MASK:
        return MASK
    cat = unicodedata.category(ch)
    if cat[0] in "PSZ" or cat == "Cc":
        return " "
    if cat in ("Cf", "Cs", "Co", "Cn"):
        return ""
    if cat[0] == "M":
        # A combining mark left after NFC (no precomposed form): drop it for Latin-like
        # scripts is handled by the caller; here keep marks of other scripts.
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and all(unicodedata.category(c) == "Mn" for c in decomposed[1:]):
        base = decomposed[0]
        if base in KEEP:
            return unicodedata.normalize("NFC", decomposed)
        return base
    return ch


def _fold_text(text: str) -> str:
    out: list[str] = []
    prev_latin = False
    for ch in text:
        f = fold_char(ch)
        if f == ch and prev_latin and unicodedata.category(ch) == "Mn":
            # Stray combining mark after a Latin-like letter: an accent, dropped.
            continue
        out.append(f)
        if f:
            prev_latin = f[-1].isascii() and f[-1].isalpha()
    return "".join(out)


class Normaliser:
    """Per-language normaliser.

    ``apostrophe``: ``"drop"`` (``don't`` -> ``dont``) or ``"split"`` (``l'idiota`` ->
    ``l idiota``). ``numbers``: integer -> spelled word used for digit tokens.
    """

    def __init__(self, *, apostrophe: str = "drop", numbers: Mapping[int, str] | None = None) -> None:
        self.apostrophe = apostrophe
        self.numbers: dict[int, str] = dict(numbers or {})
        self._cache: dict[str, tuple[str, ...]] = {}

    def word(self, word: str) -> tuple[str, ...]:
        """Normalise one whitespace-free chunk of text into zero or more tokens (cached)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        result = self._word(word)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = result
        return result

    def _word(self, word: str) -> tuple[str, ...]:
        text = _fold_text(unicodedata.normalize("NFKC", word).casefold())
        joiner = " " if self.apostrophe == "split" else ""
        text = text.replace("'", joiner)
        out: list[str] = []
        for raw in text.split():
            tok = self._mask_or_plain(raw)
            out.extend(tok)
        return tuple(out)

    def _mask_or_plain(self, raw: str) -> list[str]:
        if MASK in raw:
            core = raw.strip(MASK)
            lead = raw[: len(raw) - len(raw.lstrip(MASK))]
            # A masked token starts with a letter and has a star inside or at its end: f***, c**t.
            if not lead and core and core[0].isalpha() and MASK in raw[1:]:
                return [raw]
            return [p for p in raw.replace(MASK, " ").split() for p in self._digits(p)]
        return self._digits(raw)

    def _digits(self, tok: str) -> list[str]:
        if self.numbers and tok.isdigit() and tok.isascii():
            spelled = self.numbers.get(int(tok))
            if spelled is not None:
                return spelled.split()
        return [tok]

    def tokens(self, text: str) -> list[str]:
        """Normalise a whole text into tokens (linear time)."""
        out: list[str] = []
        for chunk in text.split():
            out.extend(self.word(chunk))
        return out


def is_masked(token: str) -> bool:
    """True for masked tokens such as ``f***`` (see :class:`Normaliser`)."""
    return MASK in token


def mask_fits(masked: str, word: str, *, prefix: bool) -> bool:
    """Does a masked token (``f***``, ``c**t``) fit the pattern word?

    Letters must agree position by position, a star stands for one letter. For a plain word the
    lengths must be equal; for a ``stem*`` pattern the token must be at least as long as the stem
    and agree on the stem's positions.
    """
    if not masked or not word or masked[0] != word[0]:
        return False
    if prefix:
        if len(masked) < len(word):
            return False
        return all(m in (MASK, w) for m, w in zip(masked, word, strict=False))
    if len(masked) != len(word):
        return False
    return all(m in (MASK, w) for m, w in zip(masked, word, strict=True))
