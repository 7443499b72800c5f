"""Guards and directedness: how much one lexicon match counts in its utterance.

- ``negation``: a negation marker ends at most ``negation_gap`` tokens before the match
  ("not an idiot", "never called you an idiot" when the marker is "never called you").
  A negation marker in a gap of the match ("immigrants are not criminals" against
  ``@group are ..2 criminals``) drops it too.
- ``reported``: a reported-speech marker ends at most ``reported_window`` tokens before the
  match ("my neighbour called me an idiot", "he said you people ...").
- directedness (``directed = "agent"`` entries): the nearest target around the match decides:
  a second-person marker (or a short bare utterance) -> full weight; an object or third person
  -> ``undirected_factor``; the caller themself ("I'm such an idiot") -> dropped by the
  ``self`` guard; no target in a longer utterance -> ``unaddressed_factor``.
  ``directed = "none"`` always gets ``undirected_factor``; ``"any"`` always counts fully.

Only tokens up to ``match.end + right_context`` are looked at after the match, so a decision
made on a partial transcript is the one the final would make.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from voiceassist.escalation.matcher import Match
from voiceassist.escalation.model import GROUP_CATEGORIES, EngineParams, Entry, LangPack


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A lexicon match after guards: ``weight`` 0 means dropped (``dropped`` says why)."""

    entry: Entry
    match: Match[Entry]
    weight: float
    target: str
    dropped: str = ""
    detail: str = ""


#: Span lists up to this long are scanned, longer ones indexed by position (see Markers.near).
_SCAN_MAX = 16

#: Marker spans by token position: position -> [(index in the span list, span)].
_ByPos = dict[int, list[tuple[int, Span]]]


class Markers:
    """Marker spans of one token list, computed lazily per marker list."""

    def __init__(
        self, pack: LangPack, tokens: list[str], limit: int, breaks: frozenset[int] = frozenset()
    ) -> None:
        self._pack = pack
        self._tokens = tokens
        self._limit = limit
        self._spans: dict[str, list[Span]] = {}
        #: Per marker list: spans by start token and by end token, with their list position.
        self._index: dict[str, tuple[_ByPos, _ByPos]] = {}
        #: Token indices that start a new sentence (from punctuation, when the text has it).
        self.breaks = breaks
        self._sorted_breaks = sorted(breaks)

    def same_sentence(self, end: int, start: int) -> bool:
        """No sentence starts between token ``end`` (exclusive end of a marker) and ``start``."""
        i = bisect_left(self._sorted_breaks, end)
        return not (i < len(self._sorted_breaks) and self._sorted_breaks[i] <= start)

    def near(self, name: str, by: str, lo: int, hi: int) -> list[Span]:
        """Spans of ``name`` whose start (``by="start"``) or end (``"end"``) is in ``[lo, hi]``,
        in list order. Looks only at the positions in the range, so guard work per match does not
        grow with the length of the utterance. A short list (the usual utterance) is scanned
        directly: building the position index costs more than it saves there."""
        spans = self.spans(name)
        if len(spans) <= _SCAN_MAX:
            if by == "start":
                return [s for s in spans if lo <= s.start <= hi]
            return [s for s in spans if lo <= s.end <= hi]
        idx = self._index.get(name)
        if idx is None:
            by_start: _ByPos = {}
            by_end: _ByPos = {}
            for k, s in enumerate(self.spans(name)):
                by_start.setdefault(s.start, []).append((k, s))
                by_end.setdefault(s.end, []).append((k, s))
            idx = self._index[name] = (by_start, by_end)
        table = idx[0] if by == "start" else idx[1]
        got = [x for pos in range(max(lo, 0), hi + 1) for x in table.get(pos, ())]
        got.sort(key=lambda x: x[0])
        return [s for _, s in got]

    def spans(self, name: str) -> list[Span]:
        got = self._spans.get(name)
        if got is None:
            m = self._pack.markers.get(name)
            got = (
                [Span(x.start, x.end, x.payload) for x in m.find(self._tokens, self._limit)]
                if m is not None
                else []
            )
            self._spans[name] = got
        return got


def right_context(params: EngineParams) -> int:
    """Tokens after a match that must be stable before a directed match is decided."""
    return max(params.lookahead_tokens, params.direct_window_after)


def addressed(m: Match[Entry], markers: Markers) -> str | None:
    """The text of an ``address`` marker ("you are a", "sei un", "jesteś") that ends exactly where
    the match starts, in the same sentence, or None. Such a match is at the agent whatever comes
    next, so it is decided as soon as its own words are heard."""
    for s in markers.near("address", "end", m.start, m.start):
        if s.end == m.start and markers.same_sentence(s.end, m.start):
            return s.text
    return None


