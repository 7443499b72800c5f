"""The live call loop behind ``voiceassist run``: devices in, cues whispered, screen, keys, log.

One thread iterates the capture source (:class:`~voiceassist.audio.live.LiveSource`) and drives
the :class:`~voiceassist.pipeline.Pipeline`; its listeners write the JSONL call log, print one
calm line per cue, and hand each cue's sound to the :class:`~voiceassist.cues.player.CuePlayer`
(non-blocking). The player's monitor thread reports playback (with latency), drops and headset
trouble back to the screen and the log. A key thread (only on an interactive terminal) reads
``m`` (mute cues for ``mute_minutes``), ``u`` (unmute), ``n`` (new call: the current one ends,
state resets) and ``q`` (quit). Ctrl-C and SIGTERM stop the source; the pipeline is flushed and
the log closed, so the log is complete.

Calls also split on audio (a service has no keys): once neither channel has had speech for
``new_call_after_s`` of audio time, the call ends with reason ``silence`` (the same path as ``n``:
after-call cues, store record, log closed) and only a VAD listens until the next speech, which
starts a new call; the new call begins a few hundred ms before that speech (the VAD pre-roll).
The decision is made on whole VAD frames of audio time, so the split is the same for any block
size and for a replayed recording as for a live call. A call with no speech yet never ends this
way, so a quiet line opens no empty calls.

Latency: wall time of call-time ms ``t`` is estimated as ``t0 + t / 1000`` where ``t0`` is the
earliest ``arrival - block_end`` over the blocks seen (a block cannot arrive before its audio was
captured), so a cue's latency counts everything from the end of the trigger word to the first
cue sample reaching the headset: block buffering, recognition, the engine, the player.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from voiceassist.audio.block import RATE_HZ, AudioBlock, Pcm16, samples_to_ms
from voiceassist.audio.live import stop_on_signals
from voiceassist.calllog import CallLog, new_call_id
from voiceassist.cues.bank import CueBank
from voiceassist.cues.output import OutputDevice
from voiceassist.cues.player import CuePlayer, PlaybackReport
from voiceassist.errors import DeviceError, ExitCode
from voiceassist.events import CallEnded, CallSummary, Cue, DeviceStatus, Event, Speaker, SpeechSegment
from voiceassist.langs import cue_lang
from voiceassist.pipeline import AgentCoach, CueEngine
from voiceassist.session.assembly import Call
from voiceassist.store.identity import agent_identity
from voiceassist.stt.base import Recognizer
from voiceassist.vad.config import VadConfig
from voiceassist.vad.segmenter import VadSegmenter

log = logging.getLogger(__name__)


@dataclass
class RunConfig:
    """Everything ``run`` needs, merged from defaults, config files, environment and flags."""

    lang: str = "en"
    agent_lang: str = ""
    agent_name: str = ""
    caller_device: str | None = None
    agent_device: str | None = None
    headset: str | None = None
    caller_channel: str = "left"
    agent_channel: str = "right"
    #: Which channels of the headset carry the cue: both, left, right.
    headset_channel: str = "both"
    block_ms: int = 20
    on_device_lost: str = "retry"
    model: str | None = None
    cues_enabled: bool = True
    gain_dbfs: float = -20.0
    earcon: bool = True
    rate_wpm: int = 185
    wait_for_gap_ms: int = 1500
    mute_minutes: int = 5
    log_enabled: bool = True
    log_dir: Path | None = None
    redact: bool = False
    rule_dirs: tuple[Path, ...] = ()
    #: The caller's phone number or id (for caller flags), when the telephony side gives it.
    caller_id: str | None = None
    #: Player output rate, Hz (the device may force another).
    output_rate_hz: int = 48000
    interactive: bool = True
    #: End the call after this much audio time with no speech on either channel, s (0 = never);
    #: the next speech then starts a new call.
    new_call_after_s: float = 30.0
    #: Voice activity detection for both channels (the ``vad.*`` settings).
    vad: VadConfig = field(default_factory=VadConfig)

    @property
    def cue_lang(self) -> str:
        """Language of the cue texts: the agent's, else the caller's."""
        return cue_lang(self.lang, self.agent_lang)

    @classmethod
    def from_settings(cls, s: Mapping[str, Any], **extra: Any) -> RunConfig:
        """From :func:`voiceassist.settings.load_settings` values."""
        return cls(
            lang=str(s["call.lang"]), agent_lang=str(s["call.agent_lang"]),
            agent_name=str(s["call.agent_name"]),
            caller_device=str(s["audio.caller_device"]) or None,
            agent_device=str(s["audio.agent_device"]) or None,
            headset=str(s["audio.headset"]) or None,
            caller_channel=str(s["audio.caller_channel"]), agent_channel=str(s["audio.agent_channel"]),
            block_ms=int(s["audio.block_ms"]), on_device_lost=str(s["audio.on_device_lost"]),
            model=str(s["stt.model"]) or None, cues_enabled=bool(s["cues.enabled"]),
            gain_dbfs=float(s["cues.gain_dbfs"]), earcon=bool(s["cues.earcon"]),
            rate_wpm=int(s["cues.rate_wpm"]), wait_for_gap_ms=int(s["cues.wait_for_gap_ms"]),
            mute_minutes=int(s["cues.mute_minutes"]), log_enabled=bool(s["log.enabled"]),
            log_dir=Path(s["log.dir"]) if s["log.dir"] else None, redact=bool(s["log.redact"]),
            rule_dirs=tuple(Path(d) for d in s["rules.extra_dirs"]),
            new_call_after_s=float(s["run.new_call_after_s"]), vad=VadConfig.from_settings(s),
            **extra,
        )


class BlockSource(Protocol):
    """What the loop needs from a capture source (LiveSource satisfies it)."""

    def blocks(self) -> Iterator[AudioBlock]: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Seams:
    """Factories for everything with hardware or heavy models behind it (tests replace them)."""

    #: ``(config, on_status) -> source``.
    source: Callable[[RunConfig, Callable[[DeviceStatus], None]], BlockSource]
    #: The headset.
    output: OutputDevice
    #: A new caller recogniser per call.
    recognizer: Callable[[], Recognizer]
    #: A new escalation engine per call.
    engine: Callable[[], CueEngine]
    #: Cue sounds in the agent's language.
    bank: CueBank
    #: Every cue phrase to render at start-up.
    phrases: Sequence[str] = ()
    #: A new agent recogniser per call (coaching on the agent's words), or None.
    agent_recognizer: Callable[[], Recognizer] | None = None
    #: A new coaching engine per call, given the call's escalation engine (for "caller upset"), or None.
    coaching: Callable[[CueEngine], AgentCoach | None] | None = None
    #: The call store (``voiceassist.store.recorder.CallRecorder``): caller flags, incidents,
    #: alerts, wellbeing. Optional: calls run without it.
    recorder: Any | None = None
    #: An escalation engine with a flagged caller's adjustments (``{"threshold_scale": 0.75}``).
    flagged_engine: Callable[[Mapping[str, float]], CueEngine] | None = None
    #: The effective settings (``wellbeing.*`` for the after-call decision).
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: More listeners of everything the call log gets (events, ``cue_playback`` and
    #: ``cue_feedback`` records), whether or not a log is written, plus ``status`` mappings
    #: (state, level, mute) about ten times a second: the agent's panel.
    observers: Sequence[Callable[[Event | Mapping[str, Any]], None]] = ()


# --------------------------------------------------------------------------------------------
# Screen


def format_clock(ms: int) -> str:
    """``MM:SS`` (``H:MM:SS`` past an hour) of call time."""
    s = max(0, int(ms)) // 1000
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


def level_meter(dbfs: float, width: int = 10) -> str:
    """A bar for -60..0 dBFS."""
    filled = 0 if not math.isfinite(dbfs) else max(0, min(width, round((dbfs + 60) / 60 * width)))
    return "#" * filled + "." * (width - filled)


class Screen:
    """One calm line per cue and a status line (redrawn in place on a terminal).

    Thread-safe; without a terminal the status line is not drawn.
    """

    def __init__(self, out: TextIO, *, live: bool) -> None:
        self.out = out
        self.live = live
        self._lock = threading.Lock()
        self._status = ""

    def line(self, text: str) -> None:
        with self._lock:
            if self.live and self._status:
                self.out.write("\r\x1b[K")
            self.out.write(text + "\n")
            if self.live and self._status:
                self.out.write(self._status)
            self.out.flush()

    def cue(self, cue: Cue, *, muted: bool) -> None:
        mark = "!" if cue.severity == "urgent" else " "
        tail = "  (muted)" if muted else ""
        self.line(f"{format_clock(cue.at_ms)} {mark} {cue.say}  - {cue.script}{tail}")

    def note(self, text: str) -> None:
        self.line(f"      - {text}")

    def status(self, text: str) -> None:
        if not self.live:
            return
        with self._lock:
            self._status = text
            self.out.write("\r\x1b[K" + text)
            self.out.flush()

    def clear_status(self) -> None:
        if not self.live:
            return
        with self._lock:
            if self._status:
                self.out.write("\r\x1b[K")
                self.out.flush()
            self._status = ""


# --------------------------------------------------------------------------------------------
# Keys


@contextlib.contextmanager
def key_reader(handler: Callable[[str], None], enabled: bool) -> Iterator[None]:
    """Read single keys from an interactive terminal on a thread (cbreak mode, restored after)."""
    if not enabled or not sys.stdin.isatty():
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                ch = os.read(fd, 1).decode(errors="ignore").lower()
                if ch:
                    handler(ch)

    tty.setcbreak(fd)
    thread = threading.Thread(target=loop, name="keys", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1.0)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


# --------------------------------------------------------------------------------------------
# The call


@dataclass
class LatencyRecord:
    """One cue that reached the headset."""

    call_id: str
    cue: str
    at_ms: int
    latency_ms: float
    #: Call time when the pipeline emitted the cue (end of the block that completed it), ms;
    #: ``decided_ms - at_ms`` is the part of the latency spent waiting for more audio.
    decided_ms: int | None = None


@dataclass
class RunSummary:
    """What a run did (for the command's last line, tests and the benchmark)."""

    calls: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    cues: int = 0
    latencies: list[LatencyRecord] = field(default_factory=list)
    end_reason: str = ""


#: Longest wait between two tries of a device that was missing at start, s.
START_RETRY_MAX_S = 10.0

#: One overall deadline for rendering the cue voices in the background at start-up, s.
PREPARE_DEADLINE_S = 120.0

#: Audio kept before the first voiced frames beyond the VAD pre-roll when a call starts after a
#: silence, ms: the new call's own VAD settles on it before the speech.
LEAD_IN_MS = 500


@dataclass
class _Between:
    """Between calls (a silence ended the last one): only a VAD listens, until someone speaks."""

    #: Source sample of the first sample in :attr:`caller` (frames are counted from here).
    start: int
    vads: dict[Speaker, VadSegmenter]
    #: The last frames heard, ``(source sample, caller, agent)``: the next call begins with them.
    recent: deque[tuple[int, Pcm16, Pcm16 | None]]
    #: Samples after the last whole frame.
    caller: Pcm16
    agent: Pcm16 | None = None


class LiveCall:
    """Runs calls until the source ends, ``q``, Ctrl-C or SIGTERM. See the module docstring."""

    def __init__(self, cfg: RunConfig, seams: Seams, screen: Screen) -> None:
        self.cfg = cfg
        self.seams = seams
        self.screen = screen
        self.summary = RunSummary()
        self.player = CuePlayer(seams.output, rate_hz=cfg.output_rate_hz,
                                wait_for_gap_ms=cfg.wait_for_gap_ms, on_report=self._on_report)
        self._log: CallLog | None = None
        self._log_lock = threading.Lock()
        self._pipeline: Call | None = None
        self._call_id = ""
        self._origin = 0  # source sample where the current call began
        self._t0 = math.inf  # wall time (monotonic s) of call time 0
        #: Samples of the current call processed so far (the fake headset can follow it).
        self.position = 0
        self._quit = False
        self._new_call = False
        self._source: BlockSource | None = None
        self._caller_speaking = False
        self._level_db = -math.inf
        self._last_status = 0.0
        self._feeding_end = 0
        self._decided: dict[tuple[str, int], int] = {}
        #: The pipeline's VAD settings; the listener between calls uses the same.
        self._vad_config = cfg.vad
        #: Silence that ends a call, ms of audio time (0 = never).
        self._split_ms = max(0, round(cfg.new_call_after_s * 1000))
        self._speaking: set[Speaker] = set()  # channels in a speech segment now
        self._heard = False  # the current call has had speech
        self._quiet_ms = 0  # call time when the last speech segment ended
        self._between: _Between | None = None
        self._notices_shown = 0
        #: First wait before retrying a device missing at start, s (doubles up to START_RETRY_MAX_S).
        self.start_retry_s = 1.0
        #: The thread rendering the cue voices at start-up (None when nothing to render).
        self.preparing: threading.Thread | None = None

    @property
    def call_origin(self) -> int:
        """Source sample where the current (or last) call began."""
        return self._origin

    # -- events ------------------------------------------------------------------------------
    def _write(self, item: Event | Mapping[str, Any]) -> None:
        with self._log_lock:
            if self._log is not None:
                self._log.write(item)
        self._tell(item)

    def _tell(self, item: Event | Mapping[str, Any]) -> None:
        for observer in self.seams.observers:
            try:
                observer(item)
            except Exception:  # a panel's trouble never stops the coaching
                log.exception("run observer failed")

    def status(self) -> dict[str, Any]:
        """The state the status line shows, as a ``status`` record for observers."""
        return {"type": "status", "muted": self.player.muted, "in_call": self._pipeline is not None,
                "speaking": self._caller_speaking, "level_db": round(max(-90.0, self._level_db), 1),
                "headset_ok": self.player.device_ok, "position_ms": self.position * 1000 // RATE_HZ}

    def _show_notices(self) -> None:
        """The bank's one-line notices (voice fallback, TTS trouble) not shown yet."""
        notices = self.seams.bank.notices
        while self._notices_shown < len(notices):
            self.screen.note(notices[self._notices_shown])
            self._notices_shown += 1

    def _on_event(self, event: Event) -> None:
        self._write(event)
        if isinstance(event, Cue):
            self.summary.cues += 1
            self._decided[(event.cue, event.at_ms)] = self._feeding_end * 1000 // RATE_HZ
            muted = self.player.muted or not self.cfg.cues_enabled
            self.screen.cue(event, muted=muted)
            if self.cfg.cues_enabled:
                sound = self.seams.bank.sound_for(event.say, event.severity)
                self._show_notices()
                self.player.play(sound, cue=event, trigger_wall_s=self._t0 + event.at_ms / 1000.0)
        elif isinstance(event, SpeechSegment):
            if event.kind == "start":
                self._speaking.add(event.speaker)
                self._heard = True
            else:
                self._speaking.discard(event.speaker)
                self._quiet_ms = max(self._quiet_ms, event.at_ms)
            if event.speaker == "agent":
                self.player.set_agent_speaking(event.kind == "start")
            else:
                self._caller_speaking = event.kind == "start"

    def _on_status(self, status: DeviceStatus) -> None:
        self._write(status)
        if status.kind in ("lost", "recovered", "overflow"):
            self.screen.note(f"{status.device}: {status.kind} {status.message}".rstrip())

    def _on_report(self, rep: PlaybackReport) -> None:
        data: dict[str, Any] = {"type": "cue_playback", "call_id": self._call_id, "kind": rep.kind,
                                "cue": rep.cue, "at_ms": rep.at_ms, "message": rep.message,
                                "device": rep.device, "wall": round(time.time(), 3)}
        if rep.latency_ms is not None:
            data["latency_ms"] = round(rep.latency_ms, 1)
        self._write(data)
        if rep.kind == "started" and rep.latency_ms is not None and rep.at_ms is not None:
            self.summary.latencies.append(LatencyRecord(
                self._call_id, rep.cue, rep.at_ms, rep.latency_ms, self._decided.get((rep.cue, rep.at_ms))))
        if rep.kind in ("device_missing", "device_lost", "device_recovered", "tts_failed"):
            self.screen.note(rep.message)

    # -- calls --------------------------------------------------------------------------------
    def _begin_call(self, origin: int) -> None:
        self._call_id = new_call_id()
        self._origin = origin
        self._t0 = math.inf
        self.position = 0
        self._between = None
        self._speaking = set()
        self._heard = False
        self._quiet_ms = 0
        if self.cfg.log_enabled:
            log_file = CallLog(self.cfg.log_dir, self._call_id, redact=self.cfg.redact,
                               degrade=True)
            with self._log_lock:
                self._log = log_file
            self.summary.logs.append(log_file.path)
        self.summary.calls.append(self._call_id)
        recorder = self.seams.recorder
        source = f"device:{self.cfg.caller_device or 'default'}"
        heads_up = None
        if recorder is not None:
            heads_up = recorder.start_call(self._call_id, lang=self.cfg.lang,
                                           agent=agent_identity(self.cfg.agent_name),
                                           caller_id=self.cfg.caller_id,
                                           source=source)
        if heads_up is not None and heads_up.adjustments and self.seams.flagged_engine is not None:
            engine = self.seams.flagged_engine(heads_up.adjustments)
        else:
            engine = self.seams.engine()
        coaching = self.seams.coaching(engine) if self.seams.coaching is not None else None
        agent_rec = self.seams.agent_recognizer() if self.seams.agent_recognizer is not None else None
        # The call assembly's call: after-call decision and store record, as in replay and eval.
        self._pipeline = Call(engine, coaching, self.seams.recognizer(), agent_rec, vad=self._vad_config,
                              agent_name=self.cfg.agent_name, settings=self.seams.settings,
                              lang=self.cfg.lang, call_id=self._call_id, source=source,
                              listeners=[self._on_event], recorder=recorder, heads_up=heads_up)
        self._pipeline.start()

    def _end_call(self, reason: str) -> None:
        if self._pipeline is not None:
            pipe = self._pipeline
            ended = pipe.finish(reason=reason)
            self._pipeline = None
            at_ms = next((e.at_ms for e in ended if isinstance(e, CallEnded)), pipe.position_ms)
            summary = pipe.coaching_summary
            text = getattr(summary, "text", "")
            if text:
                self.screen.note(text)
                data = summary.to_dict() if hasattr(summary, "to_dict") else {}
                self._write(CallSummary(call_id=self._call_id, at_ms=at_ms, kind="coaching", text=text,
                                        data=data))
        self.player.flush(0.2)
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    # -- controls (any thread) --------------------------------------------------------------------
    def key(self, ch: str) -> None:
        """Handle one key: m, u, n, q."""
        if ch == "m":
            self.player.mute(self.cfg.mute_minutes * 60)
            self.screen.note(f"cues muted for {self.cfg.mute_minutes} min (u to unmute)")
            self._tell(self.status())
        elif ch == "u":
            self.player.unmute()
            self.screen.note("cues on")
            self._tell(self.status())
        elif ch == "n":
            self._new_call = True
        elif ch == "q":
            self.quit()

    def cue_wrong(self, call_id: str, cue: str, at_ms: int, note: str = "") -> dict[str, Any]:
        """The agent says a cue was wrong: a ``cue_feedback`` line in that call's log and a
        record in the store (for QA). Returns the record."""
        item = {"type": "cue_feedback", "call_id": call_id, "cue": cue, "at_ms": int(at_ms),
                "verdict": "wrong", "note": note[:200], "wall": round(time.time(), 3)}
        with self._log_lock:
            if self._log is not None and call_id == self._call_id:
                self._log.write(item)
            elif self.cfg.log_enabled and call_id in self.summary.calls:  # an ended call's log
                with CallLog(self.cfg.log_dir, call_id, redact=self.cfg.redact, degrade=True) as old:
                    old.write(item)
        recorder = self.seams.recorder
        if recorder is not None and hasattr(recorder, "record_feedback"):
            try:
                recorder.record_feedback(call_id, cue, int(at_ms), verdict="wrong", note=note[:200])
            except Exception:  # the store's trouble never stops the call
                log.exception("store: cue feedback not recorded")
        self._tell(item)
        return item

    def quit(self) -> None:
        """End the run cleanly (like ``q``)."""
        self._quit = True
        if self._source is not None:
            self._source.stop()

    # -- the loop -------------------------------------------------------------------------------
    def _status_line(self) -> None:
        now = time.monotonic()
        if now - self._last_status < 0.1:
            return
        self._last_status = now
        state = ("muted" if self.player.muted else "no call" if self._pipeline is None
                 else "speech" if self._caller_speaking else "listening")
        head = "headset ok" if self.player.device_ok else "NO HEADSET"
        if self.seams.observers:
            self._tell(self.status())
        self.screen.status(f"{format_clock(self.position * 1000 // RATE_HZ)}  {state:<9} "
                           f"[{level_meter(self._level_db)}]  {head}   m mute  u unmute  n new call  q quit")

    def _feed(self, block: AudioBlock) -> None:
        arrival = time.monotonic()
        if self._new_call:
            self._new_call = False
            self._end_call("new_call")
            self._next_call(block.start_sample)
        pcm = block.caller.astype(np.float32)
        self._level_db = 20 * math.log10(float(np.sqrt(np.mean(pcm * pcm))) / 32768.0 + 1e-9)
        if self._pipeline is not None:
            self._clock(block, arrival)
        if self._split_ms <= 0:
            self._feed_call(block, block)
        else:
            pos = block.start_sample
            while pos < block.end_sample:
                if self._pipeline is None:
                    pos = self._listen(block, pos, arrival)
                else:
                    pos = self._feed_until_silence(block, pos)
        self.position = block.end_sample - self._origin
        self._status_line()

    def _next_call(self, origin: int) -> None:
        """Begin a new call at source sample ``origin`` (after ``n`` or a silence)."""
        self.player.reset("new call")
        self.screen.note("new call")
        self._begin_call(origin)

    def _clock(self, block: AudioBlock, arrival: float) -> None:
        """Latency reference: ``block`` (its end) cannot have arrived before it was captured."""
        self._t0 = min(self._t0, arrival - (block.end_sample - self._origin) / RATE_HZ)

    def _feed_call(self, part: AudioBlock, block: AudioBlock) -> None:
        """Feed ``part`` (of ``block``) to the current call."""
        assert self._pipeline is not None
        self._feeding_end = block.end_sample - self._origin
        self._pipeline.feed(part)

    def _feed_until_silence(self, block: AudioBlock, pos: int) -> int:
        """Feed ``block`` from source sample ``pos`` up to the next VAD frame boundary of call
        time; end the call there when the silence is long enough. Returns where feeding stopped."""
        if self._heard and samples_to_ms(block.end_sample - self._origin) - self._quiet_ms < self._split_ms:
            # No frame boundary in this block can end the call (the quiet time only grows): feed
            # the rest in one piece instead of frame by frame.
            self._feed_call(_part(block, pos, block.end_sample), block)
            return block.end_sample
        frame = self._vad_config.frame_samples
        stop = min(block.end_sample, self._origin + ((pos - self._origin) // frame + 1) * frame)
        self._feed_call(_part(block, pos, stop), block)
        at = stop - self._origin
        if at % frame == 0 and self._heard and not self._speaking \
                and samples_to_ms(at) - self._quiet_ms >= self._split_ms:
            self._end_call("silence")
            self.screen.note(f"call ended after {self.cfg.new_call_after_s:g} s without speech; "
                             "the next speech starts a new call")
            cfg = self._vad_config
            keep = cfg.preroll_frames + cfg.start_frames + -(-LEAD_IN_MS // cfg.frame_ms)
            self._between = _Between(stop, {"caller": VadSegmenter("caller", cfg)}, deque(maxlen=keep),
                                     np.zeros(0, dtype=np.int16))
        return stop

    def _listen(self, block: AudioBlock, pos: int, arrival: float) -> int:
        """Between calls: run the VAD over ``block`` from source sample ``pos``; on speech, begin
        a new call with the last frames heard. Returns where the new call continues (or the end)."""
        b = self._between
        assert b is not None
        off = pos - block.start_sample
        caller = np.concatenate((b.caller, block.caller[off:]))
        agent = None
        if block.agent is not None:
            agent = block.agent[off:] if b.agent is None else np.concatenate((b.agent, block.agent[off:]))
            if "agent" not in b.vads:
                b.vads["agent"] = VadSegmenter("agent", self._vad_config)
        frame = self._vad_config.frame_samples
        usable = len(caller) - len(caller) % frame
        for i in range(0, usable, frame):
            at = b.start + i
            frames = {"caller": caller[i : i + frame]}
            if agent is not None:
                frames["agent"] = agent[i : i + frame]
            b.recent.append((at, frames["caller"], frames.get("agent")))
            starts = [o for speaker, vad in b.vads.items() for o in vad.process(frames[speaker])
                      if isinstance(o, SpeechSegment) and o.kind == "start"]
            if starts:
                recent = list(b.recent)
                self._next_call(recent[0][0])
                self._clock(block, arrival)
                for start, c, a in recent:
                    self._feed_call(AudioBlock(c, start, a), block)
                return at + frame
        b.start += usable
        b.caller = caller[usable:].copy()
        b.agent = None if agent is None else agent[usable:].copy()
        return block.end_sample

    def _open_source(self) -> BlockSource:
        """The capture source. With ``on_device_lost = retry`` a device missing at start (a
        headset not yet plugged in at login) is waited for, retried with a growing interval up
        to :data:`START_RETRY_MAX_S`, instead of ending the run with exit 7."""
        attempt = 0
        while True:
            try:
                return self.seams.source(self.cfg, self._on_status)
            except DeviceError as exc:
                if self.cfg.on_device_lost != "retry" or self._quit:
                    raise
                if attempt == 0:
                    log.warning("%s; waiting for the device (audio.on_device_lost = retry)", exc.message)
                    self.screen.note(f"{exc.message}; waiting for it (audio.on_device_lost = retry)")
                attempt += 1
                time.sleep(min(self.start_retry_s * 2 ** min(attempt - 1, 10), START_RETRY_MAX_S))

    def run(self) -> int:
        """Run until the end; returns the exit code (0, 130 after Ctrl-C/SIGTERM, 7 device lost)."""
        bank = self.seams.bank
        if self.cfg.cues_enabled and self.seams.phrases:
            # Listening starts at once; the voices are rendered meanwhile (a cue before its
            # phrase is ready, or while the engine hangs, is the earcon and the screen line).
            self.preparing = bank.prepare_in_background(self.seams.phrases,
                                                        deadline_s=PREPARE_DEADLINE_S)
        self._show_notices()
        self.player.start()
        self.player.flush(0.2)
        source = self._open_source()
        self._source = source
        signalled = threading.Event()
        reason = "eof"
        try:
            with stop_on_signals(source, flag=signalled), key_reader(self.key, self.cfg.interactive):
                self._begin_call(0)
                for block in source.blocks():
                    self._feed(block)
            end = str(getattr(source, "end_reason", "") or "eof")
            if signalled.is_set():
                reason = "interrupted"
            elif self._quit:
                reason = "hangup"
            elif end == "device_lost":
                reason = "device_lost"
            else:
                reason = "eof" if end in ("eof", "") else end
        except KeyboardInterrupt:
            reason = "interrupted"
        finally:
            self._end_call(reason)
            self.screen.clear_status()
            self.player.close()
            source.close()
            self.summary.end_reason = reason
        if reason == "interrupted":
            return int(ExitCode.INTERRUPTED)
        if reason == "device_lost":
            raise DeviceError("the caller's audio device was lost; the call log is complete",
                              hint="reconnect it and start again, or set audio.on_device_lost = "
                                   "\"retry\"")
        return int(ExitCode.OK)


def _part(block: AudioBlock, start: int, stop: int) -> AudioBlock:
    """Source samples ``start..stop`` of ``block``."""
    if start == block.start_sample and stop == block.end_sample:
        return block
    a, b = start - block.start_sample, stop - block.start_sample
    return AudioBlock(block.caller[a:b], start, None if block.agent is None else block.agent[a:b])


__all__ = [
    "LatencyRecord",
    "LiveCall",
    "RunConfig",
    "RunSummary",
    "Screen",
    "Seams",
    "format_clock",
    "key_reader",
    "level_meter",
]

