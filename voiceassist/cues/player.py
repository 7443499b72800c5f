"""Playing cues on the headset: never a backlog, urgent first, wait for the agent to pause.

:class:`PlaybackCore` is the pure part: it is clocked by the frames the output device pulls
(``fill``), so it behaves the same live, in a test with a manual fake device, and in ``demo``
where the "device" is pulled in step with the call audio. Policy:

* Nothing playing or waiting -> the cue starts with the next buffer (or waits for a gap, below).
* A cue of strictly higher priority (``info`` < ``warn`` < ``urgent``) pre-empts the one playing
  (cut with a short fade) or replaces the one waiting; anything else arriving while a cue plays or
  waits is dropped (reported), never queued.
* Non-urgent cues wait while the agent is speaking (agent-channel VAD), at most
  ``wait_for_gap_ms``; urgent cues never wait.

:class:`CuePlayer` is the thread-safe adapter around a real or fake :class:`OutputDevice`: the
stream callback only copies samples; a monitor thread delivers :class:`PlaybackReport` s (for the
screen and the call log), notices a lost headset and re-opens it every ``retry_s`` seconds.
Nothing here raises into the call: a missing headset means cues are reported as dropped.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from voiceassist.cues.bank import CueSound
from voiceassist.cues.level import resample
from voiceassist.cues.output import OutputDevice, OutputStream
from voiceassist.errors import DeviceError
from voiceassist.events import Cue

log = logging.getLogger(__name__)

RANK = {"info": 0, "warn": 1, "urgent": 2}

CoreKind = Literal["accepted", "waiting", "dropped", "preempted", "superseded", "started", "finished"]


@dataclass(frozen=True)
class Request:
    """A cue handed to the player."""

    token: int
    sound: CueSound = field(repr=False)
    #: Cue id (or the phrase when there is no cue event).
    label: str
    cue: Cue | None = None
    #: Wall-clock time (``time.monotonic()`` s) the trigger word ended, for latency.
    trigger_wall_s: float | None = None

    @property
    def rank(self) -> int:
        """Priority: urgent 2, warn 1, info 0; agent coaching -1 (never pre-empts a caller cue,
        and any caller cue pre-empts it)."""
        if self.cue is not None and self.cue.category == "coaching":
            return -1
        return RANK.get(self.sound.severity, 1)


@dataclass(frozen=True)
class CoreEvent:
    """What happened to a request; ``frame`` is the output-device frame it happened at."""

    kind: CoreKind
    request: Request
    frame: int
    reason: str = ""


class PlaybackCore:
    """Pure cue scheduling and mixing, clocked by output frames at ``rate_hz``."""

    def __init__(self, rate_hz: int, *, wait_for_gap_ms: int = 1500, fade_ms: int = 8) -> None:
        self.rate_hz = rate_hz
        self.wait_frames = rate_hz * wait_for_gap_ms // 1000
        self.fade_frames = max(1, rate_hz * fade_ms // 1000)
        #: Output frames pulled so far (the core's clock).
        self.frame = 0
        self.agent_speaking = False
        self.current: Request | None = None
        self.pos = 0
        self.pending: Request | None = None
        self.pending_deadline = 0
        self._tail: npt.NDArray[np.float32] | None = None

    @property
    def busy(self) -> Request | None:
        """The request playing or waiting (playing first)."""
        return self.current or self.pending

    def submit(self, req: Request) -> list[CoreEvent]:
        """Offer a cue; returns what happened to it (and to anything it displaced)."""
        events: list[CoreEvent] = []
        held = [r for r in (self.current, self.pending) if r is not None]
        top = max((r.rank for r in held), default=-1)
        if held and req.rank <= top:
            busy = held[0]
            return [CoreEvent("dropped", req, self.frame, f"busy with {busy.label}")]
        if self.current is not None:
            self._cut_current()
            events.append(CoreEvent("preempted", held[0], self.frame, f"pre-empted by {req.label}"))
        if self.pending is not None:
            events.append(CoreEvent("superseded", self.pending, self.frame, f"replaced by {req.label}"))
            self.pending = None
        if req.sound.severity != "urgent" and self.agent_speaking and self.wait_frames > 0:
            self.pending = req
            self.pending_deadline = self.frame + self.wait_frames
            events.append(CoreEvent("waiting", req, self.frame, "agent is speaking"))
        else:
            self.current, self.pos = req, 0
            events.append(CoreEvent("accepted", req, self.frame))
        return events

    def _cut_current(self) -> None:
        assert self.current is not None
        rest = self.current.sound.samples[self.pos : self.pos + self.fade_frames]
        ramp = np.linspace(1.0, 0.0, rest.size, dtype=np.float32)
        self._tail = (rest * ramp).astype(np.float32)
        self.current = None

    def set_agent_speaking(self, active: bool) -> None:
        """Agent-channel VAD state (from ``SpeechSegment(speaker="agent")`` events)."""
        self.agent_speaking = active

    def drop_all(self, reason: str) -> list[CoreEvent]:
        """Forget what plays or waits (device lost, new call)."""
        events = [CoreEvent("dropped", r, self.frame, reason)
                  for r in (self.current, self.pending) if r is not None]
        self.current = self.pending = None
        self._tail = None
        return events

    def fill(self, out: npt.NDArray[np.float32]) -> list[CoreEvent]:
        """Add the next ``len(out)`` frames of cue audio into ``out`` (in place) and advance."""
        n = out.size
        events: list[CoreEvent] = []
        if self._tail is not None:
            k = min(n, self._tail.size)
            out[:k] += self._tail[:k]
            self._tail = None
        if self.pending is not None and self.current is None and (
            not self.agent_speaking or self.frame >= self.pending_deadline
        ):
            self.current, self.pos, self.pending = self.pending, 0, None
        if self.current is not None:
            samples = self.current.sound.samples
            if self.pos == 0:
                events.append(CoreEvent("started", self.current, self.frame))
            k = min(n, samples.size - self.pos)
            out[:k] += samples[self.pos : self.pos + k]
            self.pos += k
            if self.pos >= samples.size:
                events.append(CoreEvent("finished", self.current, self.frame + k))
                self.current = None
        self.frame += n
        return events


# --------------------------------------------------------------------------------------------

ReportKind = Literal[
    "started", "finished", "waiting", "dropped", "preempted", "superseded", "muted", "tts_failed",
    "device_opened", "device_missing", "device_lost", "device_recovered",
]


@dataclass(frozen=True)
class PlaybackReport:
    """Something the agent's screen or the call log should know about cue playback."""

    kind: ReportKind
    #: Cue id (or phrase); empty for device reports.
    cue: str = ""
    message: str = ""
    #: For ``started``: wall-clock ms from the end of the trigger word to the first cue sample
    #: reaching the output device (``None`` when the trigger time is unknown).
    latency_ms: float | None = None
    #: The cue event's ``at_ms`` (call time), when there is one.
    at_ms: int | None = None
    #: Output-device frame of the event, and the stream rate (Hz) to turn it into time.
    frame: int | None = None
    rate_hz: int | None = None
    device: str = ""
    severity: str = ""


