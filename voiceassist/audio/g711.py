"""G.711 mu-law and A-law to 16-bit linear PCM, by 256-entry lookup tables (ITU-T G.711).

A table lookup is one numpy indexing operation per chunk: as fast as it gets, and no extra
dependency (the stdlib ``audioop`` is deprecated and gone in Python 3.13). The tables give the
same values as libsndfile's decoder (tests compare them on every byte value).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _ulaw_table() -> npt.NDArray[np.int16]:
    table = np.zeros(256, dtype=np.int16)
    for byte in range(256):
        u = ~byte & 0xFF
        exponent = (u >> 4) & 0x07
        mantissa = u & 0x0F
        magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        table[byte] = -magnitude if u & 0x80 else magnitude
    return table


def _alaw_table() -> npt.NDArray[np.int16]:
    table = np.zeros(256, dtype=np.int16)
    for byte in range(256):
        a = byte ^ 0x55
        segment = (a >> 4) & 0x07
        magnitude = (a & 0x0F) << 4
        if segment == 0:
            magnitude += 8
        else:
            magnitude = (magnitude + 0x108) << (segment - 1)
        table[byte] = magnitude if a & 0x80 else -magnitude
    return table


#: byte value -> int16 sample.
ULAW_TO_PCM16 = _ulaw_table()
ALAW_TO_PCM16 = _alaw_table()


def ulaw_decode(data: bytes | bytearray | memoryview) -> npt.NDArray[np.int16]:
    """mu-law bytes -> int16 samples (one per byte)."""
    return ULAW_TO_PCM16[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes | bytearray | memoryview) -> npt.NDArray[np.int16]:
    """A-law bytes -> int16 samples (one per byte)."""
    return ALAW_TO_PCM16[np.frombuffer(data, dtype=np.uint8)]
