"""Source frames -> 16 kHz :class:`AudioBlock` s: channel mapping, resampling, re-blocking.

:class:`Converter` is shared by every source (file, raw, live). Its output does not depend on how
the input is chunked nor on ``block_samples`` (only the cut points between blocks move): the
resampler is stateful and :class:`Reblocker` keeps a leftover buffer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import AudioBlock
from voiceassist.audio.channels import ChannelMap
from voiceassist.audio.resample import Pcm16Frames, Resampler


class Reblocker:
    """Cuts a stream of ``(n, k)`` int16 frames (k = 1 caller, or 2 caller+agent) into blocks of
    exactly ``block_samples`` (the last one may be shorter, on :meth:`flush`)."""

    def __init__(self, block_samples: int, outputs: int, *, start_sample: int = 0) -> None:
        self.block_samples = block_samples
        self.outputs = outputs
        #: Next block's first sample, counted at 16 kHz from the start of the call.
        self.position = start_sample
        self._pending: list[Pcm16Frames] = []
        self._pending_len = 0

    @property
    def pending(self) -> int:
        """Samples waiting for a full block."""
        return self._pending_len

    def push(self, pcm: Pcm16Frames) -> Iterator[AudioBlock]:
        """Add samples; yields every block that is now complete."""
        if len(pcm) == 0:
            return
        self._pending.append(pcm)
        self._pending_len += len(pcm)
        if self._pending_len >= self.block_samples:
            yield from self._emit(final=False)

    def flush(self) -> Iterator[AudioBlock]:
        """Yield what is left as one (short) block."""
        if self._pending_len:
            yield from self._emit(final=True)

    def _emit(self, *, final: bool) -> Iterator[AudioBlock]:
        buf = self._pending[0] if len(self._pending) == 1 else np.concatenate(self._pending)
        bs = self.block_samples
        n = len(buf) if final else (len(buf) // bs) * bs
        caller = np.ascontiguousarray(buf[:n, 0])
        agent = np.ascontiguousarray(buf[:n, 1]) if self.outputs == 2 else None
        rest = buf[n:]
        self._pending = [rest] if len(rest) else []
        self._pending_len = len(rest)
        pos = self.position
        self.position += n
        for i in range(0, n, bs):
            yield AudioBlock(caller[i : i + bs], pos + i, None if agent is None else agent[i : i + bs])


class Converter:
    """Source frames (``(n, channels)``, int16 or float32 at ``in_rate_hz``) -> 16 kHz blocks."""

    def __init__(
        self,
        in_rate_hz: int,
        channels: int,
        channel_map: ChannelMap,
        block_samples: int,
        *,
        start_sample: int = 0,
    ) -> None:
        self.channels = channels
        self.channel_map = channel_map
        self.outputs = channel_map.outputs(channels)
        self.resampler = Resampler(in_rate_hz, self.outputs)
        self.reblocker = Reblocker(block_samples, self.outputs, start_sample=start_sample)

    @property
    def position(self) -> int:
        """Samples (16 kHz) handed out in blocks so far, plus ``start_sample``."""
        return self.reblocker.position

    def push(self, frames: npt.NDArray[Any]) -> Iterator[AudioBlock]:
        """Feed source frames; yields the blocks completed by them."""
        if len(frames) == 0:
            return
        selected = self.channel_map.select(frames, self.channels)
        yield from self.reblocker.push(self.resampler.process(selected))

    def finish(self) -> Iterator[AudioBlock]:
        """End of the source: flush the resampler and the last short block."""
        yield from self.reblocker.push(self.resampler.flush())
        yield from self.reblocker.flush()
