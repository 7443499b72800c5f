"""Rule patterns: parsing the pattern syntax of ``docs/rules-format.md`` and matching one pattern
at one token position.

Syntax (whitespace separated, each piece normalised like transcripts):
``word`` exact token; ``stem*`` any token starting with ``stem``; ``a|b|c*`` alternatives at
one position; ``?word`` optional token; ``..`` / ``..N`` a gap of up to 2 / N (max 6)
arbitrary tokens. A literal with a star inside (``f**k``) is a masked form matched literally.

Matching returns the match with the *earliest end* (and, among those, the first in a fixed
search order). That choice depends only on tokens before the end, so a partial transcript and
its final give the same match: the basis of split-independent output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voiceassist.escalation.normalize import MASK, Normaliser, is_masked, mask_fits

MAX_GAP = 6
DEFAULT_GAP = 2


class PatternError(ValueError):
    """A pattern does not follow the syntax; the message says why."""


@dataclass(frozen=True)
class Element:
    """One token position of a pattern."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]
    optional: bool = False
    #: Arbitrary tokens allowed before this element (0 = adjacent).
    gap: int = 0

    def matches(self, tok: str, exclude: Exclude | None = None, mask_ok: bool = False) -> bool:
        if tok in self.exact or any(tok.startswith(p) for p in self.prefixes):
            ok = True
        elif mask_ok and MASK in tok and len(tok) > 1:
            ok = any(mask_fits(tok, w, prefix=False) for w in self.exact if MASK not in w) or any(
                mask_fits(tok, p, prefix=True) for p in self.prefixes
            )
        else:
            ok = False
        if ok and exclude is not None and exclude.hits(tok):
            return False
        return ok


@dataclass(frozen=True)
class Exclude:
    """Tokens that never count as a match of an entry (``exclude = [...]``)."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def hits(self, tok: str) -> bool:
        return tok in self.exact or any(tok.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern (one variant: leading optional tokens are expanded into variants)."""

    text: str
    elements: tuple[Element, ...]
    exclude: Exclude | None = field(default=None, compare=False)
    #: Masked transcript tokens (``f***``) may fit this pattern's words (swear-word entries).
    mask_ok: bool = False

    def match_at(
        self, tokens: list[str], i: int, limit: int, counter: list[int] | None = None
    ) -> tuple[int, ...] | None:
        """Token positions of the earliest-ending match whose first element is at ``i``.

        ``limit`` is the number of tokens that may be used. ``counter[0]`` counts element tests
        (for linear-time tests).
        """
        els = self.elements
        if i >= limit or not els[0].matches(tokens[i], self.exclude, self.mask_ok):
            return None
        if counter is not None:
            counter[0] += 1
        if len(els) == 1:
            return (i,)
        # Frontier of states: (next position, extra gap carried by skipped optionals) -> path.
        frontier: dict[tuple[int, int], tuple[int, ...]] = {(i + 1, 0): (i,)}
        for el in els[1:]:
            nxt: dict[tuple[int, int], tuple[int, ...]] = {}
            for (pos, extra), path in frontier.items():
                span = el.gap + extra
                for q in range(pos, min(pos + span + 1, limit)):
                    if counter is not None:
                        counter[0] += 1
                    if el.matches(tokens[q], self.exclude, self.mask_ok):
                        key = (q + 1, 0)
                        if key not in nxt:
                            nxt[key] = (*path, q)
                if el.optional:
                    key = (pos, span)
                    if key not in nxt:
                        nxt[key] = path
            if not nxt:
                return None
            frontier = nxt
        best: tuple[int, ...] | None = None
        best_end = -1
        for (pos, _extra), path in frontier.items():
            if best is None or pos < best_end:
                best, best_end = path, pos
        return best


def _syllabic(stem: str) -> bool:
    """One Hangul syllable or CJK character is a meaningful stem on its own (놈*, 같*)."""
    return bool(stem) and all(0xAC00 <= ord(c) <= 0xD7A3 or 0x3040 <= ord(c) <= 0x9FFF for c in stem)


def _split_alternatives(piece: str) -> list[str]:
    alts = piece.split("|")
    if any(not a for a in alts):
        raise PatternError(f"empty alternative in {piece!r}")
    return alts


