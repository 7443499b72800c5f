"""Earcons: short tones generated in code that announce a cue before the whispered words.

* ``soft``: one gentle bell-like blip (880 Hz + a quiet fifth above), ~90 ms, 6 dB under the cue
  level, so a routine cue does not startle.
* ``urgent``: two falling notes (988 Hz then 659 Hz), ~260 ms, at the cue level: clearly
  different, used for ``urgent`` cues (threat, end call) and alone when speech rendering failed.

Every function returns mono ``float32`` at ``rate_hz`` with the peak at the given dBFS.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from voiceassist.cues.level import Samples, normalize_peak, silence

EarconKind = Literal["soft", "urgent"]

#: How much quieter the soft earcon is than the cue speech, dB.
SOFT_BELOW_DB = 6.0
#: Silence between the earcon and the words, ms.
GAP_MS = 70


def _note(freq_hz: float, ms: int, rate_hz: int, *, overtone: float = 0.0) -> Samples:
    """A sine note with a quick attack and an exponential decay (no click at either end)."""
    n = rate_hz * ms // 1000
    t = np.arange(n, dtype=np.float64) / rate_hz
    wave = np.sin(2 * np.pi * freq_hz * t)
    if overtone:
        wave += overtone * np.sin(2 * np.pi * freq_hz * 1.5 * t)
    attack = max(1, rate_hz * 8 // 1000)
    env = np.exp(-t / (ms / 1000.0 / 3.5))
    env[:attack] *= np.linspace(0.0, 1.0, attack)
    env[-attack:] *= np.linspace(1.0, 0.0, attack)
    return (wave * env).astype(np.float32)


def earcon(kind: EarconKind, rate_hz: int, cue_dbfs: float) -> Samples:
    """The earcon ``kind`` at ``rate_hz``; peak relative to the cue level ``cue_dbfs``."""
    if kind == "soft":
        tone = _note(880.0, 90, rate_hz, overtone=0.25)
        return normalize_peak(tone, cue_dbfs - SOFT_BELOW_DB)
    if kind == "urgent":
        tone = np.concatenate(
            [_note(988.0, 110, rate_hz), silence(40, rate_hz), _note(659.0, 110, rate_hz)]
        )
        return normalize_peak(tone, cue_dbfs)
    raise ValueError(f"unknown earcon kind {kind!r}")


def earcon_for(severity: str) -> EarconKind:
    """``urgent`` cues get the urgent earcon, everything else the soft one."""
    return "urgent" if severity == "urgent" else "soft"


__all__ = ["GAP_MS", "EarconKind", "earcon", "earcon_for"]
