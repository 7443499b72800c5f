"""Audio files (WAV, FLAC, OGG and anything else libsndfile reads), streamed as 16 kHz blocks.

Decoding is python-soundfile (libsndfile): WAV PCM 8/16/24/32-bit, float, G.711 mu-law and
A-law, FLAC, OGG Vorbis/Opus. Resampling to 16 kHz is soxr, streaming (see
:mod:`voiceassist.audio.resample`). The file is read in chunks of :data:`READ_SECONDS`, so memory
stays flat however long the recording is.

Problems are reported as one-line errors: a missing or unreadable path is
:class:`~voiceassist.errors.InputFileError`; something that is not decodable audio (a text file,
a truncated header, corrupt FLAC data, also when found mid-file) is
:class:`~voiceassist.errors.BadAudioError`; decodable audio outside what is supported (empty,
more than 2 channels, rate outside 8-48 kHz) is :class:`~voiceassist.errors.UnsupportedAudioError`.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from voiceassist.audio.block import AudioBlock
from voiceassist.audio.channels import ChannelMap
from voiceassist.audio.convert import Converter
from voiceassist.audio.source import (
    DEFAULT_BLOCK_SAMPLES,
    AudioInfo,
    check_block_samples,
    check_format,
)
from voiceassist.errors import BadAudioError, InputFileError, UnsupportedAudioError

log = logging.getLogger(__name__)

#: Seconds of source audio decoded per read (memory per read: rate * channels * 4 bytes * this).
READ_SECONDS = 0.5
#: What we accept, for messages.
EXPECTED = "expected WAV (PCM 8-32 bit, float, mu-law, A-law), FLAC or OGG"
#: Subtypes read as int16 directly when no resampling is needed (bit-exact for 16-bit and G.711).
_INT16_SUBTYPES = {"PCM_16", "PCM_S8", "PCM_U8", "ULAW", "ALAW"}
#: Containers whose declared length cannot be trusted to the frame (a short read is not an error).
_INEXACT_LENGTH_FORMATS = {"MP3", "MPEG"}


def _check_path(path: Path) -> None:
    """InputFileError unless ``path`` is an existing, readable regular file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputFileError(f"audio file not found: {path}") from None
    except OSError as exc:
        raise InputFileError(f"cannot access audio file {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{path} is a directory; expected an audio file") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{path} is not a regular file; for a pipe use raw input (--raw-rate)")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InputFileError(f"cannot read audio file {path}: {exc.strerror or exc}") from None
    os.close(fd)


def _wav_declared_frames(path: Path) -> int | None:
    """Frames a RIFF/WAVE header declares (data chunk bytes // block align), or None when the
    file is not RIFF/WAVE or the size is a placeholder (0 or 0xFFFFFFFF: a recording still being
    written). libsndfile silently shortens a truncated file's frame count, so this is the only
    way to tell a cut-off file from a short one."""
    import struct

    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, align = 12, 0
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if cid == b"fmt " and pos + 8 + 14 <= len(head):
            align = struct.unpack("<H", head[pos + 8 + 12 : pos + 8 + 14])[0]
        elif cid == b"data":
            if not align or size in (0, 0xFFFFFFFF):
                return None
            return size // align
        pos += 8 + size + (size & 1)
    return None


def _libsndfile_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # soundfile says "Error opening 'x.wav': Format not recognised." -> keep the reason only.
    if ": " in text and text.startswith("Error opening"):
        text = text.split(": ", 1)[1]
    return text.rstrip(".")