def parse_pattern(
    text: str,
    norm: Normaliser,
    *,
    exclude: Exclude | None = None,
    literal_mask: bool = False,
    mask_ok: bool = False,
) -> list[Pattern]:
    """Parse one pattern string into its variants (raises :class:`PatternError`)."""
    if not isinstance(text, str) or not text.strip():
        raise PatternError("empty pattern")
    elements: list[Element] = []
    pending_gap = 0
    have_gap = False
    positions = sum(1 for piece in text.split() if not piece.startswith(".."))
    index = 0  # 1-based number of the current position
    for piece in text.split():
        if piece.startswith(".."):
            rest = piece[2:]
            if have_gap:
                raise PatternError(f"two gaps in a row in {text!r}")
            if not elements:
                raise PatternError(f"pattern {text!r} starts with a gap")
            if rest == "":
                n = DEFAULT_GAP
            elif rest.isdigit() and 1 <= int(rest) <= MAX_GAP:
                n = int(rest)
            else:
                raise PatternError(f"bad gap {piece!r} (use .. or ..N with N from 1 to {MAX_GAP})")
            pending_gap, have_gap = n, True
            continue
        optional = piece.startswith("?")
        body = piece[1:] if optional else piece
        if not body:
            raise PatternError(f"lone '?' in {text!r}")
        alts = _split_alternatives(body)
        exact: set[str] = set()
        prefixes: list[str] = []
        seq: tuple[str, ...] | None = None
        for alt in alts:
            if alt.endswith(MASK) and not literal_mask and MASK not in alt[:-1]:
                stem = norm.tokens(alt[:-1])
                if len(stem) != 1:
                    raise PatternError(f"stem {alt!r} must be one word with letters before '*'")
                if len(stem[0]) < 2 and not _syllabic(stem[0]):
                    raise PatternError(f"stem {alt!r} is too short (at least 2 letters before '*')")
                prefixes.append(stem[0])
                continue
            # Plain words, and masked literals like f**k (kept as one masked token).
            toks = norm.tokens(alt)
            if not toks:
                raise PatternError(f"{alt!r} has no letters or digits")
            if len(toks) > 1:
                if len(alts) > 1 or optional:
                    raise PatternError(
                        f"{alt!r} becomes several words {' '.join(toks)!r}; "
                        "write them as separate words outside '|' and '?'"
                    )
                seq = tuple(toks)
                continue
            exact.add(toks[0])
        # "a*|b ..1 c*" meant as two patterns: a word at a position that is not the last, next to
        # a longer stem starting with that word (at the last position "죄|죄악*" is fine).
        trap = sorted(w for w in exact for p in prefixes if p != w and p.startswith(w))
        index += 1
        if trap and index < positions:
            raise PatternError(
                f"{body!r} in {text!r} has both {trap[0]!r} and a longer stem starting with it at one "
                "position: spaces separate positions, so 'a*|b ..1 c*' is ONE pattern of two positions; "
                "write separate patterns in the list (\"a*\", \"b ..1 c*\")"
            )
        if seq is not None:
            for k, tok in enumerate(seq):
                elements.append(Element(frozenset([tok]), (), False, pending_gap if k == 0 else 0))
        else:
            elements.append(Element(frozenset(exact), tuple(prefixes), optional, pending_gap))
        pending_gap, have_gap = 0, False
    if have_gap:
        raise PatternError(f"pattern {text!r} ends with a gap")
    if not elements:
        raise PatternError("empty pattern")
    if all(e.optional for e in elements):
        raise PatternError(f"pattern {text!r} has only optional words")
    # Trailing optionals never change the earliest-ending match: drop them.
    while elements and elements[-1].optional:
        elements.pop()
    variants: list[list[Element]] = [elements]
    # Leading optionals become variants (with and without), so each variant starts concretely.
    out: list[list[Element]] = []
    while variants:
        v = variants.pop()
        if v[0].optional:
            with_it = [Element(v[0].exact, v[0].prefixes, False, 0), *v[1:]]
            without = list(v[1:])
            if without:
                without[0] = Element(without[0].exact, without[0].prefixes, without[0].optional, 0)
            variants.append(with_it)
            if without:
                variants.append(without)
        else:
            out.append(v)
    if len(out) > 16:
        raise PatternError(f"pattern {text!r} has too many optional words at its start")
    return [Pattern(text, tuple(v), exclude, mask_ok) for v in reversed(out)]


def parse_exclude(items: list[str], norm: Normaliser) -> Exclude:
    """Compile an entry's ``exclude`` list (single words or ``stem*``)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item.split()) != 1:
            raise PatternError(f"exclude item {item!r} must be one word or stem*")
        if item.endswith(MASK):
            toks = norm.tokens(item[:-1])
            if len(toks) != 1:
                raise PatternError(f"exclude item {item!r} must be one word")
            prefixes.append(toks[0])
        else:
            toks = norm.tokens(item)
            if len(toks) != 1:
                raise PatternError(f"exclude item {item!r} must be one word")
            exact.add(toks[0])
    return Exclude(frozenset(exact), tuple(prefixes))


__all__ = [
    "Element",
    "Exclude",
    "Pattern",
    "PatternError",
    "is_masked",
    "parse_exclude",
    "parse_pattern",
]
