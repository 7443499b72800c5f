"""The pipeline: audio blocks -> VAD per speaker -> recogniser per speaker -> transcripts ->
optional cue engine -> listeners. One event stream, many listeners.

``replay``, ``demo``, ``eval`` and ``run`` all drive a :class:`Pipeline`; only the source of
:class:`~voiceassist.audio.block.AudioBlock` s and the listeners differ.

Blocks of any length are cut internally into fixed ticks of one VAD frame, and every stage is
advanced tick by tick in call order, so the event stream (content *and* order) is the same for
any block size: a replay at 50x with 1-second blocks gives the events of a live call with 20 ms
blocks. All times are ms of call time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

import numpy as np

from voiceassist.audio.block import AudioBlock, Pcm16, samples_to_ms
from voiceassist.events import CallEnded, CallStarted, Cue, Event, Speaker, SpeechSegment, Transcript
from voiceassist.stt.base import Recognizer
from voiceassist.vad.config import VadConfig
from voiceassist.vad.segmenter import FrameClassifier, SpeechAudio, UtteranceEnd, VadSegmenter

#: Something that wants every event (console printer, JSONL log, store, cue player ...).
Listener = Callable[[Event], None]


class CueEngine(Protocol):
    """The escalation engine as the pipeline sees it: transcripts in, cues out."""

    def process(self, event: Transcript) -> list[Cue]: ...


class AgentCoach(Protocol):
    """Agent-side coaching as the pipeline sees it (``voiceassist.coaching.CoachingEngine``)."""

    def on_event(self, event: Event) -> list[Cue]: ...

    def feed_agent_audio(self, pcm: Pcm16) -> list[Cue]: ...

    def end_call(self, at_ms: int) -> object: ...


class Pipeline:
    """Wires the stages for one call.

    ``caller_recognizer`` transcribes the caller; ``agent_recognizer`` (optional) the agent. The
    agent channel, when the blocks carry one, always gets its own VAD (speech segments), even
    without a recogniser. ``classifier`` replaces webrtcvad in tests.
    """

    def __init__(
        self,
        caller_recognizer: Recognizer,
        *,
        agent_recognizer: Recognizer | None = None,
        vad_config: VadConfig | None = None,
        cue_engine: CueEngine | None = None,
        listeners: Iterable[Listener] = (),
        call_id: str = "call",
        lang: str = "en",
        source: str = "",
        classifier: FrameClassifier | None = None,
        coaching: AgentCoach | None = None,
        on_end: Callable[[int], list[Cue]] | None = None,
    ) -> None:
        self.call_id = call_id
        self.lang = lang
        self.source = source
        self.vad_config = vad_config or VadConfig()
        self.cue_engine = cue_engine
        #: Agent-side coaching (sees every event and the agent's audio); its after-call summary
        #: lands in :attr:`coaching_summary` when the call finishes.
        self.coaching = coaching
        self.coaching_summary: object | None = None
        #: Called with the end of the call (ms) just before :class:`CallEnded`; the cues it
        #: returns (the after-call decision) go to every listener.
        self._on_end = on_end
        self._listeners: list[Listener] = list(listeners)
        self._classifier = classifier
        self._recognizers: dict[Speaker, Recognizer] = {"caller": caller_recognizer}
        if agent_recognizer is not None:
            self._recognizers["agent"] = agent_recognizer
        self._vads: dict[Speaker, VadSegmenter] = {"caller": self._new_vad("caller")}
        self._has_agent: bool | None = None
        self._tick = self.vad_config.frame_samples
        self._pending: dict[Speaker, list[Pcm16]] = {"caller": [], "agent": []}
        self._pending_len = 0
        self._pos = 0  # call-time sample of the first pending (unprocessed) sample
        self._decided = 0  # call-time sample at the end of the tick being processed
        self._started = False
        self._finished = False

    # Public API ---------------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Every later event is passed to ``listener`` (in emission order)."""
        self._listeners.append(listener)

    def announce(self, event: Event) -> list[Event]:
        """An event from outside the stages (a flagged caller's heads-up) to every listener, in
        order with the others; coaching does not see it."""
        out = self.start()
        out.append(event)
        for listener in self._listeners:
            listener(event)
        return out

    @property
    def position_ms(self) -> int:
        """Call time processed so far, ms (whole VAD frames)."""
        return samples_to_ms(self._pos)

    def start(self) -> list[Event]:
        """Emit :class:`CallStarted` (done automatically by the first :meth:`feed`)."""
        if self._started:
            return []
        self._started = True
        out: list[Event] = []
        self._emit(
            CallStarted(call_id=self.call_id, lang=self.lang, source=self.source),
            out,
        )
        return out

    def feed(self, block: AudioBlock) -> list[Event]:
        """Process one block of audio; returns (and sends to listeners) the events it completed."""
        if self._finished:
            raise RuntimeError("pipeline already finished")
        out = self.start()
        if self._has_agent is None:
            self._has_agent = block.agent is not None
            if self._has_agent:
                self._vads["agent"] = self._new_vad("agent")
        elif self._has_agent != (block.agent is not None):
            raise ValueError("blocks must either all carry an agent channel or none")
        if len(block.caller) == 0:
            return out
        self._pending["caller"].append(np.asarray(block.caller, dtype=np.int16))
        if block.agent is not None:
            if len(block.agent) != len(block.caller):
                raise ValueError("caller and agent samples of a block must have the same length")
            self._pending["agent"].append(np.asarray(block.agent, dtype=np.int16))
        self._pending_len += len(block.caller)
        if self._pending_len < self._tick:
            return out
        caller = self._take("caller")
        agent = self._take("agent") if self._has_agent else None
        usable = len(caller) - len(caller) % self._tick
        for off in range(0, usable, self._tick):
            end = self._pos + self._tick
            self._decided = end
            self._process("caller", caller[off : off + self._tick], out)
            if agent is not None:
                self._process("agent", agent[off : off + self._tick], out)
                if self.coaching is not None:
                    for cue in self.coaching.feed_agent_audio(agent[off : off + self._tick]):
                        self._emit(cue, out)
            self._pos = end
            for rec in self._recognizers.values():
                self._transcripts(rec.advance(end), out)
        self._keep("caller", caller[usable:])
        if agent is not None:
            self._keep("agent", agent[usable:])
        self._pending_len = len(caller) - usable
        return out

    def finish(self, reason: str = "eof") -> list[Event]:
        """End of the call: flush VAD and recognisers, emit :class:`CallEnded`."""
        if self._finished:
            return []
        out = self.start()
        caller = self._take("caller")
        agent = self._take("agent") if self._has_agent else None
        end = self._pos + len(caller)
        self._decided = end
        for speaker, vad in self._vads.items():
            rest = caller if speaker == "caller" else agent
            if rest is not None and len(rest):
                self._route(speaker, vad.process(rest), out)
            self._route(speaker, vad.finish(), out)
        self._pos = end
        for rec in self._recognizers.values():
            self._transcripts(rec.flush(end), out)
        self._finished = True
        if self.coaching is not None:
            self.coaching_summary = self.coaching.end_call(samples_to_ms(end))
        if self._on_end is not None:
            for cue in self._on_end(samples_to_ms(end)):
                self._emit(cue, out)
        self._emit(CallEnded(call_id=self.call_id, at_ms=samples_to_ms(end), reason=reason), out)
        return out

    # Internals ----------------------------------------------------------------------------------
    def _new_vad(self, speaker: Speaker) -> VadSegmenter:
        return VadSegmenter(speaker, self.vad_config, classifier=self._classifier)

    def _take(self, speaker: Speaker) -> Pcm16:
        parts = self._pending[speaker]
        self._pending[speaker] = []
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _keep(self, speaker: Speaker, rest: Pcm16) -> None:
        if len(rest):
            self._pending[speaker] = [rest.copy()]

    def _process(self, speaker: Speaker, frame: Pcm16, out: list[Event]) -> None:
        self._route(speaker, self._vads[speaker].process(frame), out)

    def _route(self, speaker: Speaker, items: list[SpeechSegment | SpeechAudio | UtteranceEnd],
               out: list[Event]) -> None:
        rec = self._recognizers.get(speaker)
        for item in items:
            if isinstance(item, SpeechSegment):
                self._emit(item, out)
            elif rec is None:
                continue
            elif isinstance(item, SpeechAudio):
                self._transcripts(rec.accept(item.pcm, item.start_sample), out)
            else:
                self._transcripts(rec.end_utterance(item.at_sample), out)

    def _transcripts(self, events: list[Transcript], out: list[Event]) -> None:
        for event in events:
            self._emit(event, out)
            if self.cue_engine is not None:
                for cue in self.cue_engine.process(event):
                    if cue.decided_ms is None:
                        cue = replace(cue, decided_ms=samples_to_ms(self._decided))
                    self._emit(cue, out)

    def _emit(self, event: Event, out: list[Event]) -> None:
        out.append(event)
        for listener in self._listeners:
            listener(event)
        if self.coaching is not None and not (isinstance(event, Cue) and event.category == "coaching"):
            for cue in self.coaching.on_event(event):
                self._emit(cue, out)
