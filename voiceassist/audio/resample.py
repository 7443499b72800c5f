"""Streaming conversion of source frames to 16 kHz int16, by soxr's ``ResampleStream``.

The resampler keeps its filter state between chunks, so the output is the same whatever size
the input chunks have (tests check this). It runs in float32: soxr's int16 mode dithers, which
would make results depend on chunking. Sources already at 16 kHz skip resampling; int16 input at
16 kHz passes through untouched (bit-exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import RATE_HZ

Frames = npt.NDArray[Any]
Pcm16Frames = npt.NDArray[np.int16]

_INT16_SCALE = np.float32(32768.0)


def float_to_pcm16(x: npt.NDArray[np.floating]) -> Pcm16Frames:
    """Float samples in -1..1 -> int16, rounded to nearest, clipped (no wrap-around)."""
    y = np.multiply(x, _INT16_SCALE, dtype=np.float32)
    np.rint(y, out=y)
    np.clip(y, -32768.0, 32767.0, out=y)
    return y.astype(np.int16)


def pcm16_to_float(x: Pcm16Frames) -> npt.NDArray[np.float32]:
    """int16 -> float32 in -1..1 (exact)."""
    return np.multiply(x, np.float32(1.0 / 32768.0), dtype=np.float32)


class Resampler:
    """``(n, channels)`` frames at ``in_rate_hz`` -> ``(m, channels)`` int16 at 16 kHz, streaming."""

    def __init__(self, in_rate_hz: int, channels: int, *, quality: str = "HQ") -> None:
        self.in_rate_hz = int(in_rate_hz)
        self.channels = int(channels)
        self._stream = None
        if self.in_rate_hz != RATE_HZ:
            import soxr

            self._stream = soxr.ResampleStream(
                self.in_rate_hz, RATE_HZ, self.channels, dtype="float32", quality=quality
            )

    @property
    def passthrough(self) -> bool:
        """True when the source is already 16 kHz."""
        return self._stream is None

    def process(self, frames: Frames) -> Pcm16Frames:
        """Feed one chunk; returns whatever output is ready (may be empty)."""
        if self._stream is None:
            if frames.dtype == np.int16:
                return frames
            return float_to_pcm16(frames)
        x = pcm16_to_float(frames) if frames.dtype == np.int16 else frames.astype(np.float32, copy=False)
        return float_to_pcm16(self._stream.resample_chunk(np.ascontiguousarray(x)))

    def flush(self) -> Pcm16Frames:
        """End of input: the resampler's remaining output."""
        if self._stream is None:
            return np.zeros((0, self.channels), dtype=np.int16)
        tail = self._stream.resample_chunk(np.zeros((0, self.channels), dtype=np.float32), last=True)
        return float_to_pcm16(tail)