class CuePlayer:
    """Non-blocking cue player on one output device (see module doc)."""

    def __init__(
        self,
        device: OutputDevice,
        *,
        rate_hz: int = 48000,
        block_ms: int = 10,
        wait_for_gap_ms: int = 1500,
        retry_s: float = 2.0,
        on_report: Callable[[PlaybackReport], None] | None = None,
    ) -> None:
        self.device = device
        self.rate_hz = rate_hz
        self.block_ms = block_ms
        self.wait_for_gap_ms = wait_for_gap_ms
        self.retry_s = retry_s
        self.on_report = on_report
        self.core = PlaybackCore(rate_hz, wait_for_gap_ms=wait_for_gap_ms)
        self.reports: list[PlaybackReport] = []
        self._stream: OutputStream | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[PlaybackReport] = queue.SimpleQueue()
        self._tokens = itertools.count(1)
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._next_retry = 0.0
        self._lost = False
        self._ever_opened = False
        self._muted_until = 0.0
        #: Why the headset could not be opened last time ("" when it is fine).
        self.last_device_error = ""

    # -- device ---------------------------------------------------------------------------
    def start(self) -> bool:
        """Open the headset (never raises) and start the monitor; True when it is open."""
        ok = self._try_open()
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="cue-player", daemon=True)
            self._monitor.start()
        return ok

    @property
    def device_ok(self) -> bool:
        return self._stream is not None and self._stream.active

    def _try_open(self) -> bool:
        try:
            block = max(1, self.rate_hz * self.block_ms // 1000)
            stream = self.device.open(self._fill, rate_hz=self.rate_hz, block_frames=block)
        except DeviceError as exc:
            self.last_device_error = exc.message
            self._next_retry = time.monotonic() + self.retry_s
            if not self._lost:
                self._lost = True
                self._report(PlaybackReport("device_missing", message=f"{exc.message}; retrying "
                                            f"every {self.retry_s:g} s", device=self.device.name))
            return False
        except Exception as exc:  # a broken driver must not end the call
            self.last_device_error = f"headset error: {exc}"
            self._next_retry = time.monotonic() + self.retry_s
            if not self._lost:
                self._lost = True
                self._report(PlaybackReport("device_missing", message=f"headset error: {exc}",
                                            device=self.device.name))
            return False
        with self._lock:
            if stream.rate_hz != self.core.rate_hz:
                self.core = PlaybackCore(stream.rate_hz, wait_for_gap_ms=self.wait_for_gap_ms)
            self._stream = stream
        kind: ReportKind = "device_recovered" if self._ever_opened or self._lost else "device_opened"
        self._ever_opened = True
        self._lost = False
        self._report(PlaybackReport(kind, message=f"cues play on {self.device.name}",
                                    device=self.device.name, rate_hz=stream.rate_hz))
        return True

    def _check_device(self) -> None:
        stream = self._stream
        if stream is not None and not stream.active:
            with self._lock:
                self._stream = None
                dropped = self.core.drop_all("headset lost")
            stream.close()
            self._lost = True
            self._next_retry = time.monotonic() + self.retry_s
            self._report(PlaybackReport("device_lost", message=f"headset {self.device.name} lost; "
                                        f"retrying every {self.retry_s:g} s", device=self.device.name))
            for ev in dropped:
                self._report(self._core_report(ev))
        elif stream is None and time.monotonic() >= self._next_retry:
            self._try_open()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._deliver()
            try:
                self._check_device()
            except Exception:  # keep watching whatever happens
                log.exception("cue player monitor")
            self._stop.wait(0.02)
        self._deliver()

    # -- reports ------------------------------------------------------------------------------
    def _report(self, rep: PlaybackReport) -> None:
        self._queue.put(rep)

    def _deliver(self) -> None:
        while True:
            try:
                rep = self._queue.get_nowait()
            except queue.Empty:
                return
            self.reports.append(rep)
            if self.on_report is not None:
                try:
                    self.on_report(rep)
                except Exception:
                    log.exception("cue report listener failed")

    def flush(self, timeout_s: float = 1.0) -> None:
        """Deliver every queued report now (tests, end of call)."""
        deadline = time.monotonic() + timeout_s
        while not self._queue.empty() and time.monotonic() < deadline:
            if self._monitor is None or not self._monitor.is_alive():
                self._deliver()
            else:
                time.sleep(0.005)

    def _core_report(self, ev: CoreEvent, wall_s: float | None = None) -> PlaybackReport:
        req = ev.request
        latency = None
        if ev.kind == "started" and wall_s is not None and req.trigger_wall_s is not None:
            latency = (wall_s - req.trigger_wall_s) * 1000.0
        kind: ReportKind = "started" if ev.kind == "accepted" else ev.kind
        return PlaybackReport(kind, req.label, ev.reason, latency,
                              req.cue.at_ms if req.cue is not None else None, ev.frame,
                              self.core.rate_hz, self.device.name, req.sound.severity)

    # -- the stream callback: copies only -----------------------------------------------------
    def _fill(self, out: npt.NDArray[np.float32], wall_s: float) -> None:
        with self._lock:
            base = self.core.frame
            events = self.core.fill(out)
            rate = self.core.rate_hz
        for ev in events:
            if ev.kind in ("started", "finished"):
                self._queue.put(self._core_report(ev, wall_s + (ev.frame - base) / rate))

    # -- API ----------------------------------------------------------------------------------
    def play(self, sound: CueSound, *, cue: Cue | None = None,
             trigger_wall_s: float | None = None) -> str:
        """Offer a cue (returns at once): ``playing``, ``waiting``, ``muted`` or ``dropped``."""
        label = cue.cue if cue is not None else sound.say
        if not sound.speech:
            self._report(PlaybackReport("tts_failed", label, f"voice failed ({sound.error}); "
                                        "tone only", severity=sound.severity))
        if time.monotonic() < self._muted_until:
            self._report(PlaybackReport("muted", label, "cues muted", severity=sound.severity,
                                        at_ms=cue.at_ms if cue else None))
            return "muted"
        stream = self._stream
        if stream is None or not stream.active:
            self._report(PlaybackReport("dropped", label, "no headset", severity=sound.severity,
                                        at_ms=cue.at_ms if cue else None, device=self.device.name))
            return "dropped"
        rate = self.core.rate_hz
        if sound.rate_hz != rate:
            sound = replace(sound, samples=resample(sound.samples, sound.rate_hz, rate), rate_hz=rate)
        req = Request(next(self._tokens), sound, label, cue, trigger_wall_s)
        with self._lock:
            events = self.core.submit(req)
        outcome = "playing"
        for ev in events:
            if ev.request is req:
                outcome = {"accepted": "playing", "waiting": "waiting"}.get(ev.kind, ev.kind)
            if ev.kind != "accepted":
                self._report(self._core_report(ev))
        return outcome

    def set_agent_speaking(self, active: bool) -> None:
        """Agent VAD state: non-urgent cues wait (up to ``wait_for_gap_ms``) while True."""
        with self._lock:
            self.core.set_agent_speaking(active)

    def mute(self, seconds: float) -> None:
        """Silence cues for ``seconds`` (wall clock; the screen lines still show)."""
        self._muted_until = time.monotonic() + seconds
        with self._lock:
            dropped = self.core.drop_all("muted")
        for ev in dropped:
            self._report(self._core_report(ev))

    def unmute(self) -> None:
        self._muted_until = 0.0

    @property
    def muted(self) -> bool:
        return time.monotonic() < self._muted_until

    def reset(self, reason: str = "new call") -> None:
        """Drop whatever plays or waits (e.g. the agent started a new call)."""
        with self._lock:
            dropped = self.core.drop_all(reason)
            self.core.set_agent_speaking(False)
        for ev in dropped:
            self._report(self._core_report(ev))

    def close(self) -> None:
        """Stop the monitor and close the stream; delivers the remaining reports."""
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=2.0)
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        self._deliver()


__all__ = ["RANK", "CoreEvent", "CuePlayer", "PlaybackCore", "PlaybackReport", "Request"]
