"""Headerless telephony audio (raw PCM) from a file or stdin, as 16 kHz blocks.

Formats: ``s16le`` (signed 16-bit little-endian), ``mulaw`` and ``alaw`` (G.711, one byte per
sample; A-law is what European telephone networks carry). Interleaved when ``channels`` is 2.
The stream is read as data arrives (``read1`` where the stream has it), so a live tap on stdin
is not held back waiting for a full buffer; the output does not depend on the read sizes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import AudioBlock
from voiceassist.audio.channels import ChannelMap
from voiceassist.audio.convert import Converter
from voiceassist.audio.g711 import alaw_decode, ulaw_decode
from voiceassist.audio.source import DEFAULT_BLOCK_SAMPLES, AudioInfo, check_block_samples, check_format
from voiceassist.errors import InputFileError, UnsupportedAudioError, UsageError

log = logging.getLogger(__name__)

#: Raw formats: name -> (bytes per sample, libsndfile-style subtype name).
RAW_FORMATS: dict[str, tuple[int, str]] = {"s16le": (2, "PCM_16"), "mulaw": (1, "ULAW"), "alaw": (1, "ALAW")}
#: Seconds of audio asked for per read (a read may return less).
READ_SECONDS = 0.25


def _decode_s16le(data: bytes) -> npt.NDArray[np.int16]:
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


_DECODERS: dict[str, Callable[[bytes], npt.NDArray[np.int16]]] = {
    "s16le": _decode_s16le,
    "mulaw": ulaw_decode,
    "alaw": alaw_decode,
}


class RawAudio:
    """Raw PCM from a binary stream, with the same ``info`` / ``blocks()`` as an audio file.

    ``blocks()`` can be iterated once (a stream cannot be rewound in general). Closing does not
    close the stream unless ``close_stream`` was set (``open_raw_file`` sets it).
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        rate_hz: int = 8000,
        fmt: str = "s16le",
        channels: int = 1,
        caller_channel: str = "left",
        agent_channel: str = "right",
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
        name: str | None = None,
        close_stream: bool = False,
    ) -> None:
        fmt_key = str(fmt).lower()
        if fmt_key not in RAW_FORMATS:
            raise UsageError(f"raw format must be one of {'|'.join(RAW_FORMATS)}, got {fmt!r}")
        self.stream = stream
        self.fmt = fmt_key
        self.channel_map = ChannelMap.parse(caller_channel, agent_channel)
        self.block_samples = check_block_samples(block_samples)
        self._close_stream = close_stream
        self._used = False
        label = name or str(getattr(stream, "name", "") or "<stream>")
        check_format(f"raw input {label}", int(rate_hz), int(channels))
        width, subtype = RAW_FORMATS[fmt_key]
        self.frame_bytes = width * int(channels)
        frames = self._remaining_frames()
        self._info = AudioInfo(
            path=label,
            rate_hz=int(rate_hz),
            channels=int(channels),
            frames=frames,
            format="RAW",
            subtype=subtype,
            duration_ms=None if frames is None else frames * 1000 // int(rate_hz),
        )

    def _remaining_frames(self) -> int | None:
        """Frames left in a seekable stream (a file, BytesIO); None for pipes."""
        try:
            if not self.stream.seekable():
                return None
            here = self.stream.tell()
            end = self.stream.seek(0, os.SEEK_END)
            self.stream.seek(here)
        except (OSError, ValueError, AttributeError):
            return None
        return max(0, end - here) // self.frame_bytes

    @property
    def info(self) -> AudioInfo:
        """Rate, channels and (for seekable streams) length of the raw input."""
        return self._info

    def blocks(self) -> Iterator[AudioBlock]:
        """16 kHz blocks until the stream ends. An empty stream is
        :class:`~voiceassist.errors.UnsupportedAudioError`; a trailing partial frame is dropped."""
        if self._used:
            raise UsageError("raw input can be read only once")
        self._used = True
        info = self._info
        conv = Converter(info.rate_hz, info.channels, self.channel_map, self.block_samples)
        decode = _DECODERS[self.fmt]
        want = max(self.frame_bytes, int(info.rate_hz * READ_SECONDS) * self.frame_bytes)
        read = getattr(self.stream, "read1", None) or self.stream.read
        leftover = b""
        total = 0
        while True:
            try:
                data = read(want)
            except OSError as exc:
                raise InputFileError(f"cannot read raw input {info.path}: {exc.strerror or exc}") from None
            if not data:
                break
            if leftover:
                data = leftover + data
            usable = len(data) - len(data) % self.frame_bytes
            leftover = bytes(data[usable:])
            if not usable:
                continue
            total += usable
            samples = decode(bytes(data[:usable]) if usable != len(data) else bytes(data))
            yield from conv.push(samples.reshape(-1, info.channels))
        if leftover:
            log.warning("raw input %s ended inside a frame: dropped %d byte(s)", info.path, len(leftover))
        if total == 0:
            raise UnsupportedAudioError(f"raw input {info.path} contains no audio (zero samples)")
        yield from conv.finish()

    def close(self) -> None:
        """Close the stream if this object owns it."""
        if self._close_stream:
            self.stream.close()

    def __enter__(self) -> RawAudio:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_raw(
    stream: BinaryIO,
    *,
    rate_hz: int = 8000,
    fmt: str = "s16le",
    channels: int = 1,
    caller_channel: str = "left",
    agent_channel: str = "right",
    block_samples: int = DEFAULT_BLOCK_SAMPLES,
    name: str | None = None,
) -> RawAudio:
    """Raw PCM from an open binary stream (``sys.stdin.buffer``, a file, ``io.BytesIO``).

    ``rate_hz`` 8000..48000; ``fmt`` s16le|mulaw|alaw; ``channels`` 1|2 (interleaved).
    """
    return RawAudio(
        stream,
        rate_hz=rate_hz,
        fmt=fmt,
        channels=channels,
        caller_channel=caller_channel,
        agent_channel=agent_channel,
        block_samples=block_samples,
        name=name,
    )


def open_raw_file(path: str | os.PathLike[str], **kwargs: object) -> RawAudio:
    """Like :func:`open_raw` on a file path (``-`` is stdin); the file is closed with the result."""
    import sys
    from pathlib import Path

    if str(path) == "-":
        return RawAudio(sys.stdin.buffer, name="<stdin>", **kwargs)  # type: ignore[arg-type]
    p = Path(path)
    if p.is_dir():
        raise InputFileError(f"{p} is a directory; expected a raw audio file")
    try:
        stream = p.open("rb")
    except FileNotFoundError:
        raise InputFileError(f"raw audio file not found: {p}") from None
    except OSError as exc:
        raise InputFileError(f"cannot read raw audio file {p}: {exc.strerror or exc}") from None
    try:
        return RawAudio(stream, name=str(p), close_stream=True, **kwargs)  # type: ignore[arg-type]
    except BaseException:
        stream.close()
        raise
