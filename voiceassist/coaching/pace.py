"""Agent speech rate from the audio itself: syllable nuclei per second of speech.

Works for every language and needs no recogniser: the short-time energy contour (25 ms Hann
frames every 10 ms, smoothed over 3 frames) has one peak per syllable nucleus. A peak counts when
it is within ``floor_db`` of the loudest recent frame and both it and the previous counted peak
rise at least ``dip_db`` above the dip between them. Speech time is the time the contour stays
within ``floor_db`` of that level, bridged over gaps shorter than ``bridge_ms`` (the breaks
between syllables and words).

:class:`PaceMeter` is streaming and pure: feed 16 kHz int16 blocks of the agent channel in order;
it keeps the last ``window_ms`` of per-frame flags, so memory stays flat over a long call.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RATE_HZ = 16_000
HOP = 160  # samples = 10 ms at 16 kHz
WIN = 400  # samples = 25 ms at 16 kHz
FRAME_MS = 10


@dataclass(frozen=True)
class PaceConfig:
    """Thresholds; rates in syllables per second, times in ms."""

    #: Peaks more than this far below the running maximum are not syllables, dB.
    floor_db: float = 15.0
    #: A peak must stand this far above the dip before it, dB.
    dip_db: float = 3.0
    #: Silences shorter than this still count as speech time, ms.
    bridge_ms: int = 700
    #: Sliding window for the rate, ms of call time.
    window_ms: int = 30_000
    #: Speech time needed in the window before a rate is reported, ms.
    min_speech_ms: int = 10_000
    #: Rate above which the agent is rushing, syllables/s.
    max_rate: float = 6.5
    #: Peaks with more zero crossings per sample than this are fricatives, not vowels.
    max_zcr: float = 0.22
    #: Running maximum decays by this much per second so one loud burst does not mask later speech, dB.
    peak_decay_db_per_s: float = 1.0


class PaceMeter:
    """Streaming syllable-rate meter for one channel."""

    def __init__(self, config: PaceConfig | None = None):
        self.config = config or PaceConfig()
        self._buf = np.zeros(0, dtype=np.float64)
        self._frame_index = 0
        self._energies: deque[float] = deque()
        self._peak_db = -120.0
        # per-frame flags over the window: (speech, nucleus)
        self._flags: deque[tuple[bool, bool]] = deque()
        self._last_peak_db: float | None = None
        self._dip_since_peak = 200.0
        self._pending: list[tuple[float, float]] = []
        self._since_loud = 10**9
        self.total_nuclei = 0
        self.total_speech_frames = 0

    # -- streaming -----------------------------------------------------------------------------
    def feed(self, pcm: npt.NDArray[np.int16]) -> None:
        """Add consecutive samples (16 kHz int16)."""
        self._buf = np.concatenate([self._buf, pcm.astype(np.float64) / 32768.0])
        n = 0 if len(self._buf) < WIN else 1 + (len(self._buf) - WIN) // HOP
        if n == 0:
            return
        frames = np.lib.stride_tricks.sliding_window_view(self._buf, WIN)[::HOP][:n]
        energy = 10 * np.log10(np.mean((frames * np.hanning(WIN)) ** 2, axis=1) + 1e-10)
        signs = np.signbit(frames)
        zcr = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)
        self._buf = self._buf[n * HOP :]
        for e, z in zip(energy, zcr, strict=True):
            self._push_energy(float(e), float(z))

    def _push_energy(self, raw_db: float, zcr: float) -> None:
        self._energies.append(raw_db)
        if len(self._energies) > 3:
            self._energies.popleft()
        smoothed = sum(self._energies) / len(self._energies)
        self._pending.append((smoothed, zcr))
        if len(self._pending) < 3:
            return
        (prev, _), (cur, cur_zcr), (nxt, _) = self._pending[-3], self._pending[-2], self._pending[-1]
        self._pending = self._pending[-2:]
        self._frame(prev, cur, nxt, cur_zcr)

    def _frame(self, prev: float, cur: float, nxt: float, zcr: float) -> None:
        cfg = self.config
        self._peak_db = max(cur, self._peak_db - cfg.peak_decay_db_per_s * FRAME_MS / 1000)
        floor = self._peak_db - cfg.floor_db
        loud = cur > floor and cur > -70.0
        self._dip_since_peak = min(self._dip_since_peak, cur)
        nucleus = False
        if loud and cur >= prev and cur > nxt and zcr <= cfg.max_zcr:
            last = self._last_peak_db
            dip = self._dip_since_peak
            if last is None or (cur - dip >= cfg.dip_db and last - dip >= cfg.dip_db):
                nucleus = True
                self._last_peak_db = cur
                self._dip_since_peak = cur
            elif cur > last:
                self._last_peak_db = cur
                self._dip_since_peak = cur
        if loud:
            bridge = self._since_loud * FRAME_MS < cfg.bridge_ms
            if bridge:  # fill the short gap back in as speech time
                self._mark_gap_as_speech(self._since_loud)
            self._since_loud = 0
        else:
            self._since_loud += 1
            if self._since_loud * FRAME_MS >= cfg.bridge_ms:
                self._last_peak_db = None
                self._dip_since_peak = 200.0
        self._flags.append((loud, nucleus))
        self.total_speech_frames += int(loud)
        self.total_nuclei += int(nucleus)
        self._frame_index += 1
        max_frames = cfg.window_ms // FRAME_MS
        while len(self._flags) > max_frames:
            self._flags.popleft()

    def _mark_gap_as_speech(self, frames: int) -> None:
        if frames <= 0:
            return
        n = len(self._flags)
        for i in range(max(0, n - frames), n):
            speech, nuc = self._flags[i]
            if not speech:
                self._flags[i] = (True, nuc)
                self.total_speech_frames += 1

    # -- results -------------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        """Audio time consumed so far, ms (frames analysed)."""
        return self._frame_index * FRAME_MS

    def window_rate(self) -> float | None:
        """Syllables per second of speech inside the window, or None before enough speech."""
        speech = sum(1 for s, _ in self._flags if s)
        if speech * FRAME_MS < self.config.min_speech_ms:
            return None
        nuclei = sum(1 for _, n in self._flags if n)
        return nuclei / (speech * FRAME_MS / 1000)

    def overall_rate(self) -> float | None:
        """Syllables per second over all speech so far, or None without speech."""
        if self.total_speech_frames == 0:
            return None
        return self.total_nuclei / (self.total_speech_frames * FRAME_MS / 1000)

    def rushing(self) -> bool:
        """True when the window rate is above ``max_rate``."""
        rate = self.window_rate()
        return rate is not None and rate > self.config.max_rate


def syllable_rate(pcm: npt.NDArray[np.int16], config: PaceConfig | None = None) -> float | None:
    """Syllables per second of speech in one 16 kHz clip (see :class:`PaceMeter`)."""
    meter = PaceMeter(config)
    meter.feed(pcm)
    meter.feed(np.zeros(WIN * 2, dtype=np.int16))
    return meter.overall_rate()
