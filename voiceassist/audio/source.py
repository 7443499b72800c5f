"""What every audio source offers: an :class:`AudioInfo` description and ``blocks()``.

Sources (files: :mod:`voiceassist.audio.files`, raw PCM: :mod:`voiceassist.audio.raw`, live
devices: :mod:`voiceassist.audio.live`) all satisfy :class:`AudioSource`, so the pipeline does not
care where the audio comes from. Rates are in Hz, lengths in frames (one sample per channel) at
the *source* rate unless a name says otherwise; blocks are always 16 kHz.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from voiceassist.audio.block import AudioBlock
from voiceassist.errors import UnsupportedAudioError, UsageError

#: Lowest and highest source sample rate accepted, Hz.
MIN_RATE_HZ = 8000
MAX_RATE_HZ = 48000
#: Most channels a source may have (mono = caller; stereo = caller + agent).
MAX_CHANNELS = 2
#: Default output block length, samples at 16 kHz (250 ms).
DEFAULT_BLOCK_SAMPLES = 4000


@dataclass(frozen=True)
class AudioInfo:
    """Description of a source, as found when it was opened."""

    #: File path, ``<stdin>``, ``<stream>`` or ``device:NAME``.
    path: str
    #: Sample rate of the source, Hz (before resampling to 16 kHz).
    rate_hz: int
    #: Channels in the source (1 or 2).
    channels: int
    #: Length in frames at ``rate_hz``; ``None`` when unknown (pipes, live devices).
    frames: int | None
    #: Container, as libsndfile names it: ``WAV``, ``FLAC``, ``OGG`` ...; ``RAW``; ``DEVICE``.
    format: str
    #: Sample encoding: ``PCM_16``, ``PCM_24``, ``FLOAT``, ``ULAW``, ``ALAW``, ``VORBIS`` ...
    subtype: str
    #: Length in ms (floored); ``None`` when unknown.
    duration_ms: int | None

    @property
    def has_agent_channel(self) -> bool:
        """True when the source is stereo (an agent channel can be taken from it)."""
        return self.channels == 2


class AudioSource(Protocol):
    """A context manager with ``info`` and ``blocks()`` (16 kHz :class:`AudioBlock`)."""

    @property
    def info(self) -> AudioInfo: ...

    def blocks(self) -> Iterator[AudioBlock]: ...

    def close(self) -> None: ...

    def __enter__(self) -> AudioSource: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def check_format(name: str, rate_hz: int, channels: int) -> None:
    """Raise :class:`UnsupportedAudioError` unless the rate and channel count are supported."""
    if channels < 1 or channels > MAX_CHANNELS:
        raise UnsupportedAudioError(
            f"{name} has {channels} channels; expected mono or stereo "
            "(caller left, agent right); downmix it first, e.g. with sox or ffmpeg"
        )
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise UnsupportedAudioError(
            f"{name} has a sample rate of {rate_hz} Hz; supported rates 8-48 kHz "
            f"({MIN_RATE_HZ}..{MAX_RATE_HZ} Hz); resample it first, e.g. with sox or ffmpeg"
        )


def check_block_samples(block_samples: int) -> int:
    """Validate an output block length (samples at 16 kHz, at least 1)."""
    if isinstance(block_samples, bool) or not isinstance(block_samples, int) or block_samples < 1:
        raise UsageError(f"block size must be a whole number of samples >= 1, got {block_samples!r}")
    return block_samples
