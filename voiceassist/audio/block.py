"""The unit every audio source yields: a block of 16 kHz mono int16 samples per channel.

Sources (WAV/FLAC/OGG files, raw PCM, live devices) decode, split channels and resample to
:data:`RATE_HZ` before yielding; everything downstream (VAD, recogniser) sees only this.
Blocks may have any length (1 sample to many seconds): results downstream must not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: The pipeline's sample rate, Hz.
RATE_HZ = 16000

Pcm16 = npt.NDArray[np.int16]


@dataclass(frozen=True)
class AudioBlock:
    """Consecutive samples of the call.

    ``caller`` and (when present) ``agent`` have the same length; ``start_sample`` counts samples
    at :data:`RATE_HZ` from the start of the call, so ``start_ms = start_sample * 1000 // RATE_HZ``.
    """

    caller: Pcm16
    start_sample: int
    agent: Pcm16 | None = None

    @property
    def start_ms(self) -> int:
        """Start of the block, ms of call time."""
        return self.start_sample * 1000 // RATE_HZ

    @property
    def end_sample(self) -> int:
        """One past the last sample, in samples of call time."""
        return self.start_sample + len(self.caller)


def samples_to_ms(samples: int) -> int:
    """Samples at :data:`RATE_HZ` -> whole ms (floored)."""
    return samples * 1000 // RATE_HZ


def ms_to_samples(ms: int) -> int:
    """Whole ms -> samples at :data:`RATE_HZ`."""
    return ms * RATE_HZ // 1000
