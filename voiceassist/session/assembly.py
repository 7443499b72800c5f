"""Builds every call, whatever the front-end: engine, coaching, VAD, after-call decision, store.

A front-end supplies a *source* (the recognisers that fit it: vosk on a device or a file, or a
reference transcript) and its *sinks* (listeners: printer, call log, player, eval collector);
:meth:`Assembly.new_call` adds the rest the same way for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from voiceassist.events import CallEnded, Cue, Event
from voiceassist.pipeline import Listener, Pipeline
from voiceassist.session.after_call import (
    AfterCallDecision,
    AfterCallPolicy,
    decide_after_call,
    heads_up_cue,
)
from voiceassist.session.config import SessionConfig
from voiceassist.store.identity import agent_identity
from voiceassist.stt.base import Recognizer
from voiceassist.vad.config import VadConfig
from voiceassist.vad.segmenter import FrameClassifier

log = logging.getLogger(__name__)

#: Caller categories whose active rung makes coaching stricter about interrupting.
UPSET_CATEGORIES = ("anger", "abuse", "threat", "troll")


class Assembly:
    """One per process (or per command run); builds a :class:`Call` per call."""

    def __init__(self, config: SessionConfig) -> None:
        self.config = config

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Assembly:
        return cls(SessionConfig.from_settings(settings))

    # -- parts ------------------------------------------------------------------------------
    def engine(self, lang: str | None = None, *, adjustments: Mapping[str, float] | None = None) -> Any:
        """The escalation engine of one call in ``lang`` (default ``call.lang``), cues in the
        agent's language; a flagged caller's ``adjustments`` (``{"threshold_scale": 0.75}``) make
        fewer strikes a cue. The one place an engine is built."""
        from voiceassist.escalation.engine import load_engine
        from voiceassist.escalation.scorer import load_scorer

        call = self.config.call if lang is None else self.config.call.for_lang(lang)
        overrides = None
        scale = float((adjustments or {}).get("threshold_scale", 1.0))
        if scale != 1.0:
            from voiceassist.escalation.loader import load_rules

            rules = load_rules(self.config.rule_dirs)
            if rules.policy is not None:
                params = rules.policy.engine
                overrides = {"engine": {"ambiguous_threshold": params.ambiguous_threshold * scale,
                                        "active_min_weight": params.active_min_weight * scale}}
        return load_engine(call.lang, agent_lang=call.cue_lang, rule_dirs=self.config.rule_dirs,
                           agent_name=call.agent_name, policy_overrides=overrides,
                           scorer=load_scorer(self.config.settings))

    def coaching(self, engine: Any, *, lang: str | None = None, remember_openings: bool = True) -> Any:
        """Agent-side coaching for a call with ``engine`` (its rungs say "caller upset"), or None
        when ``cues.coaching`` is off."""
        if not self.config.coaching.enabled:
            return None
        from voiceassist.coaching.loader import load_coaching
        from voiceassist.coaching.robotic import FileOpenings

        call = self.config.call if lang is None else self.config.call.for_lang(lang)

        def upset() -> bool:
            return engine is not None and any(engine.rung(c) > 0 for c in UPSET_CATEGORIES)

        return load_coaching(call.lang, agent_lang=call.cue_lang, rule_dirs=self.config.rule_dirs,
                             vad=self.config.vad, off=self.config.coaching.off, caller_angry=upset,
                             openings=FileOpenings(call.agent_name) if remember_openings else None)

    def after_call_policy(self, engine: Any) -> AfterCallPolicy:
        return AfterCallPolicy.from_policy(engine.policy, self.config.settings)

    # -- checks -----------------------------------------------------------------------------
    def check(self, *, lang: str | None = None, model: bool = False, coaching: bool = True,
              cue_voices: bool = False, store: bool = False) -> dict[str, Any]:
        """Everything a call needs, before any audio or device is touched: rules (engine of the
        call language with cues in the agent's), coaching rules, the speech model (``model``),
        the cue texts (``cue_voices``), the store configuration (``store``). Raises the first
        :class:`~voiceassist.errors.VoiceAssistError`; returns what it found (model location,
        cue phrases)."""
        found: dict[str, Any] = {}
        call = self.config.call if lang is None else self.config.call.for_lang(lang)
        if model:
            from voiceassist.stt.models import resolve_model

            found["model"] = resolve_model(call.lang, self.config.stt.model or None)
        if cue_voices:
            from voiceassist.cues.texts import load_say_texts

            found["phrases"] = list(load_say_texts(call.cue_lang, self.config.rule_dirs).values())
        self.engine(call.lang)
        if coaching:
            self.coaching(None, lang=call.lang, remember_openings=False)
        if store:
            found["store"] = self.config.store_config()
        return found

    # -- calls ------------------------------------------------------------------------------
    def new_call(
        self,
        caller_recognizer: Recognizer,
        *,
        agent_recognizer: Recognizer | None = None,
        agent_audio: bool = True,
        lang: str | None = None,
        call_id: str = "call",
        source: str = "",
        listeners: Iterable[Listener] = (),
        recorder: Any | None = None,
        caller_id: str | None = None,
        coaching: bool = True,
        remember_openings: bool = False,
        cues: bool = True,
        classifier: FrameClassifier | None = None,
        recording_path: Path | None = None,
        engine: Any | None = None,
    ) -> Call:
        """A call in ``lang`` (default ``call.lang``): the pipeline with its engine (lowered
        thresholds for a flagged caller when ``recorder`` knows ``caller_id``), coaching (only
        when the audio has an agent channel, ``agent_audio``), the after-call decision and the store.
        ``engine`` replaces the one built here (tests, eval's worker cache). Call
        :meth:`Call.start` before feeding audio."""
        call_lang = lang or self.config.call.lang
        heads_up = None
        if recorder is not None:
            kwargs: dict[str, Any] = {"recording_path": recording_path} if recording_path else {}
            heads_up = recorder.start_call(call_id, lang=call_lang,
                                           agent=agent_identity(self.config.call.agent_name),
                                           caller_id=caller_id,
                                           source=source, **kwargs)
        if cues and engine is None:
            engine = self.engine(call_lang, adjustments=heads_up.adjustments if heads_up else None)
        coach = None
        if not cues:
            engine = None
        if coaching and agent_audio:
            coach = self.coaching(engine, lang=call_lang, remember_openings=remember_openings)
        return Call(engine, coach, caller_recognizer, agent_recognizer,
                    vad=self.config.vad, agent_name=self.config.call.agent_name,
                    settings=self.config.settings, lang=call_lang, call_id=call_id, source=source,
                    listeners=listeners, recorder=recorder, heads_up=heads_up, classifier=classifier)


class Call:
    """One call: the pipeline plus what the assembly adds around it (see :meth:`Assembly.new_call`)."""

    def __init__(self, engine: Any, coaching: Any, caller_recognizer: Recognizer,
                 agent_recognizer: Recognizer | None, *, vad: VadConfig | None = None, agent_name: str = "",
                 settings: Mapping[str, Any] | None = None, lang: str = "en", call_id: str = "call",
                 source: str = "", listeners: Iterable[Listener] = (), recorder: Any | None = None,
                 heads_up: Any | None = None, classifier: FrameClassifier | None = None) -> None:
        self.agent_name = agent_name
        self.settings = settings or {}
        self.engine = engine
        self.recorder = recorder
        self.heads_up = heads_up
        self.lang = lang
        self.call_id = call_id
        #: The after-call decision, once the call has ended.
        self.decision: AfterCallDecision | None = None
        self._ending = False
        self._history: list[Cue] = []
        sinks: list[Listener] = [self._remember, *listeners]
        if recorder is not None:
            sinks.append(self._to_store)
        self.pipeline = Pipeline(caller_recognizer, agent_recognizer=agent_recognizer,
                                 vad_config=vad, cue_engine=engine, listeners=sinks,
                                 call_id=call_id, lang=lang, source=source, classifier=classifier,
                                 coaching=coaching,
                                 on_end=self._after_call if hasattr(engine, "policy") else None)

    @property
    def position_ms(self) -> int:
        return self.pipeline.position_ms

    @property
    def coaching_summary(self) -> object | None:
        return self.pipeline.coaching_summary

    def add_listener(self, listener: Listener) -> None:
        self.pipeline.add_listener(listener)

    def start(self) -> list[Event]:
        """:class:`CallStarted`, then a flagged caller's heads-up cue (at 0 ms)."""
        out = self.pipeline.start()
        if self.heads_up is not None and self.heads_up.flags:
            out += self.pipeline.announce(heads_up_cue(self.heads_up, self._texts, at_ms=0))
        return out

    def feed(self, block: Any) -> list[Event]:
        return self.pipeline.feed(block)

    def finish(self, reason: str = "eof") -> list[Event]:
        """End the call: flush, the after-call cues (before :class:`CallEnded`), store record."""
        return self.pipeline.finish(reason=reason)

    # -- internals --------------------------------------------------------------------------
    def _texts(self, cue_id: str) -> tuple[str, str] | None:
        text: Callable[[str], tuple[str, str] | None] | None = getattr(self.engine, "cue_text", None)
        return text(cue_id) if text is not None else None

    def _remember(self, event: Event) -> None:
        if isinstance(event, Cue) and not self._ending and event.speaker == "caller":
            self._history.append(event)

    def _after_call(self, at_ms: int) -> list[Cue]:
        before = None
        if self.recorder is not None:
            try:
                before = self.recorder.recent_hard_calls(agent_identity(self.agent_name))
            except Exception:  # the store's trouble never stops the call
                log.exception("store: recent hard calls not read")
        policy = AfterCallPolicy.from_policy(self.engine.policy, self.settings)
        self.decision = decide_after_call(self._history, policy, self._texts,
                                          at_ms=at_ms, hard_calls_before=before)
        self._ending = True
        return list(self.decision.cues)

    def _to_store(self, event: Event) -> None:
        rec = self.recorder
        assert rec is not None
        if isinstance(event, CallEnded):
            try:
                rec.end_call(event.at_ms, reason=event.reason, decision=self.decision)
            except Exception:
                log.exception("store: call end not recorded")
            return
        if self._ending and isinstance(event, Cue):
            return  # the after-call cues are recorded with the call's end
        rec.on_event(event)


__all__ = ["UPSET_CATEGORIES", "Assembly", "Call"]
