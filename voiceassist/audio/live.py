"""Live capture from sound devices, as 16 kHz :class:`AudioBlock` s plus device status events.

Layout: one device split into caller/agent channels (stereo, like a file), or two devices (caller
device and agent device, each one channel). Devices are chosen by index or name substring
(:func:`voiceassist.audio.devices.find_device`).

Threads and the bounded queue: PortAudio calls :meth:`_Capture.callback` on its own thread; the
callback ONLY copies the block into one bounded :class:`queue.Queue` (no decoding, no locks, no
logging). When the queue is full the block is dropped and counted; the number of dropped frames
travels with the next block that fits, and the worker inserts that much silence so call time
(counted in samples) stays aligned with the real call. PortAudio's own ``input_overflow`` flag is
counted too. The worker is the thread that iterates :meth:`LiveSource.blocks`: it resamples to
16 kHz, aligns the two devices, cuts blocks, and reports :class:`~voiceassist.events.DeviceStatus`
events (``opened``, ``overflow``, ``lost``, ``recovered``, ``closed``) through ``on_status`` and
:attr:`LiveSource.status_events`, on the worker thread, in order with the blocks.

Stopping: :meth:`LiveSource.stop` only sets an event (safe from a signal handler or another
thread); the worker then stops the streams, drains the queue, flushes the resampler and yields
what was captured, and ``blocks()`` ends with :attr:`LiveSource.end_reason` = ``"stopped"``.
:func:`stop_on_signals` wires Ctrl-C and SIGTERM to it.

Device lost (the stream finished without being asked, went inactive, or delivered nothing for
``stall_timeout_s`` of wall time): a ``lost`` status, what was captured is flushed, then either
``blocks()`` ends with ``end_reason == "device_lost"`` (``on_lost="stop"``) or the devices are
re-opened every ``retry_interval_s`` (``on_lost="retry"``, up to ``max_retries``), with a
``recovered`` status on success. The outage itself is not counted in call time.

The seam: ``stream_factory`` (default :func:`sounddevice_stream`) is called with the keyword
arguments of ``sounddevice.InputStream`` (``device``, ``channels``, ``samplerate``, ``blocksize``,
``dtype="float32"``, ``callback``, ``finished_callback``) and must return an object with
``start()``, ``stop()``, ``close()`` and ``active``; the callback has sounddevice's signature
``callback(indata, frames, time, status)``. :class:`voiceassist.audio.fake_stream.FakeAudioSystem`
provides matching fake devices driven by numpy arrays (overflow, device loss, failed re-opens) and
a fake device list, so tests run without a sound card::

    system = FakeAudioSystem()
    system.add_input("USB Headset", samples, rate_hz=8000)
    with LiveSource("usb", backend=system.backend, stream_factory=system.open_stream) as src:
        for block in src.blocks(): ...
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import AudioBlock
from voiceassist.audio.channels import ChannelMap
from voiceassist.audio.convert import Reblocker
from voiceassist.audio.devices import DeviceBackend, DeviceInfo, find_device
from voiceassist.audio.resample import Pcm16Frames, Resampler
from voiceassist.audio.source import (
    DEFAULT_BLOCK_SAMPLES,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    AudioInfo,
    check_block_samples,
    check_format,
)
from voiceassist.errors import DeviceError, UsageError
from voiceassist.events import DeviceStatus

log = logging.getLogger(__name__)

EndReason = Literal["", "stopped", "eof", "device_lost"]


class InputStreamLike(Protocol):
    """What :class:`LiveSource` needs from a ``sounddevice.InputStream``."""

    @property
    def active(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


StreamFactory = Callable[..., InputStreamLike]


def sounddevice_stream(**kwargs: Any) -> InputStreamLike:
    """The real seam: a ``sounddevice.InputStream`` with the given keyword arguments."""
    import sounddevice as sd

    stream: InputStreamLike = sd.InputStream(**kwargs)
    return stream


def _capture_rate(default_hz: float) -> int:
    """A device's default rate, brought into the supported 8-48 kHz range."""
    return min(MAX_RATE_HZ, max(MIN_RATE_HZ, round(default_hz)))


