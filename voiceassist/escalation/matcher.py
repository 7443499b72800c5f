"""Indexed multi-pattern matcher over normalised tokens.

Patterns are indexed by their first element: exact words in a dict, stems in a dict keyed by
the stem (a token looks up each of its prefixes whose length is a stem length), and for masked
tokens (``f***``) by first letter. One utterance therefore only tries the patterns that can
start at each token, instead of every pattern.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from voiceassist.escalation.normalize import MASK
from voiceassist.escalation.patterns import Pattern

T = TypeVar("T")

#: Distinct tokens whose candidates a matcher remembers before it starts over.
_TOKEN_CACHE_MAX = 4096


@dataclass(frozen=True)
class Match(Generic[T]):
    """One pattern match: ``positions`` are the matched token indexes (gaps excluded)."""

    payload: T
    pattern: Pattern
    positions: tuple[int, ...]
    #: Order of the pattern in the matcher (stable tie-break).
    order: int

    @property
    def start(self) -> int:
        return self.positions[0]

    @property
    def end(self) -> int:
        """Index one past the last matched token."""
        return self.positions[-1] + 1


class Matcher(Generic[T]):
    """Finds every (payload, pattern) match in a token list, indexed by first token."""

    def __init__(self, items: Iterable[tuple[T, Pattern]]) -> None:
        self._items: list[tuple[T, Pattern]] = list(items)
        self._exact: dict[str, list[int]] = defaultdict(list)
        self._prefix: dict[str, list[int]] = defaultdict(list)
        self._initial: dict[str, list[int]] = defaultdict(list)
        #: Patterns whose first two elements are adjacent plain words, keyed by the word pair.
        self._pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        #: The same patterns by first word, tried when the next token is masked (f***).
        self._pair_first: dict[str, list[int]] = defaultdict(list)
        lengths: set[int] = set()
        #: Per pattern: word sets of its later required elements (exact words only); an
        #: utterance lacking any of them cannot match, so the pattern is not even tried.
        self._req: list[tuple[frozenset[str], ...]] = []
        for k, (_payload, pat) in enumerate(self._items):
            self._req.append(
                tuple(el.exact for el in pat.elements[1:] if not el.optional and not el.prefixes and el.exact)
            )
            first = pat.elements[0]
            second = pat.elements[1] if len(pat.elements) > 1 else None
            bigram = (
                second is not None
                and second.gap == 0
                and not second.optional
                and not second.prefixes
                and len(second.exact) <= 8
            )
            for w in first.exact:
                if bigram:
                    assert second is not None
                    for w2 in second.exact:
                        self._pair[(w, w2)].append(k)
                    if pat.mask_ok:
                        self._pair_first[w].append(k)
                else:
                    self._exact[w].append(k)
                if pat.mask_ok:
                    self._initial[w[0]].append(k)
            for p in first.prefixes:
                self._prefix[p].append(k)
                lengths.add(len(p))
                if pat.mask_ok:
                    self._initial[p[0]].append(k)
        self._lengths = tuple(sorted(lengths))
        #: Candidates by token alone (exact word, stems, masked initial): words recur all through
        #: a call ("you", "nie", "the"), so each distinct token is looked up once. Bounded.
        self._by_token: dict[str, tuple[int, ...]] = {}
        self.ops = [0]

    def __len__(self) -> int:
        return len(self._items)

    @property
    def patterns(self) -> list[tuple[T, Pattern]]:
        return list(self._items)

    def candidates(self, tok: str, nxt: str | None = None) -> list[int]:
        """Pattern indexes whose first element may match ``tok`` (followed by ``nxt``)."""
        single = self._by_token.get(tok)
        if single is None:
            single = self._single(tok)
            if len(self._by_token) >= _TOKEN_CACHE_MAX:
                self._by_token.clear()
            self._by_token[tok] = single
        if nxt is None:
            return list(single)
        out = list(single)
        hit = self._pair.get((tok, nxt))
        if hit:
            out.extend(hit)
        if MASK in nxt:
            hit = self._pair_first.get(tok)
            if hit:
                out.extend(hit)
        return out

    def _single(self, tok: str) -> tuple[int, ...]:
        """Candidates that depend on ``tok`` alone: exact word, stems, masked initial."""
        out: list[int] = []
        hit = self._exact.get(tok)
        if hit:
            out.extend(hit)
        n = len(tok)
        for ln in self._lengths:
            if ln > n:
                break
            hit = self._prefix.get(tok[:ln])
            if hit:
                out.extend(hit)
        if MASK in tok and len(tok) > 1:
            hit = self._initial.get(tok[0])
            if hit:
                out.extend(hit)
        return tuple(out)

    def find(self, tokens: Sequence[str], limit: int | None = None) -> list[Match[T]]:
        """All matches using tokens ``[0, limit)``, sorted by (end, start, pattern order).

        For each (pattern, start) only the earliest-ending match is reported.
        """
        lim = len(tokens) if limit is None else min(limit, len(tokens))
        toks = tokens if isinstance(tokens, list) else list(tokens)
        found: list[Match[T]] = []
        ops = self.ops
        head = toks[:lim]
        tokset = set(head)
        masked = MASK in "".join(head)
        req = self._req
        for i in range(lim):
            cand = self.candidates(toks[i], toks[i + 1] if i + 1 < lim else None)
            if not cand:
                continue
            if masked and len(cand) > 1:
                cand = list(dict.fromkeys(cand))
            last = -1
            for k in sorted(cand) if len(cand) > 1 else cand:
                if k == last:
                    continue
                last = k
                if not masked:
                    skip = False
                    for r in req[k]:
                        if r.isdisjoint(tokset):
                            skip = True
                            break
                    if skip:
                        continue
                payload, pat = self._items[k]
                pos = pat.match_at(toks, i, lim, ops)
                if pos is not None:
                    found.append(Match(payload, pat, pos, k))
        found.sort(key=lambda m: (m.end, m.start, m.order))
        return found


__all__ = ["Match", "Matcher"]
