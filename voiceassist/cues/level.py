"""Sample-level helpers for cue audio: dBFS, peak normalisation, trimming, fades, resampling.

All arrays are mono ``float32`` in -1.0..1.0 (full scale = 1.0). Rates are in Hz.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


def db_to_gain(dbfs: float) -> float:
    """dBFS (peak, <= 0) -> linear gain (1.0 = full scale)."""
    return float(10.0 ** (dbfs / 20.0))


def peak_dbfs(x: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> float:
    """Peak level of ``x`` in dBFS (-inf for silence). int16 input is scaled by 32768."""
    if x.size == 0:
        return float("-inf")
    arr = x.astype(np.float32) / 32768.0 if np.issubdtype(x.dtype, np.integer) else x
    peak = float(np.max(np.abs(arr)))
    return float("-inf") if peak <= 0.0 else 20.0 * float(np.log10(peak))


def pcm16_to_float(x: npt.NDArray[np.int16]) -> Samples:
    """int16 PCM -> float32 -1..1."""
    return (x.astype(np.float32) / 32768.0).astype(np.float32)


def float_to_pcm16(x: Samples) -> npt.NDArray[np.int16]:
    """float32 -1..1 -> int16 PCM (clipped)."""
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def normalize_peak(x: Samples, target_dbfs: float) -> Samples:
    """Scale ``x`` so its peak is ``target_dbfs``; silence stays silence."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return x.astype(np.float32)
    return (x * (db_to_gain(target_dbfs) / peak)).astype(np.float32)


def trim_silence(x: Samples, rate_hz: int, *, floor_db: float = -45.0, margin_ms: int = 15) -> Samples:
    """Drop leading and trailing audio quieter than ``floor_db`` relative to the peak, keeping
    ``margin_ms`` on each side."""
    if x.size == 0:
        return x
    peak = float(np.max(np.abs(x)))
    if peak <= 0.0:
        return x[:0]
    loud = np.flatnonzero(np.abs(x) >= peak * db_to_gain(floor_db))
    margin = rate_hz * margin_ms // 1000
    start = max(0, int(loud[0]) - margin)
    end = min(x.size, int(loud[-1]) + 1 + margin)
    return x[start:end]


def fade(x: Samples, rate_hz: int, *, in_ms: int = 5, out_ms: int = 10) -> Samples:
    """Raised-cosine fade in and out (no clicks when a cue starts or is cut)."""
    y = x.astype(np.float32).copy()
    for ms, head in ((in_ms, True), (out_ms, False)):
        n = min(y.size, rate_hz * ms // 1000)
        if n <= 1:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
        if head:
            y[:n] *= ramp
        else:
            y[-n:] *= ramp[::-1]
    return y


def resample(x: Samples, from_hz: int, to_hz: int) -> Samples:
    """Resample mono float32 audio (soxr, high quality)."""
    if from_hz == to_hz or x.size == 0:
        return x.astype(np.float32)
    import soxr

    return np.asarray(soxr.resample(x, from_hz, to_hz), dtype=np.float32)


def silence(ms: int, rate_hz: int) -> Samples:
    """``ms`` of silence."""
    return np.zeros(rate_hz * ms // 1000, dtype=np.float32)