def _ends_before(m: Match[Entry], markers: Markers, name: str, window: int) -> Span | None:
    """The first ``name`` marker ending at most ``window`` tokens before the match, in its sentence."""
    for s in markers.near(name, "end", m.start - window, m.start):
        if s.end <= m.start and m.start - s.end <= window and markers.same_sentence(s.end, m.start):
            return s
    return None


def _in_gap(m: Match[Entry], markers: Markers, name: str) -> Span | None:
    """A ``name`` marker lying wholly in the gap tokens of the match (``..N`` skipped, not matched):
    "immigrants are not criminals" against "@group are ..2 criminals". A negation the pattern spells
    out itself ("are not human") is matched, not skipped, so it never counts here."""
    if len(m.positions) < 2 or m.end - m.start == len(m.positions):
        return None
    matched = set(m.positions)
    for s in markers.near(name, "start", m.start + 1, m.end - 1):
        if s.end < m.end and not any(k in matched for k in range(s.start, s.end)):
            return s
    return None


def assess(m: Match[Entry], markers: Markers, params: EngineParams, *, n_tokens: int, final: bool) -> Hit:
    """Apply the entry's guards and directedness to one match."""
    e = m.payload
    if "negation" in e.guards:
        s = _ends_before(m, markers, "negation", params.negation_gap)
        if s is not None:
            return Hit(e, m, 0.0, "", "negation", f"negation marker {s.text!r} before the match")
        s = _in_gap(m, markers, "negation")
        if s is not None:
            return Hit(e, m, 0.0, "", "negation", f"negation marker {s.text!r} inside a gap of the match")
    if "reported" in e.guards:
        s = _ends_before(m, markers, "reported", params.reported_window)
        if s is not None:
            return Hit(e, m, 0.0, "", "reported", f"reported speech marker {s.text!r} before the match")
        if e.category in GROUP_CATEGORIES:
            s = _ends_before(m, markers, "counter", params.reported_window)
            if s is not None:
                return Hit(e, m, 0.0, "", "reported", f"quoted to condemn: {s.text!r} before the match")
    if e.directed == "any":
        return Hit(e, m, e.weight, "any", "", "counts wherever it is said")
    if e.directed == "none":
        return Hit(e, m, e.weight * params.undirected_factor, "none", "", "undirected by nature")
    target, detail = _target(m, markers, params, n_tokens=n_tokens, final=final)
    if target == "agent":
        return Hit(e, m, e.weight, target, "", detail)
    if target == "self":
        if "self" in e.guards:
            return Hit(e, m, 0.0, target, "self", detail)
        return Hit(e, m, e.weight * params.undirected_factor, target, "", detail)
    if target == "object":
        return Hit(e, m, e.weight * params.undirected_factor, target, "", detail)
    return Hit(e, m, e.weight * params.unaddressed_factor, target, "", detail)


_KINDS = (("second_person", "agent"), ("objects", "object"), ("self", "self"))


def _target(
    m: Match[Entry], markers: Markers, params: EngineParams, *, n_tokens: int, final: bool
) -> tuple[str, str]:
    # An address marker ending right at the match ("you are a" useless ...): the agent, whatever
    # follows, so the decision needs no look-ahead (see :func:`addressed`).
    hit = addressed(m, markers)
    if hit is not None:
        return "agent", f"addressed: {hit!r} right before the match"
    # A second-person marker inside the match ("you idiot" as one pattern).
    for s in markers.near("second_person", "start", m.start, m.end):
        if s.start >= m.start and s.end <= m.end:
            return "agent", f"second person {s.text!r} inside the match"
    # An object right after the match: "stupid printer", "fucking website".
    for s in markers.near("objects", "start", m.end, m.end + 1):
        if m.end <= s.start and s.end - m.end <= params.direct_window_after and s.start - m.end <= 1:
            return "object", f"object {s.text!r} right after the match"
    # Nearest target before the match.
    best: tuple[int, int, str, str] | None = None
    for rank, (name, kind) in enumerate(_KINDS):
        for s in markers.near(name, "end", m.start - params.direct_window_before, m.start):
            if s.end <= m.start and m.start - s.end <= params.direct_window_before:
                key = (m.start - s.end, rank, kind, s.text)
                if best is None or key < best:
                    best = key
    if best is not None:
        return best[2], f"nearest target before: {best[3]!r}"
    for rank, (name, kind) in enumerate(_KINDS):
        for s in markers.near(name, "start", m.end, m.end + params.direct_window_after):
            if s.start >= m.end and s.end - m.end <= params.direct_window_after:
                key = (s.start - m.end, rank, kind, s.text)
                if best is None or key < best:
                    best = key
    if best is not None:
        return best[2], f"nearest target after: {best[3]!r}"
    if final and n_tokens <= params.bare_max_tokens:
        return "agent", f"short bare utterance ({n_tokens} words)"
    return "unaddressed", "no target in sight"


__all__ = ["Hit", "Markers", "Span", "addressed", "assess", "right_context"]
