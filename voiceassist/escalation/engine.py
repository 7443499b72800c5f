"""The escalation engine: caller transcripts in, de-escalation cues out (PLAYBOOK 1-9).

Pure: no I/O after :func:`load_engine`, no clock; all state runs on call time (ms) taken from
the transcript's word times. See ``docs/escalation.md`` for the behaviour in full.

Per call and per category the engine keeps a *rung* on the category's ladder and the
ambiguous signals seen inside the category window. A clear signal (weight >= 1 after guards)
is a strike at once; ambiguous ones add up and strike when their sum inside the window reaches
``ambiguous_threshold``; once a category is active, a signal of ``active_min_weight`` strikes by
itself. A strike moves one rung up (at least to the form's ``start_rung``) and fires that rung's
cues unless a cooldown, the pace limit or a finished call (``end_call`` cued) holds them back;
urgent cues pass the cooldown and the pace limit. Rungs fall one step per window without a
strike and one step per calm utterance. At most one strike per category per utterance; a later
signal of the same category in that utterance whose form calls for a more severe response at the
current rung ("I'll sue you ... I'll kill you") fires that response too, without a strike.

Partial transcripts: a match is acted on once enough later tokens are stable (or at the final),
matches are handled in text order, and every decision depends only on tokens up to a fixed
distance after the match, so the cues are the same however an utterance is split into partials,
and nothing fired on a partial fires again on its final.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError
from voiceassist.escalation.guards import Hit, Markers, addressed, assess, right_context
from voiceassist.escalation.loader import load_rules
from voiceassist.escalation.matcher import Match
from voiceassist.escalation.model import (
    GROUP_CATEGORIES,
    CategoryPolicy,
    CueText,
    Entry,
    LangPack,
    Policy,
    RuleSet,
    Source,
    severity_rank,
)
from voiceassist.events import Cue, Severity, Transcript, Word
from voiceassist.langs import cue_lang
from voiceassist.session.after_call import CueTally

_EPS = 1e-9
#: A partial is scored each time its stable words reach a multiple of this.
SCORER_STEP_WORDS = 4
#: Cues of a call kept in :attr:`Engine.history` (the latest); what the after-call decision and
#: the call-length limit need of the rest is tallied, so a long call stays flat in memory.
HISTORY_CUES = 64
#: The form a scorer strike takes in its category (its ladder and severity).
SCORER_FORMS = {"abuse": "insult", "threat": "violence", "racism": "prejudiced", "sexism": "prejudiced",
                "hate": "prejudiced"}  # fmt: skip


@dataclass
class _CatState:
    rung: int = 0
    #: Time of the last strike or decay step, ms.
    last_change_ms: int = 0
    #: Ambiguous signals inside the window: (time ms, weight).
    pending: list[tuple[int, float]] = field(default_factory=list)
    strikes: int = 0


@dataclass
class _UttState:
    utterance: int
    processed: set[tuple[str, int, int]] = field(default_factory=set)
    fired: set[str] = field(default_factory=set)
    #: Categories struck in this utterance -> severity rank of the response that was fired.
    struck: dict[str, int] = field(default_factory=dict)
    pending_added: dict[str, float] = field(default_factory=dict)
    #: Category -> the ambiguous rule signal of this utterance that is still waiting for a
    #: pattern: (entry, matched words, target), so the scorer can corroborate it.
    waiting: dict[str, tuple[Entry, tuple[str, ...], str]] = field(default_factory=dict)
    #: Category -> the (time ms, weight) items this utterance added to the category's pending sum.
    pending_items: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    #: Categories with a capped form (signal_cap) matched in this utterance: the rule knows the
    #: form, so a scorer strike there would skip the pattern the policy asks for.
    capped: set[str] = field(default_factory=set)
    calm_done: bool = False
    name_done: bool = False
    #: Word count of the longest prefix the scorer has scored in this utterance.
    scored_words: int = 0
    #: Categories struck by the scorer in this utterance (a rule match later takes its form over).
    scorer_struck: set[str] = field(default_factory=set)
    #: The scorer's last score in this utterance (the final reuses it when no word was added).
    last_score: Any = None


_SENTENCE_END = re.compile(r"[.!?…][\"'»”)\]]*$")
_SENTENCE_START = re.compile(r"^[¿¡]")


@dataclass(frozen=True)
class _Tok:
    """Tokens of one transcript with the word each token came from."""

    tokens: list[str]
    word_of: list[int]
    words: tuple[Word, ...]
    #: Token indices where a new sentence starts (punctuation in typed or reference text; ASR
    #: output has none, so guards then see one run of words).
    breaks: frozenset[int] = frozenset()


class Engine:
    """Per-call escalation state for one caller language; create one per call (or reset())."""

    def __init__(
        self,
        rules: RuleSet,
        lang: str,
        *,
        agent_lang: str | None = None,
        agent_name: str = "",
        trace: bool = False,
        scorer: Any = None,
    ) -> None:
        if rules.policy is None:
            raise ConfigError("no valid policy.toml", hint="run `voiceassist rules check`")
        self.rules = rules
        self.policy: Policy = rules.policy
        self.lang = lang
        self.agent_lang = cue_lang(lang, agent_lang)
        self.pack: LangPack = rules.packs[lang]
        self.cue_pack: LangPack = rules.packs[self.agent_lang]
        self.agent_name = agent_name
        self.params = self.policy.engine
        self._right = right_context(self.params)
        self._end_prio = self.policy.cues["end_call"].priority
        self.trace_enabled = trace
        #: The learned scorer (:class:`voiceassist.escalation.scorer.Scorer`) or None (rules alone).
        self.scorer = scorer
        self.reset()

    # ------------------------------------------------------------------------------- state

    def reset(self) -> None:
        """Forget the call: the next transcript starts a new call."""
        self._cats: dict[str, _CatState] = {c: _CatState() for c in self.policy.categories}
        self._last_cue: dict[str, int] = {}
        self._pace: tuple[int, int] | None = None
        self._ended = False
        self._name: str | None = None
        self._utt: _UttState | None = None
        self._history: deque[Cue] = deque(maxlen=HISTORY_CUES)
        self._tally = CueTally()
        self._limit_fired = False
        self.trace: list[str] = []

    @property
    def caller_name(self) -> str | None:
        """The caller's name once they said it ("my name is ...")."""
        return self._name

    def rung(self, category: str) -> int:
        """Current rung of a category (0 = quiet), without applying decay."""
        return self._cats[category].rung

    # ------------------------------------------------------------------------------ public

    def process(self, event: Transcript) -> list[Cue]:
        """Handle one caller transcript (partial or final); returns the cues it triggers."""
        if event.speaker != "caller":
            return []
        final = event.kind == "final"
        tk = self._tokenise(event)
        n = len(tk.tokens)
        if final or event.stable:
            available = n
        else:
            # The last word of a partial may still change: never use its tokens.
            last_word = len(tk.words) - 1
            available = n
            while available > 0 and tk.word_of[available - 1] == last_word:
                available -= 1
        if self._utt is None or self._utt.utterance != event.utterance:
            self._utt = _UttState(event.utterance)
        utt = self._utt
        out: list[Cue] = []
        if available == 0:
            return out
        tokens = tk.tokens
        matches = self.pack.matcher.find(tokens, available)
        markers = Markers(self.pack, tokens, available, tk.breaks)
        names = markers.spans("name_intro") if not utt.name_done and self._name is None else []
        items: list[tuple[int, int, int, int, Any]] = []
        for m in matches:
            items.append((m.end, m.start, 1, m.order, m))
        for k, s in enumerate(names):
            # A name intro whose name token is not stable yet holds back later matches.
            items.append((s.end + 1, s.start, 0, k, s))
        items.sort(key=lambda x: x[:4])
        for end, _start, kind, _order, obj in items:
            if kind == 0:
                if utt.name_done:
                    continue
                if end > available:
                    if final:
                        continue
                    break
                self._take_name(obj.end, tk)
                utt.name_done = True
                continue
            match: Match[Entry] = obj
            key = (match.payload.id, match.start, match.end)
            if key in utt.processed:
                continue
            if not final and not self._settled(match, available, markers):
                break
            utt.processed.add(key)
            hit = assess(match, markers, self.params, n_tokens=available if not final else n, final=final)
            at_ms = tk.words[tk.word_of[match.end - 1]].end_ms
            out.extend(self._handle(hit, at_ms, tk, event))
        if self.scorer is not None:
            stable_words = len(tk.words) if final or event.stable else max(0, len(tk.words) - 1)
            out.extend(self._score(tk, stable_words, final, available, markers, event))
        if final:
            out.extend(self._check_limits(tk.words[-1].end_ms if tk.words else event.end_ms, event))
        return out

    @property
    def history(self) -> tuple[Cue, ...]:
        """The latest cues of this call (at most ``HISTORY_CUES``), in order."""
        return tuple(self._history)

    def cue_text(self, cue_id: str) -> tuple[str, str] | None:
        """``(say, script)`` of a cue in the agent's language (script filled), or None."""
        text = self.cue_pack.cues.get(cue_id)
        return None if text is None else (text.say, fill_script(text, self._name, self.agent_name))

    def end_call(self, at_ms: int) -> list[Cue]:
        """The call is over: after-call cues (caller_flagged, take_a_breath); then reset().

        The decision itself is :func:`voiceassist.session.after_call.decide_after_call`."""
        from voiceassist.session.after_call import AfterCallPolicy, decide_after_call

        decision = decide_after_call(self._tally, AfterCallPolicy.from_policy(self.policy), self.cue_text,
                                     at_ms=at_ms)
        self.reset()
        return list(decision.cues)

    # ---------------------------------------------------------------------------- internals

    def _tokenise(self, event: Transcript) -> _Tok:
        words = event.words
        if not words:
            parts = event.text.split()
            span = max(0, event.end_ms - event.start_ms)
            n = len(parts)
            words = tuple(
                Word(p, event.start_ms + span * i // n, event.start_ms + span * (i + 1) // n)
                for i, p in enumerate(parts)
            )
        norm = self.pack.normaliser
        tokens: list[str] = []
        word_of: list[int] = []
        breaks: set[int] = set()
        for wi, w in enumerate(words):
            first = len(tokens)
            if wi and (_SENTENCE_END.search(words[wi - 1].text) or _SENTENCE_START.match(w.text)):
                breaks.add(first)
            for chunk in w.text.split():
                for t in norm.word(chunk):
                    tokens.append(t)
                    word_of.append(wi)
        return _Tok(tokens, word_of, words, frozenset(breaks))

    def _settled(self, m: Match[Entry], available: int, markers: Markers) -> bool:
        e = m.payload
        if e.directed == "agent" and addressed(m, markers) is None:
            return m.end + self._right <= available and available > self.params.bare_max_tokens
        return m.end <= available

    def _take_name(self, pos: int, tk: _Tok) -> None:
        if pos >= len(tk.tokens):
            return
        tok = tk.tokens[pos]
        for s in self.pack.markers["negation"].find([tok]) if "negation" in self.pack.markers else []:
            if s.start == 0:
                return
        raw = tk.words[tk.word_of[pos]].text
        name = "".join(ch for ch in raw if ch.isalnum() or ch in "-'")
        for suf in self.pack.name_suffixes:
            if name.casefold().endswith(suf) and len(name) > len(suf):
                name = name[: len(name) - len(suf)]
                break
        if len(name) < 2 or not any(ch.isalpha() for ch in name):
            return
        self._name = name[:1].upper() + name[1:]
        self._log(f"caller name: {self._name}")

    def _log(self, text: str) -> None:
        if self.trace_enabled:
            self.trace.append(text)

    def _decay(self, st: _CatState, cat: CategoryPolicy, t: int) -> None:
        w = cat.window_ms
        while st.rung > 0 and t - st.last_change_ms >= w:
            st.rung -= 1
            st.last_change_ms += w
        if st.pending:
            st.pending = [(ti, wi) for ti, wi in st.pending if t - ti < w]

    def _handle(self, hit: Hit, t: int, tk: _Tok, event: Transcript) -> list[Cue]:
        e = hit.entry
        m = hit.match
        utt = self._utt
        assert utt is not None
        words = self._matched_words(m, tk)
        if hit.weight <= 0:
            self._log(
                f"{e.id} ({e.source}) matched {' '.join(words)!r}: "
                f"dropped by {hit.dropped} guard ({hit.detail})"
            )
            return []
        cat = self.policy.categories[e.category]
        self._log(
            f"{e.id} ({e.source}) matched {' '.join(words)!r}: weight {hit.weight:.2f} "
            f"(entry {e.weight:g}, target {hit.target}: {hit.detail})"
        )
        if e.corroborate_only:
            if cat.name not in utt.struck and cat.name not in utt.waiting:
                utt.waiting[cat.name] = (e, words, hit.target)
            self._log(f"{cat.name}: {e.id} is no signal on its own: it only lets the scorer corroborate")
            return []
        if cat.kind == "calm":
            if not utt.calm_done:
                utt.calm_done = True
                step = self.params.calm_step
                for name, c in self.policy.categories.items():
                    if c.kind != "ladder" or not c.calm_lowers:
                        continue
                    st = self._cats[name]
                    self._decay(st, c, t)
                    if st.rung:
                        st.rung = max(0, st.rung - step)
                        st.last_change_ms = t
                self._log(f"calm speech: hostile categories lowered by {step}")
            return []
        st = self._cats[cat.name]
        self._decay(st, cat, t)
        w = hit.weight
        cap = cat.cap_for(e.form)
        if cap is not None:
            utt.capped.add(cat.name)
        if cap is not None and w > cap:
            w = cap
            self._log(f"{cat.name}/{e.form}: one signal counts at most {w:g} (signal_cap): needs a pattern")
        if cat.name in utt.struck:
            return self._upgrade(hit, cat, st, t, words, event)
        clear = w + _EPS >= 1.0 or (st.rung >= 1 and w + _EPS >= self.params.active_min_weight)
        why_pattern = ""
        if not clear:
            before = utt.pending_added.get(cat.name, 0.0)
            add = max(0.0, w - before)
            utt.pending_added[cat.name] = max(before, w)
            if add > 0:
                item = (t, add)
                st.pending.append(item)
                utt.pending_items.setdefault(cat.name, []).append(item)
            total = sum(x for _, x in st.pending)
            if total + _EPS < self.params.ambiguous_threshold:
                self._log(
                    f"{cat.name}: ambiguous signal, {total:.2f} of {self.params.ambiguous_threshold:g} "
                    f"inside {cat.window_ms} ms: no cue yet"
                )
                if cap is None:
                    utt.waiting[cat.name] = (e, words, hit.target)
                return []
            why_pattern = (
                f"pattern of {len(st.pending)} signals ({total:.2f}) inside {cat.window_ms // 1000} s; "
            )
            st.pending.clear()
        return self._strike(cat, st, e, t, words, f"{why_pattern}matched", hit.target, event)

    def _strike(self, cat: CategoryPolicy, st: _CatState, e: Entry, t: int, words: tuple[str, ...],
                how: str, target: str, event: Transcript) -> list[Cue]:
        """One rung up for a rule signal (clear, a pattern, or corroborated by the scorer)."""
        utt = self._utt
        assert utt is not None
        utt.waiting.pop(cat.name, None)
        fp = cat.forms[e.form]
        st.rung = min(max(st.rung + 1, fp.start_rung), cat.max_rung)
        st.strikes += 1
        st.last_change_ms = t
        rung_cues = self._rung_cues(cat, e.form, st.rung)
        utt.struck[cat.name] = self._rank(rung_cues, cat, e.form)
        why = (
            f"{cat.name}/{e.form}: {how} {' '.join(words)!r} ({e.id}, {e.source}); "
            f"target {target}; rung {st.rung}: {'+'.join(rung_cues)}"
        )
        return self._fire(rung_cues, cat, e, st.rung, t, words, why, event)

    def _score(self, tk: _Tok, n_words: int, final: bool, available: int, markers: Markers,
               event: Transcript) -> list[Cue]:
        """Scorer strikes for the first ``n_words`` words: at the final, and on a partial each time
        its stable words reach a multiple of ``SCORER_STEP_WORDS`` (so the prefixes scored depend
        on the words only, never on how the utterance was split into partials)."""
        utt = self._utt
        assert utt is not None
        if not final:
            n_words = n_words // SCORER_STEP_WORDS * SCORER_STEP_WORDS
        if n_words == 0:
            return []
        if n_words <= utt.scored_words:
            # the final's words were all scored on a partial: corroboration still gets its turn
            if final and utt.last_score is not None:
                t = tk.words[n_words - 1].end_ms
                return self._corroborate(utt.last_score, t, markers, event)
            return []
        utt.scored_words = n_words
        words = tk.words[:n_words]
        text = " ".join(w.text for w in words)
        sc = self.scorer.score(text, self.lang)
        utt.last_score = sc
        shown = ", ".join(f"{c} {p:.2f}" for c, p in sc.probs.items())
        self._log(f"scorer on {n_words} words: {shown} (model {sc.model})")
        t = words[-1].end_ms
        out: list[Cue] = []
        if final:
            # on the whole utterance only: a clearer rule form later in it must not be pre-empted
            out.extend(self._corroborate(sc, t, markers, event))
        for name in sc.strikes:
            cat = self.policy.categories.get(name)
            form = SCORER_FORMS.get(name)
            if cat is None or form is None or form not in cat.forms:
                continue
            if name in utt.struck:
                self._log(f"{name}: {sc.describe(name)}: already struck in this utterance")
                continue
            if name in utt.capped:
                self._log(f"{name}: {sc.describe(name)}: a rule matched a form that needs a pattern")
                continue
            guard = self._scorer_guard(name, markers)
            if guard:
                self._log(f"{name}: {sc.describe(name)}: dropped by {guard}")
                continue
            st = self._cats[name]
            self._decay(st, cat, t)
            fp = cat.forms[form]
            st.rung = min(max(st.rung + 1, fp.start_rung), cat.max_rung)
            st.strikes += 1
            st.last_change_ms = t
            rung_cues = self._rung_cues(cat, form, st.rung)
            utt.struck[name] = self._rank(rung_cues, cat, form)
            utt.scorer_struck.add(name)
            matched = tuple(w.text for w in words)
            why = f"{name}/{form}: {sc.describe(name)}; rung {st.rung}: {'+'.join(rung_cues)}"
            entry = Entry(f"scorer:{name}", name, form, (), 1.0, "any", frozenset(),
                          Source(f"scorer {sc.model}", 0))  # fmt: skip
            out.extend(self._fire(rung_cues, cat, entry, st.rung, t, matched, why, event,
                                  rule=f"scorer {sc.model}"))  # fmt: skip
        return out

    def _corroborate(self, sc: Any, t: int, markers: Markers, event: Transcript) -> list[Cue]:
        """Fusion of the two halves: an ambiguous rule signal waiting for a pattern (an insult with
        no target in sight, a group word in a claim the grammar only half recognises) becomes a
        strike when the scorer, on the same utterance, puts its category at or above the
        language's support threshold; decided at the final, so a clearer rule form later in the
        utterance (an aggressive demand after a group mention) keeps its response. Capped forms
        (anger, legal threats) still need a pattern."""
        utt = self._utt
        assert utt is not None
        out: list[Cue] = []
        for name in sc.supports:
            waiting = utt.waiting.get(name)
            if waiting is None or name in utt.struck:
                continue
            guard = self._scorer_guard(name, markers)
            if guard:
                self._log(f"{name}: {sc.describe(name)}: no corroboration ({guard})")
                continue
            e, words, target = waiting
            cat = self.policy.categories[name]
            st = self._cats[name]
            for item in utt.pending_items.pop(name, []):
                if item in st.pending:
                    st.pending.remove(item)
            out.extend(self._strike(cat, st, e, t, words, f"corroborated by {sc.describe(name)}; matched",
                                    target, event))  # fmt: skip
        return out

    def _scorer_guard(self, category: str, markers: Markers) -> str:
        """Guards that clearly hold for a whole utterance: reported speech ("my neighbour called
        me ...") and, for statements about groups, quoting to condemn."""
        rep = markers.spans("reported")
        if rep:
            return f"reported speech marker {rep[0].text!r}"
        if category in GROUP_CATEGORIES:
            cnt = markers.spans("counter")
            if cnt:
                return f"counter-speech marker {cnt[0].text!r}"
        return ""

    def _rung_cues(self, cat: CategoryPolicy, form: str, rung: int) -> Sequence[str]:
        ladder = cat.ladder_for(form)
        return ladder[min(rung, len(ladder)) - 1]

    def _rank(self, cues: Sequence[str], cat: CategoryPolicy, form: str) -> int:
        """Severity rank of a response (its most severe cue)."""
        return max(severity_rank(self._severity(c, cat, form)) for c in cues)

    def _upgrade(self, hit: Hit, cat: CategoryPolicy, st: _CatState, t: int, words: tuple[str, ...],
                 event: Transcript) -> list[Cue]:
        """A second clear signal of a category already struck in this utterance. It adds no
        strike, but when its form calls for a more severe response at the current rung ("I'll sue
        you ... I'll kill you", a joke then an aggressive demand) that response fires too."""
        utt = self._utt
        assert utt is not None
        e = hit.entry
        fp = cat.forms[e.form]
        rung = min(max(st.rung, fp.start_rung), cat.max_rung)
        rung_cues = self._rung_cues(cat, e.form, rung)
        rank = self._rank(rung_cues, cat, e.form)
        # A rule match after a scorer strike in the same utterance: the rule knows the form
        # (aggressive, joking, ...), so its response at the current rung fires too.
        took_over = cat.name in utt.scorer_struck
        utt.scorer_struck.discard(cat.name)
        if hit.weight + _EPS < self.params.active_min_weight or (
            rank <= utt.struck[cat.name] and not took_over
        ):
            self._log(f"{cat.name}: already struck in this utterance")
            return []
        utt.struck[cat.name] = rank
        st.rung = rung
        st.last_change_ms = t
        why = (
            f"{cat.name}/{e.form}: a harsher form in the same utterance: matched {' '.join(words)!r} "
            f"({e.id}, {e.source}); target {hit.target}; rung {rung}: {'+'.join(rung_cues)}"
        )
        return self._fire(rung_cues, cat, e, rung, t, words, why, event)

    def _matched_words(self, m: Match[Entry], tk: _Tok) -> tuple[str, ...]:
        first, last = tk.word_of[m.start], tk.word_of[m.end - 1]
        return tuple(w.text for w in tk.words[first : last + 1])

    def _severity(self, cue_id: str, cat: CategoryPolicy | None, form: str) -> Severity:
        sev = self.policy.cues[cue_id].severity
        if cat is not None:
            fp = cat.forms.get(form)
            if fp is not None and fp.severity is not None:
                sev = fp.severity
        return sev  # type: ignore[return-value]

    def _fire(
        self,
        rung_cues: Sequence[str],
        cat: CategoryPolicy,
        e: Entry,
        rung: int,
        t: int,
        words: tuple[str, ...],
        why: str,
        event: Transcript,
        rule: str | None = None,
    ) -> list[Cue]:
        utt = self._utt
        assert utt is not None
        out: list[Cue] = []
        sevs = {c: self._severity(c, cat, e.form) for c in rung_cues}
        group_prio = max(self.policy.cues[c].priority for c in rung_cues)
        group_urgent = any(s == "urgent" for s in sevs.values())
        pace_ok = (
            group_urgent
            or self._pace is None
            or t - self._pace[0] >= self.params.pace_ms
            or (group_prio > self._pace[1])
        )
        for cue_id in rung_cues:
            cp = self.policy.cues[cue_id]
            sev = sevs[cue_id]
            if cue_id in utt.fired:
                self._log(f"{cue_id}: already fired in this utterance")
                continue
            if self._ended and cp.priority < self._end_prio:
                self._log(f"{cue_id}: held back, end_call was already cued")
                continue
            if sev != "urgent":
                cool = cp.cooldown_ms if cp.cooldown_ms >= 0 else self.params.default_cooldown_ms
                last = self._last_cue.get(cue_id)
                if last is not None and t - last < cool:
                    self._log(f"{cue_id}: cooldown ({t - last} of {cool} ms)")
                    continue
                if not pace_ok:
                    self._log(f"{cue_id}: pace limit ({self.params.pace_ms} ms between cues)")
                    continue
            utt.fired.add(cue_id)
            cue = self._make(
                cue_id, cat.name, e.form, rung, t, words, rule or str(e.source), event.utterance, why, sev
            )
            out.append(cue)
        if out:
            for c in out:
                self._last_cue[c.cue] = t
                self._remember(c)
                if c.cue == "end_call":
                    self._ended = True
            self._pace = (t, max(self.policy.cues[c.cue].priority for c in out))
            self._log(f"cue: {', '.join(c.cue for c in out)} at {t} ms")
        return out

    def _check_limits(self, t: int, event: Transcript) -> list[Cue]:
        limit = self.policy.limits.hostile_call_ms
        if not limit or self._limit_fired or t < limit or self._ended:
            return []
        if not self._tally.any_at_least("warn"):
            return []
        self._limit_fired = True
        cue = self._make(
            "offer_transfer", "limits", "time", 1, t, (), "policy.toml [limits]", event.utterance,
            f"limit: {t // 1000} s with a hostile caller (limit {limit // 1000} s): "
            "transfer and alert a supervisor",
            None,
        )  # fmt: skip
        self._last_cue[cue.cue] = t
        self._remember(cue)
        return [cue]

    def _remember(self, cue: Cue) -> None:
        self._history.append(cue)
        self._tally.add(cue)

    def _make(
        self,
        cue_id: str,
        category: str,
        form: str,
        rung: int,
        t: int,
        words: tuple[str, ...],
        rule: str,
        utterance: int,
        why: str,
        severity: Severity | None,
    ) -> Cue:
        text = self.cue_pack.cues.get(cue_id)
        say, script = ("", "") if text is None else (text.say, fill_script(text, self._name, self.agent_name))
        return Cue(
            at_ms=int(t),
            cue=cue_id,
            category=category,
            form=form,
            rung=rung,
            severity=severity or self._severity(cue_id, None, form),
            say=say,
            script=script,
            matched=words,
            rule=rule,
            utterance=utterance,
            speaker="caller",
            why=why,
        )


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill_script(text: CueText, name: str | None, agent: str) -> str:
    """Fill ``{name}`` / ``{agent}`` in a cue script (see docs/rules-format.md, cues.toml)."""
    template = text.script
    if not name and "{name}" in template and text.script_no_name:
        template = text.script_no_name
    values = {"name": name or "", "agent": agent or ""}

    def optional(m: re.Match[str]) -> str:
        inner = m.group(1)
        keys = _PLACEHOLDER.findall(inner)
        return inner if all(values.get(k) for k in keys) else ""

    template = _OPTIONAL.sub(optional, template)
    for k, v in values.items():
        if v:
            template = template.replace("{" + k + "}", v)
        else:
            template = re.sub(r"\s*\{" + k + r"\}\s*,?", " ", template)
    template = re.sub(r"\s+([,.;:!?])", r"\1", template)
    template = re.sub(r"^[\s,;:]+", "", template)
    template = re.sub(r"\s{2,}", " ", template).strip()
    return template[:1].upper() + template[1:]


def load_engine(
    lang: str,
    *,
    agent_lang: str | None = None,
    rule_dirs: Sequence[Path] = (),
    policy_overrides: Mapping[str, Any] | None = None,
    agent_name: str = "",
    trace: bool = False,
    scorer: Any = None,
) -> Engine:
    """An engine for one call in caller language ``lang`` with cues in ``agent_lang``.

    Loads (cached) every language of the shipped rules plus ``rule_dirs``. Raises
    :class:`ConfigError` when the policy or the needed languages have problems, or a language
    has no rules. ``scorer`` is the learned scorer (see
    :func:`voiceassist.escalation.scorer.load_scorer`) or None for rules alone.
    """
    rules = load_rules(tuple(Path(d) for d in rule_dirs), policy_overrides=policy_overrides)
    langs = {lang, cue_lang(lang, agent_lang)}
    problems = rules.problems_for(*langs)
    if problems:
        first = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ConfigError(
            f"invalid rules: {first}{more}", hint="run `voiceassist rules check` to see every problem"
        )
    for code in sorted(langs):
        if code not in rules.packs:
            have = ", ".join(sorted(rules.packs)) or "none"
            raise ConfigError(
                f"no rules for language {code!r} (available: {have})", hint="pass --lang with one of those"
            )
    return Engine(rules, lang, agent_lang=agent_lang, agent_name=agent_name, trace=trace, scorer=scorer)


__all__ = ["Engine", "fill_script", "load_engine"]
