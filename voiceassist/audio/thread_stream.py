"""The part of ``sounddevice.InputStream`` that :class:`~voiceassist.audio.live.LiveSource` uses,
for streams whose blocks come from a thread of our own instead of PortAudio: the fake devices of
the tests (:mod:`voiceassist.audio.fake_stream`) and a recording played as a device
(:mod:`voiceassist.audio.file_device`).

A subclass delivers blocks in :meth:`ThreadInputStream._deliver` (on the stream's thread) by
calling ``self.callback(indata, frames, time, status)``, waits with :meth:`_pause` between
blocks, and calls :meth:`_finish` when the stream ends on its own (end of the data, device lost).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class ThreadInputStream:
    """``start``/``stop``/``abort``/``close``/``active`` and the ``finished_callback`` (called
    once: on stop or when the stream ends by itself)."""

    #: Name of the delivery thread.
    thread_name = "input-stream"

    def __init__(self, *, channels: int, blocksize: int, callback: Callable[[Any, int, Any, Any], None],
                 finished_callback: Callable[[], None] | None = None) -> None:
        self.channels = channels
        self.blocksize = blocksize
        self.callback = callback
        self.finished_callback = finished_callback
        #: True once the stream played its data to the end (LiveSource then ends with ``eof``).
        self.eof = False
        #: Set when the delivery thread has played everything it will play.
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._active = False
        self._finished = False

    @property
    def active(self) -> bool:
        """True between start() and stop()/loss/eof."""
        return self._active

    def start(self) -> None:
        """Begin delivering blocks on a thread, like PortAudio."""
        self._active = True
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._deliver()
        finally:
            self.done.set()

    def _deliver(self) -> None:
        raise NotImplementedError

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` (s) between blocks; True when the stream was stopped meanwhile."""
        return self._stop.wait(seconds) if seconds > 0 else self._stop.is_set()

    def _finish(self) -> None:
        self._active = False
        if not self._finished and self.finished_callback is not None:
            self._finished = True
            self.finished_callback()

    def wait_done(self, timeout: float = 10.0) -> bool:
        """Block until the delivery thread has played all it will play."""
        return self.done.wait(timeout)

    def stop(self) -> None:
        """Stop delivering (waits for the delivery thread, like Pa_StopStream)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._finish()

    def abort(self) -> None:
        """Same as stop() here."""
        self.stop()

    def close(self) -> None:
        """Stop; nothing else to release."""
        self.stop()


__all__ = ["ThreadInputStream"]
