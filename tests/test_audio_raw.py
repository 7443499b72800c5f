"""Raw telephony PCM (s16le, mu-law, A-law) from a byte stream: same 16 kHz signal as the WAV
route, independent of how the stream delivers its bytes, clear errors."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voiceassist.audio.block import RATE_HZ
from voiceassist.audio.files import open_audio_file, read_all
from voiceassist.audio.g711 import ALAW_TO_PCM16, ULAW_TO_PCM16
from voiceassist.audio.raw import open_raw, open_raw_file
from voiceassist.errors import InputFileError, UnsupportedAudioError, UsageError


def tone8k(seconds: float = 1.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(8000 * seconds)) / 8000
    return (12000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def peak_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1 / RATE_HZ)[int(np.argmax(spectrum))])


def encode(pcm: np.ndarray, subtype: str, channels: int = 1) -> bytes:
    """Headerless bytes as libsndfile encodes them (the reference encoder)."""
    buf = io.BytesIO()
    sf.write(buf, pcm, 8000, format="RAW", subtype=subtype)
    return buf.getvalue()


@pytest.mark.parametrize(("table", "subtype"), [(ULAW_TO_PCM16, "ULAW"), (ALAW_TO_PCM16, "ALAW")])
def test_g711_tables_match_libsndfile_for_every_byte(table: np.ndarray, subtype: str) -> None:
    every_byte = bytes(range(256))
    ref, _ = sf.read(
        io.BytesIO(every_byte), format="RAW", subtype=subtype, samplerate=8000, channels=1, dtype="int16"
    )
    assert np.array_equal(table, ref)


def test_s16le_raw_equals_the_same_samples_in_a_wav(tmp_path: Path) -> None:
    pcm = tone8k()
    sf.write(str(tmp_path / "x.wav"), pcm, 8000, subtype="PCM_16")
    with open_audio_file(tmp_path / "x.wav") as wav:
        ref, _ = read_all(wav)
    raw = open_raw(io.BytesIO(pcm.astype("<i2").tobytes()), rate_hz=8000, fmt="s16le")
    assert raw.info.frames == 8000 and raw.info.duration_ms == 1000 and raw.info.format == "RAW"
    got, agent = read_all(raw)
    assert agent is None
    assert np.array_equal(got, ref)
    assert len(got) == RATE_HZ
    assert abs(peak_hz(got[1000:-1000]) - 440) <= 2


@pytest.mark.parametrize(("fmt", "subtype"), [("mulaw", "ULAW"), ("alaw", "ALAW")])
def test_g711_raw_equals_the_g711_wav(tmp_path: Path, fmt: str, subtype: str) -> None:
    pcm = tone8k()
    sf.write(str(tmp_path / "x.wav"), pcm, 8000, subtype=subtype)
    with open_audio_file(tmp_path / "x.wav") as wav:
        ref, _ = read_all(wav)
    got, _ = read_all(open_raw(io.BytesIO(encode(pcm, subtype)), rate_hz=8000, fmt=fmt))
    assert np.array_equal(got, ref)
    assert abs(peak_hz(got[1000:-1000]) - 440) <= 2


class Trickle(io.RawIOBase):
    """A pipe-like stream that hands out a few bytes at a time (odd sizes, splitting frames)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data = data
        self.pos = 0
        self.sizes = sizes
        self.calls = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        size = min(len(b), self.sizes[self.calls % len(self.sizes)])
        self.calls += 1
        chunk = self.data[self.pos : self.pos + size]
        b[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_output_does_not_depend_on_read_sizes() -> None:
    rng = np.random.default_rng(5)
    stereo = rng.integers(-20000, 20000, size=(4000, 2), dtype=np.int16)
    data = stereo.astype("<i2").tobytes()
    ref_c, ref_a = read_all(open_raw(io.BytesIO(data), rate_hz=8000, channels=2))
    trickle = Trickle(data, [1, 3, 7, 250, 2])
    raw = open_raw(trickle, rate_hz=8000, channels=2, block_samples=479)  # type: ignore[arg-type]
    assert raw.info.frames is None  # not seekable: length unknown
    got_c, got_a = read_all(raw)
    assert trickle.calls > 100
    assert np.array_equal(got_c, ref_c)
    assert got_a is not None and ref_a is not None and np.array_equal(got_a, ref_a)


def test_stereo_raw_channel_mapping() -> None:
    left = np.full(800, 1000, np.int16)
    right = np.full(800, -3000, np.int16)
    data = np.stack([left, right], axis=1).astype("<i2").tobytes()
    c, a = read_all(
        open_raw(io.BytesIO(data), rate_hz=16000, channels=2, caller_channel="right", agent_channel="left")
    )
    assert np.all(c == -3000) and a is not None and np.all(a == 1000)
    c, a = read_all(
        open_raw(io.BytesIO(data), rate_hz=16000, channels=2, caller_channel="mix", agent_channel="none")
    )
    assert np.all(c == -1000) and a is None


def test_trailing_partial_frame_is_dropped() -> None:
    data = np.full(1600, 500, np.int16).astype("<i2").tobytes() + b"\x01"
    c, _ = read_all(open_raw(io.BytesIO(data), rate_hz=16000))
    assert len(c) == 1600 and np.all(c == 500)


def test_empty_raw_stream_is_unsupported() -> None:
    raw = open_raw(io.BytesIO(b""), rate_hz=8000, fmt="mulaw")
    with pytest.raises(UnsupportedAudioError, match=r"contains no audio"):
        read_all(raw)


def test_bad_raw_options() -> None:
    with pytest.raises(UsageError, match=r"s16le\|mulaw\|alaw"):
        open_raw(io.BytesIO(b"\0\0"), fmt="mp3")
    with pytest.raises(UnsupportedAudioError, match=r"supported rates 8-48 kHz"):
        open_raw(io.BytesIO(b"\0\0"), rate_hz=4000)
    with pytest.raises(UnsupportedAudioError, match=r"expected mono or stereo"):
        open_raw(io.BytesIO(b"\0\0"), channels=6)


def test_raw_file_and_missing_raw_file(tmp_path: Path) -> None:
    path = tmp_path / "tap.ulaw"
    path.write_bytes(encode(tone8k(0.5), "ULAW"))
    with open_raw_file(path, rate_hz=8000, fmt="mulaw") as raw:
        c, _ = read_all(raw)
    assert len(c) == 8000
    assert raw.stream.closed
    with pytest.raises(InputFileError, match=r"raw audio file not found"):
        open_raw_file(tmp_path / "nope.raw")


def test_raw_from_stdin_in_a_real_pipe() -> None:
    """`-` reads stdin as data arrives, like a telephony tap piped in."""
    script = (
        "from voiceassist.audio.raw import open_raw_file\n"
        "from voiceassist.audio.files import read_all\n"
        "c, _ = read_all(open_raw_file('-', rate_hz=8000, fmt='mulaw', block_samples=160))\n"
        "print(len(c), int(abs(c).max()))\n"
    )
    data = encode(tone8k(0.5), "ULAW")
    out = subprocess.run(
        [sys.executable, "-c", script], input=data, capture_output=True, check=True, timeout=60
    )
    n, peak = map(int, out.stdout.split())
    assert n == 8000
    assert 11000 < peak < 13500
