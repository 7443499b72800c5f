"""Cut an incident's audio clip out of a call recording (only used where recording is enabled)."""

from __future__ import annotations

import os
from pathlib import Path

from voiceassist.paths import ensure_private_dir


def cut_clip(src: Path, dst: Path, start_ms: int, end_ms: int) -> Path:
    """Copy ``[start_ms, end_ms)`` of call time from the WAV/FLAC ``src`` into the WAV ``dst``
    (owner-only). Raises OSError / RuntimeError (soundfile) / ValueError for an empty range."""
    import soundfile as sf

    if end_ms <= start_ms:
        raise ValueError(f"empty clip range {start_ms}-{end_ms} ms")
    with sf.SoundFile(str(src)) as f:
        rate = f.samplerate
        first = min(f.frames, start_ms * rate // 1000)
        last = min(f.frames, end_ms * rate // 1000)
        if last <= first:
            raise ValueError(f"clip {start_ms}-{end_ms} ms is outside the recording")
        f.seek(first)
        data = f.read(last - first, dtype="int16", always_2d=True)
    ensure_private_dir(dst.parent)
    tmp = dst.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    sf.write(str(tmp), data, rate, subtype="PCM_16", format="WAV")
    os.replace(tmp, dst)
    return dst