class AudioFile:
    """An open audio file; use as a context manager. ``blocks()`` restarts from the beginning
    each time it is called (one iteration at a time)."""

    def __init__(
        self,
        path: Path | str,
        *,
        caller_channel: str = "left",
        agent_channel: str = "right",
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
    ) -> None:
        import soundfile as sf

        self.path = Path(path)
        self.channel_map = ChannelMap.parse(caller_channel, agent_channel)
        self.block_samples = check_block_samples(block_samples)
        _check_path(self.path)
        try:
            self._sf: Any = sf.SoundFile(str(self.path))
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise BadAudioError(
                f"{self.path} is not a readable audio file ({_libsndfile_reason(exc)}); {EXPECTED}"
            ) from None
        try:
            self._info = AudioInfo(
                path=str(self.path),
                rate_hz=int(self._sf.samplerate),
                channels=int(self._sf.channels),
                frames=int(self._sf.frames),
                format=str(self._sf.format),
                subtype=str(self._sf.subtype),
                duration_ms=int(self._sf.frames) * 1000 // max(1, int(self._sf.samplerate)),
            )
            check_format(str(self.path), self._info.rate_hz, self._info.channels)
            if not self._info.frames:
                raise UnsupportedAudioError(f"{self.path} contains no audio (zero samples)")
            declared = _wav_declared_frames(self.path) if self._info.format == "WAV" else None
            if declared is not None and self._info.frames < declared:
                rate = self._info.rate_hz
                raise BadAudioError(
                    f"{self.path}: audio data ends after {self._info.frames} of {declared} frames "
                    f"({self._info.frames * 1000 // rate} of {declared * 1000 // rate} ms); "
                    "the file is truncated"
                )
        except BaseException:
            self._sf.close()
            raise

    @property
    def info(self) -> AudioInfo:
        """What the file is (source rate, channels, length, encoding)."""
        return self._info

    def _read_dtype(self) -> str:
        if self._info.rate_hz == 16000 and self._info.subtype in _INT16_SUBTYPES:
            return "int16"
        return "float32"

    def blocks(self) -> Iterator[AudioBlock]:
        """16 kHz blocks of ``block_samples`` (the last may be shorter), from the start."""
        import soundfile as sf

        info = self._info
        conv = Converter(info.rate_hz, info.channels, self.channel_map, self.block_samples)
        chunk = max(1, int(info.rate_hz * READ_SECONDS))
        dtype = self._read_dtype()
        done = 0
        bad_samples = 0
        try:
            self._sf.seek(0)
            while True:
                data = self._sf.read(chunk, dtype=dtype, always_2d=True)
                if len(data) == 0:
                    break
                if data.dtype.kind == "f" and not np.isfinite(data).all():
                    if not bad_samples:
                        log.warning("%s: NaN or infinite samples near %d ms played as silence",
                                    self.path, done * 1000 // info.rate_hz)
                    bad_samples += int((~np.isfinite(data)).sum())
                    data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
                done += len(data)
                yield from conv.push(data)
        except (sf.LibsndfileError, RuntimeError) as exc:
            at = done * 1000 // info.rate_hz
            raise BadAudioError(
                f"{self.path}: audio data is corrupt near {at} ms ({_libsndfile_reason(exc)}); {EXPECTED}"
            ) from None
        if info.frames is not None and done < info.frames and info.format not in _INEXACT_LENGTH_FORMATS:
            raise BadAudioError(
                f"{self.path}: audio data ends after {done} of {info.frames} frames "
                f"({done * 1000 // info.rate_hz} of {info.duration_ms} ms); the file is truncated or corrupt"
            )
        yield from conv.finish()

    def close(self) -> None:
        """Release the file."""
        self._sf.close()

    def __enter__(self) -> AudioFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_audio_file(
    path: Path | str,
    *,
    caller_channel: str = "left",
    agent_channel: str = "right",
    block_samples: int = DEFAULT_BLOCK_SAMPLES,
) -> AudioFile:
    """Open and validate an audio file; see :class:`AudioFile`.

    ``caller_channel``: left|right|mix; ``agent_channel``: left|right|none (stereo only; a mono
    file is all caller). ``block_samples``: output block length in samples at 16 kHz.
    """
    return AudioFile(
        path, caller_channel=caller_channel, agent_channel=agent_channel, block_samples=block_samples
    )


def read_all(source: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Concatenate a source's blocks: ``(caller, agent or None)`` int16 at 16 kHz (for tests and
    short clips; this defeats streaming, so do not use it on long calls)."""
    callers: list[np.ndarray] = []
    agents: list[np.ndarray] = []
    for block in source.blocks():
        callers.append(block.caller)
        if block.agent is not None:
            agents.append(block.agent)
    caller = np.concatenate(callers) if callers else np.zeros(0, np.int16)
    agent = np.concatenate(agents) if agents else None
    return caller, agent
