"""VAD settings: one frozen dataclass with range checks and telephone-friendly defaults.

All durations are in milliseconds of call time. The defaults match ``voiceassist.settings``
(``vad.*`` keys); :meth:`VadConfig.from_settings` builds one from the effective settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceassist.errors import ConfigError

#: Frame lengths webrtcvad accepts, ms.
FRAME_MS_CHOICES = (10, 20, 30)


@dataclass(frozen=True)
class VadConfig:
    """How the VAD segmenter decides where speech is.

    The segmenter classifies fixed frames (``frame_ms``) with webrtcvad. A segment opens after
    ``start_ms`` of consecutive voiced frames and includes ``preroll_ms`` of audio before the
    first voiced frame; it closes after ``hangover_ms`` of unvoiced frames (the hangover audio is
    part of the segment). An utterance (what the recogniser finalises) ends once
    ``end_gap_ms`` have passed since the last voiced frame with no new segment.
    """

    #: webrtcvad aggressiveness, 0 (keeps most audio) .. 3 (drops most non-speech).
    aggressiveness: int = 2
    #: Frame length given to webrtcvad, ms: 10, 20 or 30.
    frame_ms: int = 30
    #: Consecutive voiced audio needed to open a segment, ms (rounded up to whole frames);
    #: filters clicks, and the ~100 ms burst webrtcvad reports on any line hiss while it adapts
    #: at the start of a call. The pre-roll covers the speech onset this delays.
    start_ms: int = 150
    #: Audio kept before the first voiced frame of a segment, ms (rounded up to whole frames).
    preroll_ms: int = 300
    #: Unvoiced audio kept after the last voiced frame before the segment closes, ms.
    hangover_ms: int = 300
    #: Silence after the last voiced frame that finalises the utterance, ms (>= hangover_ms).
    end_gap_ms: int = 700

    def __post_init__(self) -> None:
        def check(name: str, value: int, lo: int, hi: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"vad.{name} must be a whole number from {lo} to {hi}, not {value!r}")

        check("aggressiveness", self.aggressiveness, 0, 3)
        if self.frame_ms not in FRAME_MS_CHOICES:
            raise ConfigError(f"vad.frame_ms must be 10, 20 or 30, not {self.frame_ms!r}")
        check("start_ms", self.start_ms, 0, 1000)
        check("preroll_ms", self.preroll_ms, 0, 2000)
        check("hangover_ms", self.hangover_ms, 0, 2000)
        check("end_gap_ms", self.end_gap_ms, 100, 5000)
        if self.end_gap_ms < self.hangover_ms:
            raise ConfigError(
                f"vad.end_gap_ms ({self.end_gap_ms}) must not be shorter than vad.hangover_ms "
                f"({self.hangover_ms})"
            )

    # Frame counts (whole frames, rounded up) -------------------------------------------------
    @property
    def frame_samples(self) -> int:
        """Samples per VAD frame at 16 kHz."""
        return self.frame_ms * 16

    @property
    def start_frames(self) -> int:
        """Voiced frames needed to open a segment (at least 1)."""
        return max(1, -(-self.start_ms // self.frame_ms))

    @property
    def preroll_frames(self) -> int:
        return -(-self.preroll_ms // self.frame_ms)

    @property
    def hangover_frames(self) -> int:
        return -(-self.hangover_ms // self.frame_ms)

    @property
    def end_gap_frames(self) -> int:
        return -(-self.end_gap_ms // self.frame_ms)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> VadConfig:
        """Build from ``voiceassist.settings`` values (``vad.aggressiveness`` ... keys)."""
        return cls(
            aggressiveness=int(settings.get("vad.aggressiveness", cls.aggressiveness)),
            frame_ms=int(settings.get("vad.frame_ms", cls.frame_ms)),
            preroll_ms=int(settings.get("vad.preroll_ms", cls.preroll_ms)),
            hangover_ms=int(settings.get("vad.hangover_ms", cls.hangover_ms)),
            end_gap_ms=int(settings.get("vad.end_gap_ms", cls.end_gap_ms)),
        )