@dataclass
class _Capture:
    """One open device: its stream, its callback (PortAudio thread) and its counters."""

    slot: int
    spec: str | int | None
    device: DeviceInfo
    channels: int
    channel_map: ChannelMap
    frames_queue: queue.Queue[tuple[int, int, npt.NDArray[np.float32]]]
    stream: InputStreamLike | None = None
    #: Frames dropped since the last block that fitted in the queue (written by the callback).
    dropped_pending: int = 0
    #: Callback blocks dropped because the queue was full.
    dropped_blocks: int = 0
    #: Callbacks flagged ``input_overflow`` by PortAudio.
    portaudio_overflows: int = 0
    finished: threading.Event = field(default_factory=threading.Event)
    stopping: bool = False
    last_data: float = 0.0

    def callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio thread: copy into the queue, count problems, nothing else."""
        if status and getattr(status, "input_overflow", False):
            self.portaudio_overflows += 1
        try:
            self.frames_queue.put_nowait((self.slot, self.dropped_pending, indata.copy()))
            self.dropped_pending = 0
        except queue.Full:
            self.dropped_pending += frames
            self.dropped_blocks += 1

    def on_finished(self) -> None:
        """PortAudio thread: the stream became inactive."""
        self.finished.set()

    @property
    def overflows(self) -> int:
        return self.dropped_blocks + self.portaudio_overflows

    @property
    def eof(self) -> bool:
        """Only fake streams end (their data ran out); real devices never do."""
        return bool(getattr(self.stream, "eof", False))


class LiveSource:
    """Audio from one stereo device (split into caller/agent) or from two devices.

    ``caller_device`` / ``agent_device``: index, name substring, or None (default input). With
    only ``caller_device``, its channels are mapped like a file's (``caller_channel``
    left|right|mix, ``agent_channel`` left|right|none; a mono device is all caller). With both,
    the caller device gives the caller (its ``caller_channel``) and the agent device the agent
    (its ``agent_channel``; a mono device's only channel).

    ``rate_hz``: capture rate, Hz (default: the device's default rate). ``callback_ms``: length
    of a PortAudio callback block. ``queue_ms``: audio the bounded queue can hold before blocks
    are dropped. ``on_lost``: ``stop`` or ``retry``. ``stall_timeout_s``: wall-clock seconds
    without data before a device counts as lost. ``on_status``: called with every
    :class:`DeviceStatus` on the iterating thread.
    """

    def __init__(
        self,
        caller_device: str | int | None = None,
        agent_device: str | int | None = None,
        *,
        caller_channel: str = "left",
        agent_channel: str = "right",
        rate_hz: int | None = None,
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
        callback_ms: int = 20,
        queue_ms: int = 10_000,
        on_status: Callable[[DeviceStatus], None] | None = None,
        on_lost: str = "stop",
        retry_interval_s: float = 1.0,
        max_retries: int | None = None,
        stall_timeout_s: float = 2.0,
        backend: DeviceBackend | None = None,
        stream_factory: StreamFactory | None = None,
    ) -> None:
        if on_lost not in ("stop", "retry"):
            raise UsageError(f"on device loss: expected stop|retry, got {on_lost!r}")
        self.block_samples = check_block_samples(block_samples)
        self.channel_map = ChannelMap.parse(caller_channel, agent_channel)
        if agent_device is not None and self.channel_map.agent == "none":
            raise UsageError("an agent device was given but the agent channel is 'none'")
        if callback_ms < 1 or queue_ms < callback_ms:
            raise UsageError("callback_ms must be >= 1 and queue_ms >= callback_ms")
        self.on_status = on_status
        self.on_lost = on_lost
        self.retry_interval_s = float(retry_interval_s)
        self.max_retries = max_retries
        self.stall_timeout_s = float(stall_timeout_s)
        self.callback_ms = int(callback_ms)
        self.queue_ms = int(queue_ms)
        self._backend = backend
        self._factory: StreamFactory = stream_factory or sounddevice_stream
        self._specs: list[str | int | None] = [caller_device]
        if agent_device is not None:
            self._specs.append(agent_device)
        self._requested_rate = rate_hz
        self._stop = threading.Event()
        self._started = False
        self._iterated = False
        self.status_events: list[DeviceStatus] = []
        #: Why ``blocks()`` ended: ``stopped``, ``eof`` (fake streams only) or ``device_lost``.
        self.end_reason: EndReason = ""
        self._captures: list[_Capture] = []
        self._reported_overflows = 0
        self._consumed_frames = 0
        self._resolve()

    # -- set-up ------------------------------------------------------------------------------

    def _resolve(self) -> None:
        """Find the devices and decide channels and rate (raises DeviceError)."""
        devices = [find_device(spec, "input", backend=self._backend) for spec in self._specs]
        rates = [int(self._requested_rate or _capture_rate(d.default_samplerate)) for d in devices]
        plans: list[tuple[DeviceInfo, int, ChannelMap]] = []
        cm = self.channel_map
        if len(devices) == 1:
            wants = 2 if (cm.agent != "none" or cm.caller != "left") else 1
            plans.append((devices[0], min(wants, devices[0].max_input_channels), cm))
        else:
            caller_wants = 1 if cm.caller == "left" else 2
            agent_wants = 2 if cm.agent == "right" else 1
            plans.append(
                (devices[0], min(caller_wants, devices[0].max_input_channels), ChannelMap(cm.caller, "none"))
            )
            plans.append(
                (devices[1], min(agent_wants, devices[1].max_input_channels), ChannelMap(cm.agent, "none"))
            )
        for (device, channels, _), rate in zip(plans, rates, strict=True):
            check_format(f"input device {device.label}", rate, max(1, channels))
        #: Capture rate of the caller device, Hz (each device captures at its own rate).
        self.rate_hz = rates[0]
        self._rates = rates
        self._plans = plans
        self._queue: queue.Queue[tuple[int, int, npt.NDArray[np.float32]]] = queue.Queue(
            maxsize=max(2, self.queue_ms // self.callback_ms) * len(plans)
        )
        names = " + ".join(d.name for d, _, _ in plans)
        total = sum(ch for _, ch, _ in plans) if len(plans) == 2 else plans[0][1]
        self._info = AudioInfo(
            path=f"device:{names}",
            rate_hz=rates[0],
            channels=2 if len(plans) == 2 else max(1, total),
            frames=None,
            format="DEVICE",
            subtype="FLOAT",
            duration_ms=None,
        )

    @property
    def info(self) -> AudioInfo:
        """Capture rate and channels; ``frames``/``duration_ms`` are None (live)."""
        return self._info

    @property
    def outputs(self) -> int:
        """1 (caller only) or 2 (caller and agent)."""
        if len(self._plans) == 2:
            return 2
        _, channels, cm = self._plans[0]
        return cm.outputs(channels)

    @property
    def overflows(self) -> int:
        """Blocks lost so far (queue full + PortAudio input overflows), all devices."""
        return sum(c.overflows for c in self._captures) + self._lost_overflows

    _lost_overflows = 0

    def _open(self) -> None:
        """Open and start every stream (raises DeviceError)."""
        captures: list[_Capture] = []
        try:
            for slot, (device, channels, cm) in enumerate(self._plans):
                cap = _Capture(slot, self._specs[slot], device, max(1, channels), cm, self._queue)
                cap.last_data = time.monotonic()
                try:
                    cap.stream = self._factory(
                        device=device.index,
                        channels=cap.channels,
                        samplerate=self._rates[slot],
                        blocksize=max(1, self._rates[slot] * self.callback_ms // 1000),
                        dtype="float32",
                        callback=cap.callback,
                        finished_callback=cap.on_finished,
                    )
                    captures.append(cap)
                    cap.stream.start()
                except DeviceError:
                    raise
                except Exception as exc:  # PortAudioError and friends: the hardware seam
                    raise DeviceError(
                        f"cannot open input device {device.label} at {self._rates[slot]} Hz: {exc}",
                        hint="see `voiceassist devices`; try another --rate or device",
                    ) from None
        except BaseException:
            for cap in captures:
                self._close_capture(cap)
            raise
        self._lost_overflows += sum(c.overflows for c in self._captures)
        self._captures = captures

    def _close_capture(self, cap: _Capture) -> None:
        cap.stopping = True
        stream, cap.stream = cap.stream, None
        if stream is None:
            return
        for action in (stream.stop, stream.close):
            try:
                action()
            except Exception as exc:  # a lost device may fail to stop; nothing more to do
                log.debug("closing %s: %s", cap.device.label, exc)

    def start(self) -> None:
        """Open the devices now (``blocks()`` does it when needed)."""
        if not self._started:
            self._open()
            self._started = True
            for cap in self._captures:
                self._status("opened", cap.device, f"{cap.channels} ch at {self._rates[cap.slot]} Hz")

    def stop(self) -> None:
        """Ask capture to end: thread- and signal-safe; ``blocks()`` flushes and returns."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    # -- worker ------------------------------------------------------------------------------

    def _status(self, kind: str, device: DeviceInfo | None, message: str = "", count: int = 0) -> None:
        name = device.name if device is not None else self._info.path
        at_ms = self._consumed_frames * 1000 // self.rate_hz
        ev = DeviceStatus(kind=kind, device=name, at_ms=at_ms, message=message, count=count)
        self.status_events.append(ev)
        if self.on_status is not None:
            self.on_status(ev)

    def blocks(self) -> Iterator[AudioBlock]:
        """Capture until stopped (or the device is lost under ``on_lost="stop"``)."""
        if self._iterated:
            raise UsageError("a live source can be iterated only once")
        self._iterated = True
        self.start()
        self._reblocker = Reblocker(self.block_samples, self.outputs)
        self._new_pipes()
        try:
            while True:
                lost = yield from self._run_until_stop_or_loss()
                if lost is None:
                    break
                self._status("lost", lost.device, self._loss_message(lost))
                yield from self._shutdown_and_flush()
                if self.on_lost == "stop" or not self._reopen():
                    self.end_reason = self.end_reason or "device_lost"
                    return
        finally:
            for cap in self._captures:
                self._close_capture(cap)
        yield from self._shutdown_and_flush()
        self._status("closed", None, self.end_reason)

    def _loss_message(self, cap: _Capture) -> str:
        if cap.finished.is_set():
            return "the stream stopped (device unplugged or failed)"
        return f"no audio for {self.stall_timeout_s:g} s"

    def _new_pipes(self) -> None:
        self._resamplers = [
            Resampler(rate, cm.outputs(ch))
            for (_, ch, cm), rate in zip(self._plans, self._rates, strict=True)
        ]
        self._aligned: list[list[Pcm16Frames]] = [[] for _ in self._plans]
        self._aligned_len = [0 for _ in self._plans]

    def _run_until_stop_or_loss(self) -> Generator[AudioBlock, None, _Capture | None]:
        """Move blocks from the queue to the output; returns the lost capture, or None."""
        while True:
            if self._stop.is_set():
                self.end_reason = self.end_reason or "stopped"
                return None
            try:
                slot, dropped, data = self._queue.get(timeout=0.05)
            except queue.Empty:
                for cap in self._captures:
                    if cap.finished.is_set() and cap.eof:
                        self.end_reason = "eof"
                        self._stop.set()
                lost = self._find_lost()
                if lost is not None and not self._stop.is_set():
                    return lost
                continue
            yield from self._consume(slot, dropped, data)

    def _find_lost(self) -> _Capture | None:
        now = time.monotonic()
        for cap in self._captures:
            if cap.eof or cap.stopping:
                continue
            stream_down = cap.finished.is_set() or (cap.stream is not None and not cap.stream.active)
            if stream_down or now - cap.last_data > self.stall_timeout_s:
                return cap
        return None

    def _consume(self, slot: int, dropped: int, data: npt.NDArray[np.float32]) -> Iterator[AudioBlock]:
        cap = self._captures[slot]
        cap.last_data = time.monotonic()
        if dropped:
            gap = np.zeros((dropped, data.shape[1]), dtype=np.float32)
            yield from self._push(slot, gap)
        total = self.overflows
        if total != self._reported_overflows:
            self._reported_overflows = total
            self._status(
                "overflow",
                cap.device,
                f"audio blocks lost: {cap.dropped_blocks} dropped (queue full), "
                f"{cap.portaudio_overflows} PortAudio input overflows",
                count=total,
            )
        yield from self._push(slot, data)

    def _push(self, slot: int, frames: npt.NDArray[np.float32]) -> Iterator[AudioBlock]:
        _, channels, cm = self._plans[slot]
        if slot == 0:
            self._consumed_frames += len(frames)
        pcm = self._resamplers[slot].process(cm.select(frames, channels))
        yield from self._align(slot, pcm)

    def _align(self, slot: int, pcm: Pcm16Frames) -> Iterator[AudioBlock]:
        if len(self._plans) == 1:
            yield from self._reblocker.push(pcm)
            return
        if len(pcm):
            self._aligned[slot].append(pcm)
            self._aligned_len[slot] += len(pcm)
        n = min(self._aligned_len)
        if n:
            yield from self._reblocker.push(np.concatenate([self._take(s, n) for s in (0, 1)], axis=1))

    def _take(self, slot: int, n: int) -> Pcm16Frames:
        buf = np.concatenate(self._aligned[slot]) if len(self._aligned[slot]) > 1 else self._aligned[slot][0]
        rest = buf[n:]
        self._aligned[slot] = [rest] if len(rest) else []
        self._aligned_len[slot] -= n
        return buf[:n]

    def _shutdown_and_flush(self) -> Iterator[AudioBlock]:
        """Stop the streams, drain the queue, flush resamplers and the last short block."""
        for cap in self._captures:
            self._close_capture(cap)
        while True:
            try:
                slot, dropped, data = self._queue.get_nowait()
            except queue.Empty:
                break
            yield from self._consume(slot, dropped, data)
        for cap in self._captures:  # blocks dropped at the very end: silence up to the stop
            if cap.dropped_pending:
                gap = np.zeros((cap.dropped_pending, cap.channels), dtype=np.float32)
                cap.dropped_pending = 0
                yield from self._push(cap.slot, gap)
        for slot in range(len(self._plans)):
            yield from self._align(slot, self._resamplers[slot].flush())
        if len(self._plans) == 2:  # pad the shorter device so both channels end together
            n = max(self._aligned_len)
            for slot in (0, 1):
                short = n - self._aligned_len[slot]
                if short:
                    yield from self._align(slot, np.zeros((short, 1), dtype=np.int16))
        yield from self._reblocker.flush()
        self._new_pipes()

    def _reopen(self) -> bool:
        """Retry policy: re-open all devices until it works, retries run out, or stop()."""
        attempt = 0
        while self.max_retries is None or attempt < self.max_retries:
            attempt += 1
            if self._stop.wait(self.retry_interval_s):
                self.end_reason = "device_lost"
                return False
            try:
                self._resolve_again()
                self._open()
            except DeviceError as exc:
                log.info("re-open attempt %d failed: %s", attempt, exc.message)
                continue
            for cap in self._captures:
                self._status("recovered", cap.device, f"re-opened after {attempt} attempt(s)")
            return True
        self._status("lost", None, f"gave up after {attempt} re-open attempt(s)")
        return False

    def _resolve_again(self) -> None:
        """Look the devices up again by their spec (an unplugged USB device may change index)."""
        plans = []
        for (_, channels, cm), spec in zip(self._plans, self._specs, strict=True):
            plans.append((find_device(spec, "input", backend=self._backend), channels, cm))
        self._plans = plans

    def close(self) -> None:
        """Stop and release the devices."""
        self._stop.set()
        for cap in self._captures:
            self._close_capture(cap)

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Stoppable(Protocol):
    """Anything a signal can stop cleanly (a capture source, the live call's block source)."""

    def stop(self) -> None: ...


@contextlib.contextmanager
def stop_on_signals(source: Stoppable, signums: tuple[int, ...] | None = None,
                    flag: threading.Event | None = None) -> Iterator[None]:
    """While active, SIGINT (Ctrl-C) and SIGTERM call ``source.stop()`` (a clean stop that
    flushes) and set ``flag`` (when given: the caller learns a signal ended the call); a second
    signal raises KeyboardInterrupt. Only in the main thread; previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signalled = flag if flag is not None else threading.Event()
    sigs = signums or (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.getsignal(s) for s in sigs}

    def handler(signum: int, frame: FrameType | None) -> None:
        if signalled.is_set():
            raise KeyboardInterrupt
        signalled.set()
        source.stop()

    for s in sigs:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
