"""What the agent says: jargon, talking down, rulebook / dead-end / brush-off phrases without a
reason or an alternative, data before a human question, and no acknowledgement of what the
caller just said they feel or suffer.

Pure: fed with *final* transcripts of both speakers (the words settle there) and advanced by call
time. Phrases that may be rescued ("it's our policy" ... "because") wait for the agent's next
words until ``rescue.window_ms`` after the phrase; the engine advances time and says when the
agent's transcript has settled (the agent is silent and the last final has arrived), so a rescue
spoken before the deadline is never missed because its transcript came late.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voiceassist.coaching.lexicon import CoachingLexicon, LexEntry
from voiceassist.coaching.policy import CoachingPolicy
from voiceassist.coaching.signal import Signal
from voiceassist.events import Transcript

#: Which agent markers rescue which phrase kind.
RESCUED_BY: dict[str, tuple[str, ...]] = {
    "rulebook": ("explanation", "alternative"),
    "dead_end": ("alternative",),
    "brush_off": ("alternative",),
}
#: An acknowledgement may start this long before the caller's utterance end and still count, ms
#: (agents often say "I see" while the caller finishes).
ACK_LEAD_MS = 1_000


@dataclass
class _Said:
    """Tokens of one final transcript with each token's word times (ms)."""

    tokens: list[str]
    starts: list[int]
    ends: list[int]
    words: list[str]
    word_of: list[int]

    def span_words(self, positions: tuple[int, ...]) -> tuple[str, ...]:
        idx = sorted({self.word_of[p] for p in positions})
        return tuple(self.words[i] for i in idx)


@dataclass
class _Pending:
    kind: str
    at_ms: int
    deadline_ms: int
    matched: tuple[str, ...]
    rule: str
    utterance: int


@dataclass
class _Statement:
    """The caller said a problem or a feeling; waiting for the agent to acknowledge it."""

    since_ms: int
    why: str
    agent_words: int = 0
    acknowledged: bool = False
    extra: list[str] = field(default_factory=list)


