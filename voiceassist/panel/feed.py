"""The agent panel's view of a run: turns ``run``'s event stream into panel state and messages.

:class:`AgentFeed` is one more listener of the stream the call log, the screen and the store get
(:class:`~voiceassist.events.Event` objects, plus ``cue_playback`` / ``cue_feedback`` mappings and
``status`` mappings from the call loop). It keeps what a browser needs to draw the page from
scratch (:meth:`snapshot`) and publishes each change to the :class:`~voiceassist.panel.hub.Hub`.

Privacy: with ``transcript=False`` (``log.redact`` or ``panel.transcript = false``) no caller
words leave this module: no transcript, and cues lose their matched words and free-text "why"
(the category, form and rung still say why).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voiceassist.events import CallEnded, CallStarted, CallSummary, Cue, Event, SpeechSegment, Transcript
from voiceassist.panel.hub import Hub
from voiceassist.panel.strings import strings_for

#: Cues of one call kept for the "last cues" list.
RECENT_MAX = 8
#: Final caller utterances kept for the transcript.
TRANSCRIPT_MAX = 12
#: Cues that belong to the end of a call (wellbeing, the flag for the next agent).
AFTER_CALL_CUES = ("take_a_breath", "caller_flagged")


def cue_view(cue: Cue, call_id: str, *, words: bool) -> dict[str, Any]:
    """A cue as the page shows it; without ``words`` the caller's words are left out."""
    return {"cue": cue.cue, "say": cue.say, "script": cue.script, "severity": cue.severity,
            "category": cue.category, "form": cue.form, "rung": cue.rung, "at_ms": cue.at_ms,
            "speaker": cue.speaker, "call_id": call_id,
            "why": cue.why if words else "", "matched": list(cue.matched) if words else []}


@dataclass
class _State:
    call_id: str = ""
    in_call: bool = False
    status: dict[str, Any] = field(default_factory=lambda: {"state": "no_call", "level_db": -90.0,
                                                            "muted": False, "headset_ok": True,
                                                            "position_ms": 0})
    cue: dict[str, Any] | None = None
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_MAX))
    transcript: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=TRANSCRIPT_MAX))
    partial: str = ""
    after: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    shift: dict[str, Any] | None = None
    wrong: list[str] = field(default_factory=list)


class AgentFeed:
    """Listener of ``run``'s events for the agent panel (see module doc). Thread-safe."""

    def __init__(self, *, lang: str = "en", transcript: bool = True, agent: str = "",
                 mute_minutes: int = 5) -> None:
        self.lang = lang
        self.transcript = transcript
        self.agent = agent
        self.mute_minutes = mute_minutes
        self._lock = threading.RLock()
        self._s = _State()
        self.hub = Hub(self.snapshot)

    # -- the page's first message ---------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            s = self._s
            return {"type": "snapshot", "lang": self.lang, "strings": strings_for(self.lang),
                    "transcript_on": self.transcript, "agent": self.agent,
                    "mute_minutes": self.mute_minutes, "call_id": s.call_id, "status": dict(s.status),
                    "cue": s.cue, "recent": list(s.recent), "transcript": list(s.transcript),
                    "partial": s.partial, "after": list(s.after), "summary": s.summary,
                    "shift": s.shift, "wrong": list(s.wrong)}

    # -- listener ---------------------------------------------------------------------------------
    def __call__(self, item: Event | Mapping[str, Any]) -> None:
        """Take one item of the stream (never raises into the call loop)."""
        with self._lock:
            if isinstance(item, Event):
                self._event(item)
            else:
                self._mapping(item)

    def _event(self, ev: Event) -> None:
        s = self._s
        if isinstance(ev, CallStarted):
            self._s = _State(call_id=ev.call_id, in_call=True, shift=s.shift,
                             status={**s.status, "state": "listening", "position_ms": 0})
            self.hub.publish({"type": "call_started", "call_id": ev.call_id})
            self._status({})
        elif isinstance(ev, Cue):
            view = cue_view(ev, s.call_id, words=self.transcript)
            s.cue = view
            if ev.cue in AFTER_CALL_CUES and ev.at_ms > 0:
                s.after.append(view)
            else:
                s.recent.appendleft(view)
            self.hub.publish({"type": "cue", "cue": view,
                              "after": ev.cue in AFTER_CALL_CUES and ev.at_ms > 0})
        elif isinstance(ev, Transcript):
            if ev.speaker != "caller" or not self.transcript:
                return
            if ev.kind == "final":
                line = {"text": ev.text, "start_ms": ev.start_ms, "end_ms": ev.end_ms}
                if ev.text.strip():
                    s.transcript.append(line)
                s.partial = ""
                self.hub.publish({"type": "transcript", "final": line})
            else:
                s.partial = ev.text
                self.hub.publish({"type": "transcript", "partial": ev.text})
        elif isinstance(ev, SpeechSegment):
            if ev.speaker == "caller":
                self._status({"speaking": ev.kind == "start"})
        elif isinstance(ev, CallSummary):
            s.summary = ev.text
            self.hub.publish({"type": "summary", "text": ev.text})
        elif isinstance(ev, CallEnded):
            s.in_call = False
            self.hub.publish({"type": "call_ended", "call_id": ev.call_id, "reason": ev.reason,
                              "at_ms": ev.at_ms})
            self._status({"speaking": False})

    def _mapping(self, item: Mapping[str, Any]) -> None:
        kind = item.get("type")
        if kind == "status":
            self._status(item)
        elif kind == "cue_feedback":
            key = f"{item.get('call_id')}/{item.get('cue')}/{item.get('at_ms')}"
            self._s.wrong.append(key)
            self.hub.publish({"type": "feedback", "key": key})
        elif kind == "cue_playback" and item.get("kind") in ("device_missing", "device_lost"):
            self._status({"headset_ok": False})
        elif kind == "cue_playback" and item.get("kind") in ("device_opened", "device_recovered"):
            self._status({"headset_ok": True})

    def _status(self, change: Mapping[str, Any]) -> None:
        st = self._s.status
        if "in_call" in change:
            self._s.in_call = bool(change["in_call"])
        for key in ("level_db", "muted", "headset_ok", "position_ms", "speaking", "muted_until"):
            if key in change:
                st[key] = change[key]
        st["state"] = ("muted" if st.get("muted") else "no_call" if not self._s.in_call
                       else "speaking" if st.get("speaking") else "listening")
        self.hub.publish({"type": "status", "status": dict(st)})

    def set_shift(self, summary: Mapping[str, Any] | None) -> None:
        """Today's shift summary (from the store), or None when it cannot be read."""
        with self._lock:
            view = None
            if summary is not None:
                view = {k: summary.get(k, 0) for k in ("calls", "hard_calls", "breaks_taken",
                                                       "breaks_suggested", "talk_ms", "incidents")}
            if view == self._s.shift:
                return
            self._s.shift = view
            self.hub.publish({"type": "shift", "shift": view})


__all__ = ["AFTER_CALL_CUES", "AgentFeed", "cue_view"]
