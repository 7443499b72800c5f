"""Fake sound devices for the live-capture seam (no sound card needed).

:class:`FakeAudioSystem` is a fake device list (``.backend``, a
:class:`~voiceassist.audio.devices.DeviceBackend`) plus a stream factory (``.open_stream``) that
takes the same keyword arguments as ``sounddevice.InputStream`` and returns a
:class:`FakeInputStream`. Each input device plays a numpy array (``(frames,)`` or
``(frames, channels)``, int16 or float in -1..1) at its rate through the callback, with
sounddevice's signature ``callback(indata, frames, time, status)``, on its own thread, like
PortAudio. It can simulate PortAudio input overflows, a device lost mid-call, failed re-opens,
and either end like a file (``end="eof"``: the live source then finishes with
``end_reason == "eof"``) or go quiet and wait for ``stop()`` (``end="idle"``).

Example::

    system = FakeAudioSystem()
    mic = system.add_input("USB Headset", samples, rate_hz=8000, lose_at_frame=16000)
    src = LiveSource("usb", backend=system.backend, stream_factory=system.open_stream)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceassist.audio.devices import DeviceInfo, FakeDeviceBackend
from voiceassist.audio.thread_stream import ThreadInputStream


class FakePortAudioError(Exception):
    """What a fake device raises when it cannot be opened (like ``sounddevice.PortAudioError``)."""


@dataclass
class FakeCallbackFlags:
    """Stand-in for ``sounddevice.CallbackFlags``: true when a flag is set."""

    input_overflow: bool = False

    def __bool__(self) -> bool:
        return self.input_overflow


class FakeDevice:
    """One fake input device: the audio it plays and the trouble it causes.

    ``lose_at_frame``: the device disappears when playback reaches this frame (the stream stops
    and calls ``finished_callback``). ``fail_opens``: how many opens after a loss fail before one
    works (playback then continues where it stopped). ``overflow_blocks``: callback block
    numbers (0-based, counted over the device's life) flagged ``input_overflow``.
    ``pace``: 0 delivers as fast as possible; 1.0 in real time; 0.1 ten times faster.
    """

    def __init__(
        self,
        info: DeviceInfo,
        data: npt.NDArray[Any],
        rate_hz: int,
        *,
        lose_at_frame: int | None = None,
        fail_opens: int = 0,
        overflow_blocks: Collection[int] = (),
        end: str = "eof",
        pace: float = 0.0,
    ) -> None:
        arr = np.asarray(data)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.dtype == np.int16:
            arr = arr.astype(np.float32) / np.float32(32768.0)
        self.info = info
        self.data: npt.NDArray[np.float32] = np.ascontiguousarray(arr, dtype=np.float32)
        self.rate_hz = rate_hz
        self.lose_at_frame = lose_at_frame
        self.fail_opens = fail_opens
        self.overflow_blocks = set(overflow_blocks)
        if end not in ("eof", "idle"):
            raise ValueError("end must be 'eof' or 'idle'")
        self.end = end
        self.pace = pace
        #: Next frame to play (kept across re-opens).
        self.cursor = 0
        #: Callback blocks delivered so far.
        self.blocks_delivered = 0
        self.lost = False
        self.opens = 0
        self.streams: list[FakeInputStream] = []


class FakeInputStream(ThreadInputStream):
    """Quacks like ``sounddevice.InputStream`` (the parts :class:`LiveSource` uses)."""

    thread_name = "fake-portaudio"

    def __init__(
        self,
        device: FakeDevice,
        *,
        samplerate: float,
        channels: int,
        blocksize: int,
        callback: Callable[[Any, int, Any, Any], None],
        finished_callback: Callable[[], None] | None = None,
        dtype: str = "float32",
        **_: Any,
    ) -> None:
        if int(samplerate) != device.rate_hz:
            raise FakePortAudioError(f"Invalid sample rate {samplerate:g} (fake plays {device.rate_hz})")
        if channels > device.data.shape[1]:
            have = device.data.shape[1]
            raise FakePortAudioError(f"Invalid number of channels {channels} (device has {have})")
        super().__init__(channels=channels, blocksize=blocksize or 160, callback=callback,
                         finished_callback=finished_callback)
        self.device = device

    def _deliver(self) -> None:
        dev = self.device
        block_s = self.blocksize / dev.rate_hz
        while not self._stop.is_set():
            if dev.lose_at_frame is not None and not dev.lost and dev.cursor >= dev.lose_at_frame:
                dev.lost = True
                self._finish()
                return
            end = dev.cursor + self.blocksize
            if dev.lose_at_frame is not None and not dev.lost:
                end = min(end, dev.lose_at_frame)
            chunk = dev.data[dev.cursor : end, : self.channels]
            if len(chunk) == 0:
                if dev.end == "eof":
                    self.eof = True
                    self._finish()
                return
            flags = FakeCallbackFlags(input_overflow=dev.blocks_delivered in dev.overflow_blocks)
            dev.cursor += len(chunk)
            dev.blocks_delivered += 1
            self.callback(chunk.copy(), len(chunk), None, flags)
            if dev.pace > 0:
                time.sleep(block_s * dev.pace)


class FakeAudioSystem:
    """A fake PortAudio: a device list and a stream factory, see the module docstring."""

    def __init__(self) -> None:
        self.devices: dict[int, FakeDevice] = {}
        self._infos: list[DeviceInfo] = []
        self.backend = FakeDeviceBackend()

    def add_device(self, info: DeviceInfo) -> None:
        """An entry in the device list with no audio behind it (e.g. an output device)."""
        self._infos.append(info)
        self.backend.devices = list(self._infos)

    def add_input(
        self,
        name: str,
        data: npt.NDArray[Any],
        rate_hz: int,
        *,
        hostapi: str = "ALSA",
        default: bool = False,
        **behaviour: Any,
    ) -> FakeDevice:
        """Add an input device playing ``data`` at ``rate_hz``; ``behaviour`` as for FakeDevice."""
        arr = np.asarray(data)
        channels = 1 if arr.ndim == 1 else int(arr.shape[1])
        index = len(self._infos)
        info = DeviceInfo(index, name, hostapi, channels, 0, float(rate_hz), is_default_input=default)
        dev = FakeDevice(info, arr, rate_hz, **behaviour)
        self.devices[index] = dev
        self.add_device(info)
        return dev

    def unplug(self, index: int) -> None:
        """Remove a device from the list (its streams keep whatever state they have)."""
        self._infos = [d for d in self._infos if d.index != index]
        self.backend.devices = list(self._infos)

    def open_stream(self, *, device: int, **kwargs: Any) -> FakeInputStream:
        """The stream factory: same keywords as ``sounddevice.InputStream``."""
        dev = self.devices.get(int(device))
        if dev is None:
            raise FakePortAudioError(f"Error querying device {device}")
        dev.opens += 1
        if dev.lost:
            if dev.fail_opens > 0:
                dev.fail_opens -= 1
                raise FakePortAudioError("Device unavailable")
            dev.lost = False
            dev.lose_at_frame = None
        stream = FakeInputStream(dev, **kwargs)
        dev.streams.append(stream)
        return stream