def _said(lex: CoachingLexicon, ev: Transcript) -> _Said:
    words = list(ev.words)
    if not words:
        raw = ev.text.split()
        n = max(1, len(raw))
        span = max(0, ev.end_ms - ev.start_ms)
        times = [(ev.start_ms + span * i // n, ev.start_ms + span * (i + 1) // n) for i in range(len(raw))]
        texts = raw
    else:
        times = [(w.start_ms, w.end_ms) for w in words]
        texts = [w.text for w in words]
    out = _Said([], [], [], texts, [])
    for i, (w, (s, e)) in enumerate(zip(texts, times, strict=True)):
        for tok in lex.normaliser.word(w):
            out.tokens.append(tok)
            out.starts.append(s)
            out.ends.append(e)
            out.word_of.append(i)
    return out


class PhraseTracker:
    """Lexicon signals of one call."""

    def __init__(self, agent_lex: CoachingLexicon, caller_lex: CoachingLexicon | None = None,
                 policy: CoachingPolicy | None = None) -> None:  # fmt: skip
        self.agent_lex = agent_lex
        self.caller_lex = caller_lex or agent_lex
        self.policy = policy or CoachingPolicy()
        self._weights: list[tuple[int, float, str, tuple[str, ...], str]] = []
        self._pending: list[_Pending] = []
        self._statement: _Statement | None = None
        self._opening_open = True
        #: Every lexicon hit of the call: (kind, at_ms, matched words).
        self.hits: list[tuple[str, int, tuple[str, ...]]] = []

    # -- caller ----------------------------------------------------------------------------------
    def caller_final(self, ev: Transcript) -> None:
        """A caller utterance settled: does it state a problem or a feeling?"""
        said = _said(self.caller_lex, ev)
        found = self.caller_lex.has("caller_feeling", said.tokens) or self.caller_lex.has(
            "caller_problem", said.tokens
        )
        if found:
            said_words = " ".join(said.span_words(found[0].positions))
            self.caller_statement(ev.end_ms, f"the caller said: {said_words}")
        elif self._statement is not None and self._statement.agent_words < self.policy.apathy.min_agent_words:
            # The caller goes on before the agent answered: the window starts after them.
            self._statement.since_ms = max(self._statement.since_ms, ev.end_ms)

    def caller_statement(self, at_ms: int, why: str) -> None:
        """The caller stated a problem or feeling at ``at_ms`` (also from caller-side cues)."""
        st = self._statement
        if st is None or st.acknowledged:
            self._statement = _Statement(at_ms, why)
        elif st.agent_words < self.policy.apathy.min_agent_words:
            st.since_ms = max(st.since_ms, at_ms)

    # -- agent -----------------------------------------------------------------------------------
    def agent_final(self, ev: Transcript) -> list[Signal]:
        """An agent utterance settled; returns signals that need no waiting."""
        lex = self.agent_lex
        said = _said(lex, ev)
        out: list[Signal] = []
        if not said.tokens:
            return out
        # acknowledgement of the caller's statement
        st = self._statement
        if st is not None and not st.acknowledged:
            deadline = st.since_ms + self.policy.apathy.window_ms
            for m in lex.has("acknowledgement", said.tokens):
                if st.since_ms - ACK_LEAD_MS <= said.starts[m.start] <= deadline:
                    st.acknowledged = True
                    break
            st.agent_words += sum(1 for s in said.starts if st.since_ms <= s <= deadline)
        # rescues of earlier phrases
        for p in list(self._pending):
            for marker in RESCUED_BY[p.kind]:
                if any(said.starts[m.start] <= p.deadline_ms for m in lex.has(marker, said.tokens)):
                    self._pending.remove(p)
                    break
        matches = lex.find(said.tokens)
        human = bool(lex.has("human_question", said.tokens))
        for hit in matches:
            entry: LexEntry = hit.payload
            words = said.span_words(hit.positions)
            at = said.ends[hit.end - 1]
            rule = str(entry.source)
            self.hits.append((entry.kind, at, words))
            if entry.kind in ("jargon", "condescension"):
                default = (
                    self.policy.lexicon.jargon_weight
                    if entry.kind == "jargon"
                    else self.policy.lexicon.condescension_weight
                )
                w = entry.weight if entry.weight is not None else default
                key = tuple(said.tokens[hit.start : hit.end])
                if any(tuple(self.agent_lex.tokens(" ".join(x[3]))) == key for x in self._weights):
                    continue  # the same term again is not more jargon
                self._weights.append((at, w, entry.kind, words, rule))
                sig = self._weigh(at, ev.utterance)
                if sig is not None:
                    out.append(sig)
            elif entry.kind in RESCUED_BY:
                if any(p.kind == entry.kind for p in self._pending):
                    continue
                rescued = any(
                    said.starts[r.start] <= at + self.policy.rescue.window_ms
                    for marker in RESCUED_BY[entry.kind]
                    for r in lex.has(marker, said.tokens)
                )
                if not rescued:
                    self._pending.append(
                        _Pending(entry.kind, at, at + self.policy.rescue.window_ms, words, rule, ev.utterance)
                    )
            elif entry.kind == "data_first":
                first_human = min((said.starts[h.start] for h in lex.has("human_question", said.tokens)),
                                  default=None)  # fmt: skip
                asked_first = first_human is not None and first_human <= said.starts[hit.start]
                rp = self.policy.robotic
                if rp.data_first and self._opening_open and not asked_first and ev.start_ms < rp.opening_ms:
                    self._opening_open = False
                    why = "the opening asks for data before asking about the caller"
                    out.append(Signal("data_first", at, words, rule, ev.utterance, why))
        if human or ev.start_ms >= self.policy.robotic.opening_ms:
            self._opening_open = False
        return out

    def _weigh(self, at: int, utterance: int) -> Signal | None:
        window = self.policy.lexicon.window_ms
        self._weights = [w for w in self._weights if at - w[0] <= window]
        total = sum(w[1] for w in self._weights)
        if total + 1e-9 < self.policy.lexicon.threshold:
            return None
        kinds = {w[2] for w in self._weights}
        kind = "condescension" if "condescension" in kinds else "jargon"
        words = tuple(x for w in self._weights for x in w[3])
        rule = self._weights[-1][4]
        self._weights = []
        why = "talking down to the caller" if kind == "condescension" else "jargon the caller may not know"
        return Signal(kind, at, words, rule, utterance, f"{why}: {' / '.join(words)}")

    # -- time ------------------------------------------------------------------------------------
    def advance(self, now_ms: int, agent_settled: bool, *, final: bool = False) -> list[Signal]:
        """Call time reached ``now_ms``; ``agent_settled``: the agent is silent and every final of
        theirs has arrived. Returns the phrases whose rescue window passed unrescued and an
        unacknowledged statement. ``final``: the call is over, every window counts as passed."""
        if not agent_settled and not final:
            return []
        out: list[Signal] = []
        settle = -(10**12) if final else self.policy.general.settle_ms
        for p in list(self._pending):
            if now_ms >= p.deadline_ms + settle:
                self._pending.remove(p)
                need = " or ".join("an " + m if m[0] in "ae" else "a " + m for m in RESCUED_BY[p.kind])
                out.append(Signal(p.kind, now_ms, p.matched, p.rule, p.utterance,
                                  f"{' '.join(p.matched)!r} without {need}"))  # fmt: skip
        st = self._statement
        ap = self.policy.apathy
        if st is not None and not st.acknowledged and now_ms >= st.since_ms + ap.window_ms + settle:
            self._statement = None
            if st.agent_words >= self.policy.apathy.min_agent_words:
                out.append(Signal("apathy", now_ms, (), "", 0, f"no acknowledgement after {st.why}"))
        return out


__all__ = ["ACK_LEAD_MS", "RESCUED_BY", "PhraseTracker"]
