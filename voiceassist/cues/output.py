"""The headset output seam: a device opens a stream that pulls mono samples through a callback.

``fill(out, wall_s)`` is called by the stream with a zeroed mono float32 buffer to fill in place
(``len(out)`` frames at the stream rate) and the wall-clock time (``time.monotonic()`` seconds) at
which the buffer's first frame reaches the device. Implementations:

* :class:`SoundDeviceOutput`: a sounddevice ``OutputStream`` on the headset (index or name
  substring; the cue goes to the chosen channels of a stereo device).
* :class:`FakeOutputDevice`: for tests and benchmarks; records every pulled buffer with its wall
  time and device frame position. Clocks: ``manual`` (the test calls :meth:`FakeOutputDevice.pull`),
  ``realtime`` (a thread pulls one block per block period, optionally ``speed`` times faster) or
  ``follow`` (a thread keeps the device position at ``follow()`` frames, e.g. the audio time of a
  fake input, so headset samples line up with call time). It can be absent, or lost and restored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from voiceassist.errors import DeviceError

FillFn = Callable[[npt.NDArray[np.float32], float], None]


class OutputStream(Protocol):
    """An open output stream."""

    #: Actual rate of the stream, Hz.
    rate_hz: int

    @property
    def active(self) -> bool:
        """False once the stream stopped by itself (device lost)."""
        ...

    def close(self) -> None: ...


class OutputDevice(Protocol):
    """Something cues can be played on."""

    @property
    def name(self) -> str: ...

    def open(self, fill: FillFn, *, rate_hz: int, block_frames: int) -> OutputStream:
        """Start a stream calling ``fill``; raises :class:`DeviceError` when the device is missing."""
        ...


# --------------------------------------------------------------------------------------------
# sounddevice


def _resolve_output(spec: str | int | None) -> tuple[int, str, int, float]:
    """Index, display name, output channels and default rate (Hz) of the headset ``spec``
    (``None``/empty = the default output). Raises :class:`DeviceError`."""
    from voiceassist.audio.devices import find_device

    info = find_device(spec if spec not in (None, "") else None, "output")
    return info.index, info.name, info.max_output_channels, info.default_samplerate


class _SdStream:
    def __init__(self, stream: Any, rate_hz: int) -> None:
        self._stream = stream
        self.rate_hz = rate_hz

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # closing a lost device may fail; nothing to do
            pass


class SoundDeviceOutput:
    """The headset: ``spec`` is an index or name substring (``None``/empty = default output).

    ``channels``: which output channels carry the cue on a stereo device (``both``, ``left``,
    ``right``).
    """

    def __init__(self, spec: str | int | None = None, *,
                 channels: Literal["both", "left", "right"] = "both") -> None:
        self.spec = spec
        self.channels = channels
        self._name = str(spec) if spec not in (None, "") else "default output"

    @property
    def name(self) -> str:
        return self._name

    def open(self, fill: FillFn, *, rate_hz: int, block_frames: int) -> OutputStream:
        import sounddevice as sd

        index, self._name, max_ch, default_rate = _resolve_output(self.spec)
        nch = min(max_ch, 1 if self.channels == "both" and max_ch == 1 else 2)
        cols = {"both": slice(None), "left": slice(0, 1), "right": slice(1, 2)}[self.channels]
        if nch == 1:
            cols = slice(None)
        mono = np.zeros(block_frames * 4, dtype=np.float32)

        def callback(outdata: Any, frames: int, t: Any, status: Any) -> None:
            nonlocal mono
            if mono.size < frames:
                mono = np.zeros(frames, dtype=np.float32)
            buf = mono[:frames]
            buf[:] = 0.0
            now = time.monotonic()
            try:
                ahead = float(t.outputBufferDacTime) - float(t.currentTime)
            except (AttributeError, TypeError):
                ahead = 0.0
            fill(buf, now + (ahead if 0.0 < ahead < 1.0 else 0.0))
            outdata.fill(0)
            outdata[:, cols] = buf[:, None]

        last: Exception | None = None
        for rate in dict.fromkeys((rate_hz, int(default_rate))):
            try:
                stream = sd.OutputStream(device=index, samplerate=rate, channels=nch, dtype="float32",
                                         blocksize=block_frames * rate // rate_hz,
                                         latency="low", callback=callback)
                stream.start()
                return _SdStream(stream, rate)
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
        raise DeviceError(f"cannot open headset {self._name!r}: {last}",
                          hint="check the headset is plugged in (`voiceassist devices`)")


# --------------------------------------------------------------------------------------------
# fake


@dataclass(frozen=True)
class Chunk:
    """One buffer the fake device pulled: when, where in device time, what."""

    #: Wall-clock time (``time.monotonic()`` s) the first frame reached the device.
    wall_s: float
    #: Device frame position of the first frame (frames since the device was created).
    frame: int
    samples: npt.NDArray[np.float32]


class _FakeStream:
    def __init__(self, device: FakeOutputDevice, fill: FillFn, rate_hz: int, block_frames: int):
        self.device = device
        self.fill = fill
        self.rate_hz = rate_hz
        self.block_frames = block_frames
        self.lost = False
        self.closed = False
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return not self.lost and not self.closed

    def close(self) -> None:
        self.closed = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)


class FakeOutputDevice:
    """A headset that records what reached it (see module doc for the clocks)."""

    def __init__(
        self,
        name: str = "fake headset",
        *,
        clock: Literal["manual", "realtime", "follow"] = "manual",
        speed: float = 1.0,
        follow: Callable[[], int] | None = None,
        present: bool = True,
        rate_hz: int | None = None,
    ) -> None:
        self._name = name
        self.clock = clock
        self.speed = speed
        self.follow = follow
        self.present = present
        self.forced_rate = rate_hz
        self.chunks: list[Chunk] = []
        self.frame = 0
        self.opens = 0
        self.stream: _FakeStream | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def open(self, fill: FillFn, *, rate_hz: int, block_frames: int) -> OutputStream:
        if not self.present:
            raise DeviceError(f"headset {self._name!r} not found")
        stream = _FakeStream(self, fill, self.forced_rate or rate_hz, block_frames)
        self.stream = stream
        self.opens += 1
        if self.clock != "manual":
            stream._thread = threading.Thread(target=self._run, args=(stream,), daemon=True,
                                              name="fake-headset")
            stream._thread.start()
        return stream

    # -- pulling ------------------------------------------------------------------------------
    def _pull(self, stream: _FakeStream, frames: int) -> None:
        buf = np.zeros(frames, dtype=np.float32)
        wall = time.monotonic()
        stream.fill(buf, wall)
        with self._lock:
            self.chunks.append(Chunk(wall, self.frame, buf))
            self.frame += frames

    def pull(self, frames: int | None = None) -> None:
        """Manual clock: pull ``frames`` (default one block) from the open stream (if any is
        open and not lost; otherwise the device time just advances, like a silent headset)."""
        stream = self.stream
        if stream is None or not stream.active:
            self.frame += frames or 160
            return
        n = frames or stream.block_frames
        self._pull(stream, n)

    def _run(self, stream: _FakeStream) -> None:
        period = stream.block_frames / stream.rate_hz / max(self.speed, 1e-6)
        next_t = time.monotonic()
        while stream.active:
            if self.clock == "follow":
                target = self.follow() if self.follow is not None else self.frame
                if target - self.frame >= stream.block_frames:
                    self._pull(stream, stream.block_frames)
                else:
                    time.sleep(0.001)
                continue
            self._pull(stream, stream.block_frames)
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()

    # -- loss ---------------------------------------------------------------------------------
    def lose(self) -> None:
        """Unplug: the open stream stops and the device cannot be opened until :meth:`restore`."""
        self.present = False
        if self.stream is not None:
            self.stream.lost = True

    def restore(self) -> None:
        """Plug back in."""
        self.present = True

    # -- inspection ---------------------------------------------------------------------------
    def samples(self) -> npt.NDArray[np.float32]:
        """Everything pulled so far, concatenated (gaps while lost are not filled)."""
        with self._lock:
            parts = [c.samples for c in self.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def sound_starts(self, threshold: float = 1e-4, min_gap_frames: int = 1600) -> list[Chunk]:
        """Chunks where sound begins after at least ``min_gap_frames`` of silence, with ``frame``
        and ``wall_s`` adjusted to the first non-silent sample."""
        out: list[Chunk] = []
        last_loud = -(10**12)
        rate = self.stream.rate_hz if self.stream is not None else 16000
        with self._lock:
            chunks = list(self.chunks)
        for c in chunks:
            loud = np.flatnonzero(np.abs(c.samples) > threshold)
            if loud.size:
                first = int(loud[0])
                if c.frame + first - last_loud > min_gap_frames:
                    out.append(Chunk(c.wall_s + first / rate / max(self.speed, 1e-6),
                                     c.frame + first, c.samples[first:]))
                last_loud = c.frame + int(loud[-1])
        return out


__all__ = ["Chunk", "FakeOutputDevice", "FillFn", "OutputDevice", "OutputStream", "SoundDeviceOutput"]
