"""Typed events that flow through the pipeline, with a JSONL round-trip.

Every time is in **milliseconds of call time** (audio time): counted from the first sample of
the call, never from the wall clock, so a replay at any speed or block size gives the same
events as a live call. ``speaker`` is ``"caller"`` or ``"agent"`` (the channel the audio came
from).

``to_dict`` gives a JSON-ready dict with a ``"type"`` key; ``event_from_dict`` inverts it for
every event type (tests check the round trip for each).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal

Speaker = Literal["caller", "agent"]
Severity = Literal["info", "warn", "urgent"]


@dataclass(frozen=True)
class Word:
    """One recognised word."""

    text: str
    #: Start of the word, ms of call time.
    start_ms: int
    #: End of the word, ms of call time.
    end_ms: int
    #: Recogniser confidence 0..1 (1.0 for reference transcripts).
    conf: float = 1.0


@dataclass(frozen=True)
class Event:
    """Base class; ``type`` names the event in JSON."""

    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {"type": self.type, **d}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class CallStarted(Event):
    """A call (or a replayed file) begins."""

    type: ClassVar[str] = "call_started"
    call_id: str
    #: Caller's language code (it, pl, es, en, ko).
    lang: str
    #: Where the audio comes from: a file path, ``device:NAME`` or ``stdin``.
    source: str = ""
    #: Sample rate of the pipeline, Hz (always 16000 after resampling).
    rate_hz: int = 16000


@dataclass(frozen=True)
class CallEnded(Event):
    """The call ended; ``at_ms`` is its duration in ms of call time."""

    type: ClassVar[str] = "call_ended"
    call_id: str
    at_ms: int
    #: Why it ended: ``eof``, ``hangup``, ``interrupted``, ``device_lost``, ``new_call``.
    reason: str = "eof"


@dataclass(frozen=True)
class SpeechSegment(Event):
    """VAD state change on one channel: speech started (``start``) or ended (``end``)."""

    type: ClassVar[str] = "speech"
    speaker: Speaker
    #: ``start`` or ``end``.
    kind: Literal["start", "end"]
    #: Time of the change, ms of call time (start includes pre-roll, end includes hangover).
    at_ms: int


@dataclass(frozen=True)
class Transcript(Event):
    """A partial (still changing) or final (settled) recognition result for one utterance."""

    type: ClassVar[str] = "transcript"
    speaker: Speaker
    #: ``partial`` or ``final``.
    kind: Literal["partial", "final"]
    text: str
    #: Start of the utterance, ms of call time.
    start_ms: int
    #: End of the utterance so far, ms of call time.
    end_ms: int
    #: Words with call-time ms (may be empty for partials from recognisers without word times).
    words: tuple[Word, ...] = ()
    #: Counts utterances per speaker from 0; a partial and its final share it.
    utterance: int = 0
    #: For partials: True when the words given will not change (only more may follow), as with
    #: reference transcripts; False when the last word may still be revised (vosk).
    stable: bool = False


@dataclass(frozen=True)
class Cue(Event):
    """A de-escalation cue for the agent: what to whisper, the script to show, and why."""

    type: ClassVar[str] = "cue"
    #: When the cue fired, ms of call time (end of the trigger word, or of the audio that
    #: completed the pattern).
    at_ms: int
    #: PLAYBOOK cue id, e.g. ``state_boundary``.
    cue: str
    #: abuse, threat, racism, sexism, hate, flirting, troll, anger, policy_complaint, struggling,
    #: coaching (agent side) or wellbeing.
    category: str
    #: Form within the category (prejudiced / joking / aggressive, insult, violence, legal ...).
    form: str
    #: 1-based rung on the category's ladder.
    rung: int
    severity: Severity
    #: The whispered words (1-4 words), in the agent's language.
    say: str
    #: One sentence the agent may say, shown on screen, in the agent's language.
    script: str
    #: The words of the transcript that matched.
    matched: tuple[str, ...] = ()
    #: ``file:line`` of the rule that matched.
    rule: str = ""
    #: Utterance number of the trigger (see :class:`Transcript`).
    utterance: int = 0
    speaker: Speaker = "caller"
    #: Longer human explanation of why the cue fired.
    why: str = ""
    #: Call time of the audio (end of the VAD tick) after which the engine emitted the cue, ms;
    #: ``decided_ms - at_ms`` is how long the decision waited for audio. None when unknown
    #: (``detect``, older call logs).
    decided_ms: int | None = None


@dataclass(frozen=True)
class DeviceStatus(Event):
    """Something happened to an audio device (opened, overflow, lost, recovered)."""

    type: ClassVar[str] = "device"
    #: ``opened``, ``overflow``, ``lost``, ``recovered``, ``closed``.
    kind: str
    device: str
    at_ms: int
    message: str = ""
    #: For overflows: blocks dropped so far.
    count: int = 0


@dataclass(frozen=True)
class CuePlayback(Event):
    """What happened to a cue at the headset (written to the call log by ``run``)."""

    type: ClassVar[str] = "cue_playback"
    call_id: str
    #: ``started``, ``dropped``, ``preempted``, ``muted``, ``waiting``, ``device_missing``,
    #: ``device_lost``, ``device_recovered``, ``tts_failed`` ...
    kind: str
    cue: str | None = None
    #: Call time of the cue, ms.
    at_ms: int | None = None
    message: str = ""
    device: str = ""
    #: Wall clock (Unix seconds) when it happened; only for measuring latency.
    wall: float = 0.0
    #: Wall-clock ms from the end of the trigger word to the first cue sample at the device.
    latency_ms: float | None = None


@dataclass(frozen=True)
class CallSummary(Event):
    """An after-call summary for the agent (e.g. ``kind="coaching"``: "2 interruptions, pace
    high in minute 3"); ``data`` holds the figures behind ``text``."""

    type: ClassVar[str] = "summary"
    call_id: str
    #: Call time the summary refers to (the end of the call), ms.
    at_ms: int
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        CallStarted,
        CallEnded,
        SpeechSegment,
        Transcript,
        Cue,
        DeviceStatus,
        CuePlayback,
        CallSummary,
    )
}


def event_from_dict(d: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output (or a parsed JSONL line).

    Raises ``ValueError`` for an unknown ``type`` or missing/unknown fields.
    """
    data = dict(d)
    kind = data.pop("type", None)
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown fields for {kind}: {sorted(unknown)}")
    if cls is Transcript and "words" in data:
        data["words"] = tuple(Word(**w) if isinstance(w, dict) else w for w in data["words"])
    if cls is Cue and "matched" in data:
        data["matched"] = tuple(data["matched"])
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValueError(f"bad {kind} event: {exc}") from exc


def event_from_json(line: str) -> Event:
    """Parse one JSONL line into an event."""
    return event_from_dict(json.loads(line))


__all__ = [
    "EVENT_TYPES",
    "CallEnded",
    "CallStarted",
    "CallSummary",
    "Cue",
    "CuePlayback",
    "DeviceStatus",
    "Event",
    "Severity",
    "Speaker",
    "SpeechSegment",
    "Transcript",
    "Word",
    "event_from_dict",
    "event_from_json",
]
