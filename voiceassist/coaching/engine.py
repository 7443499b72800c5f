"""The coaching engine: the agent's habits in, low-priority coaching cues out.

One object per call, listener-style and pure (no clock, no I/O except the optional opening
history adapter): the pipeline hands it every event (:meth:`CoachingEngine.on_event`) and the
agent channel's audio (:meth:`CoachingEngine.feed_agent_audio`); both return the coaching
:class:`~voiceassist.events.Cue` s that became due. :meth:`CoachingEngine.end_call` returns the
after-call :class:`~voiceassist.coaching.summary.CoachingSummary`.

Coaching cues have ``speaker="agent"``, ``category="coaching"``, ``severity="info"`` and the
signal name as ``form``. They are held back (counted in the summary, never whispered) while a
signal's cooldown runs, within ``pace_ms`` of the last coaching cue, within
``after_caller_cue_ms`` of a caller-side cue, and for signals or cue ids the agent turned off.
All times are ms of call time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import AudioBlock, samples_to_ms
from voiceassist.coaching.lexicon import CoachingLexicon
from voiceassist.coaching.monologue import MonologueDetector
from voiceassist.coaching.pace import PaceConfig, PaceMeter
from voiceassist.coaching.phrases import PhraseTracker
from voiceassist.coaching.policy import POLICY_FILE, SIGNALS, CoachingPolicy
from voiceassist.coaching.robotic import OpeningHistory, is_repeated
from voiceassist.coaching.signal import Signal
from voiceassist.coaching.summary import CoachingSummary, summary_text
from voiceassist.coaching.talkover import Overlap, TalkOverDetector
from voiceassist.events import Cue, Event, SpeechSegment, Transcript
from voiceassist.vad.config import VadConfig

#: The policy table behind each signal (for ``Cue.rule`` when no lexicon entry is).
_TABLE = {"talk_over": "talk_over", "rushing": "pace", "monologue": "monologue", "apathy": "apathy",
          "robotic": "robotic"}  # fmt: skip


class CoachingEngine:
    """Agent-side coaching for one call.

    ``lexicon``: the agent language's coaching lexicon (agent phrases, cue texts, summary);
    ``caller_lexicon``: the caller language's (caller problem / feeling markers; default the
    same). ``off``: signal names or cue ids the agent turned off (``cues.coaching_off``).
    ``caller_angry``: optional callable saying whether the caller-side engine sees an angry
    caller now (added to what recent caller cues show). ``openings``: where the agent's last
    openings are kept (none: the repeated-opening check is off).
    """

    def __init__(
        self,
        lexicon: CoachingLexicon,
        policy: CoachingPolicy | None = None,
        *,
        caller_lexicon: CoachingLexicon | None = None,
        vad: VadConfig | None = None,
        off: Iterable[str] = (),
        caller_angry: Callable[[], bool] | None = None,
        openings: OpeningHistory | None = None,
        policy_file: str = f"rules/{POLICY_FILE}",
    ) -> None:
        self.lexicon = lexicon
        self.policy = policy or CoachingPolicy()
        self.off = frozenset(off)
        self._caller_angry = caller_angry
        self._openings = openings
        self._policy_file = policy_file
        p = self.policy
        self.talkover = TalkOverDetector(p.talk_over, vad=vad)
        self.monologue = MonologueDetector(p.monologue)
        self.phrases = PhraseTracker(lexicon, caller_lexicon, p)
        self.pace = PaceMeter(PaceConfig(max_rate=p.pace.max_rate, window_ms=p.pace.window_ms,
                                         min_speech_ms=p.pace.min_speech_ms))  # fmt: skip
        self._history = openings.recent() if openings is not None else []
        self._now = 0
        self._agent_samples = 0
        self._next_check = p.pace.check_every_ms
        self._rush_since: int | None = None
        self._rush_fired = False
        self._pace_minutes: set[int] = set()
        self._max_rate: float | None = None
        self._agent_open = False
        self._agent_last_end: int | None = None
        self._last_caller_cue: int | None = None
        #: Signals held back by the quiet period after a caller cue (played when it ends).
        self._held: list[Signal] = []
        self._angry_until = -1
        self._last_cue: int | None = None
        self._cool: dict[str, int] = {}
        self._talk_from = 0
        self._opening: list[str] = []
        self._opening_checked = False
        self._ended = False
        #: Every detection of the call (cued or held back), in order.
        self.signals: list[Signal] = []
        #: The coaching cues given, in order.
        self.cues: list[Cue] = []

    # ------------------------------------------------------------------------------ inputs
    def on_event(self, event: Event) -> list[Cue]:
        """Any pipeline event (speech segments of both speakers, transcripts, caller-side cues);
        returns the coaching cues that became due."""
        if self._ended:
            return []
        out: list[Cue] = []
        if isinstance(event, SpeechSegment):
            self._advance_clock(event.at_ms)
            out += self._segment(event)
        elif isinstance(event, Transcript):
            self._advance_clock(event.end_ms)
            if event.kind == "final":
                if event.speaker == "agent":
                    out += self._emit_all(self.phrases.agent_final(event))
                    out += self._opening_words(event)
                else:
                    self.phrases.caller_final(event)
        elif isinstance(event, Cue) and event.category != "coaching" and event.speaker != "agent":
            self._advance_clock(event.at_ms)
            self._caller_cue(event)
        out += self._tick()
        return out

    def feed_agent_audio(self, block: AudioBlock | npt.NDArray[np.int16]) -> list[Cue]:
        """The next agent-channel samples (16 kHz int16, or an :class:`AudioBlock` whose
        ``agent`` is used), consecutive from the start of the call; runs the pace meter."""
        if self._ended:
            return []
        if isinstance(block, AudioBlock):
            if block.agent is None:
                return []
            pcm = np.asarray(block.agent, dtype=np.int16)
            self._agent_samples = block.start_sample + len(pcm)
        else:
            pcm = np.asarray(block, dtype=np.int16)
            self._agent_samples += len(pcm)
        self.pace.feed(pcm)
        out: list[Cue] = []
        step = max(10, self.policy.pace.check_every_ms)
        while self.pace.now_ms >= self._next_check:
            out += self._check_pace(self._next_check)
            self._next_check += step
        self._advance_clock(samples_to_ms(self._agent_samples))
        out += self._tick()
        return out

    def advance(self, now_ms: int) -> list[Cue]:
        """Call time reached ``now_ms`` (for callers without agent audio)."""
        if self._ended:
            return []
        self._advance_clock(now_ms)
        return self._tick()

    def end_call(self, at_ms: int) -> CoachingSummary:
        """The call ended at ``at_ms``: settle what was waiting (counted, not cued), keep the
        opening for the next call's robotic check, and summarise."""
        if not self._ended:
            self._advance_clock(at_ms)
            self._tick()
            for sig in self.phrases.advance(self._now, True, final=True):
                self.signals.append(sig)
            if self._openings is not None and self._opening:
                self._openings.add(self._openings.digest(self._opening[: self.policy.robotic.opening_words]))
            self._ended = True
        return self.summary(at_ms)

    # ------------------------------------------------------------------------------ summary
    def summary(self, duration_ms: int) -> CoachingSummary:
        """The summary so far (``end_call`` gives the final one)."""
        names = [s.name for s in self.signals]
        s = CoachingSummary(
            duration_ms=duration_ms,
            interruptions=len(self.talkover.overlaps),
            pace_high_minutes=tuple(sorted(self._pace_minutes)),
            monologues=len(self.monologue.found),
            jargon=sum(n in ("jargon", "condescension") for n in names),
            rulebook=sum(n in ("rulebook", "dead_end", "brush_off") for n in names),
            apathy=names.count("apathy"),
            robotic=any(n in ("robotic", "data_first") for n in names),
            cues=len(self.cues),
            max_rate=None if self._max_rate is None else round(self._max_rate, 2),
        )
        return replace(s, text=summary_text(s, self.lexicon.summary))

    # ------------------------------------------------------------------------------ internals
    def _advance_clock(self, t: int) -> None:
        self._now = max(self._now, t)

    def _angry(self) -> bool:
        if self._now <= self._angry_until:
            return True
        if self._caller_angry is not None:
            try:
                return bool(self._caller_angry())
            except Exception:  # a broken probe must not stop coaching
                return False
        return False

    def _segment(self, ev: SpeechSegment) -> list[Cue]:
        to = self.talkover
        out: list[Overlap] = []
        if ev.speaker == "caller":
            if ev.kind == "start":
                to.caller_start(ev.at_ms)
                self.monologue.caller_start(ev.at_ms + to.onset_shift)
            else:
                out = to.caller_end(ev.at_ms)
        else:
            if ev.kind == "start":
                self._agent_open = True
                to.agent_start(ev.at_ms)
                self.monologue.agent_start(ev.at_ms + to.onset_shift)
            else:
                self._agent_open = False
                self._agent_last_end = ev.at_ms
                out = to.agent_end(ev.at_ms)
                self.monologue.agent_end(ev.at_ms - to.end_shift)
        return self._overlaps(out)

    def _overlaps(self, found: list[Overlap]) -> list[Cue]:
        cues: list[Cue] = []
        p = self.policy.talk_over
        for ov in found:
            if ov.long_ms:
                if ov.at_ms < self._talk_from:
                    continue  # this interruption already made the cue
                self._talk_from = ov.at_ms + 1
                why = f"talked over the caller for {ov.long_ms / 1000:.1f} s without a pause"
                cues += self._emit(Signal("talk_over", self._now, (), "", 0, why))
                continue
            angry = self._angry()
            need = p.per_window_angry if angry else p.per_window
            since = max(self._talk_from, ov.at_ms - p.window_ms)
            n = self.talkover.count_since(since)
            if n >= need:
                self._talk_from = ov.at_ms + 1
                why = (f"{n} interruption(s) within {p.window_ms // 1000} s"
                       + (" while the caller is upset" if angry else ""))  # fmt: skip
                cues += self._emit(Signal("talk_over", self._now, (), "", 0, why))
        return cues

    def _caller_cue(self, cue: Cue) -> None:
        g = self.policy.general
        self._last_caller_cue = cue.at_ms
        if cue.category in g.angry_categories:
            self._angry_until = max(self._angry_until, cue.at_ms + g.angry_window_ms)
        if cue.category in self.policy.apathy.caller_categories:
            self.phrases.caller_statement(cue.at_ms, f"a caller-side {cue.category} cue ({cue.cue})")

    def _check_pace(self, t: int) -> list[Cue]:
        p = self.policy.pace
        rate = self.pace.window_rate()
        if rate is not None:
            self._max_rate = rate if self._max_rate is None else max(self._max_rate, rate)
        if rate is None or rate <= p.max_rate:
            self._rush_since = None
            self._rush_fired = False
            return []
        if self._rush_since is None:
            self._rush_since = t
        if t - self._rush_since < p.sustain_ms:
            return []
        self._pace_minutes.add(t // 60_000 + 1)
        if self._rush_fired:
            return []
        self._rush_fired = True
        secs = (t - self._rush_since) // 1000
        why = f"speaking at {rate:.1f} syllables/s (over {p.max_rate:g}) for {secs} s"
        return self._emit(Signal("rushing", t, (), "", 0, why))

    def _opening_words(self, ev: Transcript) -> list[Cue]:
        rp = self.policy.robotic
        if self._opening_checked or ev.start_ms >= rp.opening_ms:
            if not self._opening_checked and self._opening:
                return self._check_opening(ev.end_ms)
            self._opening_checked = True
            return []
        self._opening += self.lexicon.tokens(ev.text)
        if len(self._opening) >= rp.opening_words:
            return self._check_opening(ev.end_ms)
        return []

    def _check_opening(self, at: int) -> list[Cue]:
        self._opening_checked = True
        rp = self.policy.robotic
        if self._openings is None:
            return []
        opening = self._openings.digest(self._opening[: rp.opening_words])
        if is_repeated(opening, self._history, rp):
            why = f"the same opening as on {rp.min_repeats} or more of the last {rp.history} calls"
            return self._emit(Signal("robotic", at, (), "", 0, why))
        return []

    def _release_held(self, now: int) -> list[Cue]:
        """Signals held back by the quiet period after a caller cue, once it is over (at ``now``,
        ms of call time); one that cannot play then (pace, cool-down) is dropped, one held again
        by a newer caller cue waits again."""
        if not self._held or self._last_caller_cue is None:
            return []
        if now - self._last_caller_cue < self.policy.general.after_caller_cue_ms:
            return []
        held, self._held = self._held, []
        out: list[Cue] = []
        for sig in held:
            out += self._emit(replace(sig, at_ms=now), again=True)
        return out

    def _tick(self) -> list[Cue]:
        now = self._now
        out = self._release_held(now)
        out += self._overlaps(self.talkover.advance(now))
        start = self.monologue.advance(now)
        if start is not None:
            secs = (now - start) // 1000
            out += self._emit(Signal("monologue", now, (), "", 0,
                                     f"the agent has talked for {secs} s without the caller"))  # fmt: skip
        settled = not self._agent_open and (
            self._agent_last_end is None or now - self._agent_last_end >= self.policy.general.settle_ms
        )
        out += self._emit_all(self.phrases.advance(now, settled))
        return out

    def _emit_all(self, signals: list[Signal]) -> list[Cue]:
        out: list[Cue] = []
        for s in signals:
            out += self._emit(s)
        return out

    def _emit(self, sig: Signal, *, again: bool = False) -> list[Cue]:
        """The cue of ``sig`` if it may play now; ``again``: a held signal, already recorded."""
        if not again:
            self.signals.append(sig)
        sp = self.policy.signals.get(sig.name)
        if sp is None or not sp.enabled or sig.name in self.off or sp.cue in self.off:
            return []
        at = sig.at_ms
        g = self.policy.general
        if at < self._cool.get(sp.cue, -1):
            return []
        if self._last_cue is not None and at - self._last_cue < g.pace_ms:
            return []
        if self._last_caller_cue is not None and 0 <= at - self._last_caller_cue < g.after_caller_cue_ms:
            # Held back by the quiet period after a caller cue: it plays when the period ends.
            if all(h.name != sig.name for h in self._held):
                self._held.append(sig)
            return []
        words = self.lexicon.texts.get(sig.name)
        say = words.say if words else sp.cue.replace("_", " ").capitalize()
        script = words.script if words else ""
        rule = sig.rule or f"{self._policy_file} [{_TABLE.get(sig.name, 'signals.' + sig.name)}]"
        cue = Cue(
            at_ms=at,
            cue=sp.cue,
            category="coaching",
            form=sig.name,
            rung=1,
            severity="info",
            say=say,
            script=script,
            matched=sig.matched,
            rule=rule,
            utterance=sig.utterance,
            speaker="agent",
            why=sig.why,
        )
        self._cool[sp.cue] = at + sp.cooldown_ms
        self._last_cue = at
        self.cues.append(cue)
        return [cue]


__all__ = ["SIGNALS", "CoachingEngine"]
