"""A recording as an input device (``run --input FILE``): the live loop without a sound card.

:class:`FileInputDevice` is a device list with one input device (``.backend``) plus a stream
factory (``.open_stream``, the keywords of ``sounddevice.InputStream``) for
:class:`~voiceassist.audio.live.LiveSource`: the seam where a headset's capture stream would be.
The file is decoded as ``replay`` decodes it (any rate and format :mod:`voiceassist.audio.files`
reads; caller and agent channels mapped once, here) to 16 kHz, and delivered in callback blocks
on its own thread, like PortAudio: in real time (``pace=1.0``) or as fast as the loop takes it
(``pace=0``, tests). At the end of the file the stream ends like a fake device's (``eof``), so
the call ends with reason ``eof``. Samples are read block by block (nothing is held whole).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from voiceassist.audio.block import RATE_HZ
from voiceassist.audio.devices import DeviceInfo, FakeDeviceBackend
from voiceassist.audio.files import open_audio_file
from voiceassist.audio.thread_stream import ThreadInputStream
from voiceassist.errors import DeviceError, VoiceAssistError

log = logging.getLogger(__name__)


class FileInputDevice:
    """One recording behind a device list; see the module docstring.

    ``caller_channel`` / ``agent_channel``: as for a file (left|right|mix, left|right|none).
    The device has the caller in channel 0 and, for a stereo file with an agent channel, the
    agent in channel 1; open it with ``LiveSource(caller_channel="left", agent_channel="right"
    or "none")``. ``pace``: 1.0 real time, 0 as fast as possible, 0.5 twice as fast.
    Raises :class:`~voiceassist.errors.InputFileError` / ``BadAudioError`` for a file that
    cannot be played, before any stream is opened."""

    def __init__(self, path: Path | str, *, caller_channel: str = "left", agent_channel: str = "right",
                 pace: float = 1.0) -> None:
        self.path = Path(path)
        self.caller_channel = caller_channel
        self.agent_channel = agent_channel
        self.pace = max(0.0, float(pace))
        with open_audio_file(self.path, caller_channel=caller_channel, agent_channel=agent_channel) as f:
            self.has_agent = f.info.has_agent_channel and agent_channel != "none"
            #: Length of the recording, ms.
            self.duration_ms = int(f.info.duration_ms or 0)
        self.info = DeviceInfo(0, f"file:{self.path.name}", "file", 2 if self.has_agent else 1, 0,
                               float(RATE_HZ), is_default_input=True)
        self.backend = FakeDeviceBackend([self.info])
        #: What stopped the file before its end (corrupt data), if anything.
        self.error: VoiceAssistError | None = None
        self.streams: list[FileInputStream] = []

    def open_stream(self, *, device: int, **kwargs: Any) -> FileInputStream:
        """The stream factory: same keywords as ``sounddevice.InputStream``."""
        if int(device) != self.info.index:
            raise DeviceError(f"no input device {device} (only {self.info.name})")
        stream = FileInputStream(self, **kwargs)
        self.streams.append(stream)
        return stream


class FileInputStream(ThreadInputStream):
    """Quacks like ``sounddevice.InputStream`` (the parts LiveSource uses)."""

    thread_name = "file-input"

    def __init__(self, device: FileInputDevice, *, samplerate: float, channels: int, blocksize: int,
                 callback: Callable[[Any, int, Any, Any], None],
                 finished_callback: Callable[[], None] | None = None, **_: Any) -> None:
        if int(samplerate) != RATE_HZ:
            raise DeviceError(f"{device.info.name} plays at {RATE_HZ} Hz, not {samplerate:g}")
        super().__init__(channels=max(1, min(int(channels), device.info.max_input_channels)),
                         blocksize=int(blocksize) or RATE_HZ // 50, callback=callback,
                         finished_callback=finished_callback)
        self.device = device

    def _deliver(self) -> None:
        dev = self.device
        t0 = time.monotonic()
        sent = 0
        try:
            with open_audio_file(dev.path, caller_channel=dev.caller_channel,
                                 agent_channel=dev.agent_channel, block_samples=self.blocksize) as f:
                for block in f.blocks():
                    if self._stop.is_set():
                        return
                    cols = [block.caller]
                    if self.channels > 1:
                        cols.append(block.agent if block.agent is not None else np.zeros_like(block.caller))
                    data = np.stack(cols, axis=1).astype(np.float32) / np.float32(32768.0)
                    self.callback(data, len(data), None, None)
                    sent += len(data)
                    if dev.pace > 0 and self._pause(t0 + sent / RATE_HZ * dev.pace - time.monotonic()):
                        return
            self.eof = True
        except VoiceAssistError as exc:  # corrupt data mid-file: the call ends there, said after
            dev.error = exc
            self.eof = True
            log.warning("%s", exc.message)
        finally:
            self._finish()


__all__ = ["FileInputDevice", "FileInputStream"]
