"""Audio files: every supported encoding decodes to the right 16 kHz signal, channel mapping,
block-size invariance, flat memory, and a clear error for every kind of bad file."""

from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from voiceassist.audio.block import RATE_HZ
from voiceassist.audio.files import open_audio_file, read_all
from voiceassist.audio.resample import Resampler
from voiceassist.errors import (
    BadAudioError,
    ExitCode,
    InputFileError,
    UnsupportedAudioError,
    UsageError,
)


def sine(rate: int, seconds: float, hz: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def peak_hz(pcm: np.ndarray) -> float:
    """Frequency of the strongest FFT bin of a 16 kHz signal (Hann window)."""
    x = pcm.astype(np.float64) * np.hanning(len(pcm))
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.fft.rfftfreq(len(pcm), 1 / RATE_HZ)[int(np.argmax(spectrum))])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


# (container, subtype, extension)
ENCODINGS = [
    ("WAV", "PCM_U8", "wav"),
    ("WAV", "PCM_16", "wav"),
    ("WAV", "PCM_24", "wav"),
    ("WAV", "PCM_32", "wav"),
    ("WAV", "FLOAT", "wav"),
    ("WAV", "DOUBLE", "wav"),
    ("WAV", "ULAW", "wav"),
    ("WAV", "ALAW", "wav"),
    ("FLAC", "PCM_16", "flac"),
    ("FLAC", "PCM_24", "flac"),
    ("OGG", "VORBIS", "ogg"),
]


@pytest.mark.parametrize(("fmt", "subtype", "ext"), ENCODINGS)
@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_tone_keeps_frequency_level_and_length(
    tmp_path: Path, fmt: str, subtype: str, ext: str, rate: int
) -> None:
    path = tmp_path / f"tone.{ext}"
    sf.write(str(path), sine(rate, 1.0), rate, format=fmt, subtype=subtype)
    with open_audio_file(path) as audio:
        assert audio.info.rate_hz == rate
        assert audio.info.channels == 1
        assert audio.info.subtype == subtype
        assert audio.info.format == fmt
        assert audio.info.duration_ms == 1000
        caller, agent = read_all(audio)
    assert agent is None
    assert caller.dtype == np.int16
    assert abs(len(caller) - RATE_HZ) <= 2  # 1 s at 16 kHz
    middle = caller[2000:-2000]  # skip resampler edges
    assert abs(peak_hz(middle) - 440.0) <= 2.0
    expected_rms = 0.5 / np.sqrt(2) * 32768
    assert abs(rms(middle) - expected_rms) / expected_rms < 0.05


@pytest.mark.parametrize("subtype", ["ULAW", "ALAW"])
def test_g711_wav_is_close_to_the_pcm_original(tmp_path: Path, subtype: str) -> None:
    rng = np.random.default_rng(3)
    x = (sine(8000, 1.0, 300, 0.3) + sine(8000, 1.0, 1200, 0.2) + 0.01 * rng.standard_normal(8000)).astype(
        np.float32
    )
    sf.write(str(tmp_path / "pcm.wav"), x, 8000, subtype="PCM_16")
    sf.write(str(tmp_path / "g711.wav"), x, 8000, subtype=subtype)
    with open_audio_file(tmp_path / "pcm.wav") as a, open_audio_file(tmp_path / "g711.wav") as b:
        ref, _ = read_all(a)
        got, _ = read_all(b)
    assert len(ref) == len(got)
    err = got.astype(np.float64) - ref
    snr_db = 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / np.sum(err**2))
    assert snr_db > 30  # G.711 gives about 38 dB


def test_16k_pcm16_passes_through_bit_exact(tmp_path: Path) -> None:
    data = np.random.default_rng(0).integers(-32768, 32767, size=(12345, 2), dtype=np.int16)
    sf.write(str(tmp_path / "x.wav"), data, 16000, subtype="PCM_16")
    with open_audio_file(tmp_path / "x.wav", block_samples=1000) as audio:
        caller, agent = read_all(audio)
    assert np.array_equal(caller, data[:, 0])
    assert agent is not None and np.array_equal(agent, data[:, 1])


def stereo_file(tmp_path: Path, rate: int = 22050, seconds: float = 0.5) -> tuple[Path, np.ndarray]:
    left = sine(rate, seconds, 440, 0.4)
    right = sine(rate, seconds, 1000, 0.2)
    data = np.stack([left, right], axis=1)
    path = tmp_path / "stereo.wav"
    sf.write(str(path), data, rate, subtype="PCM_16")
    return path, data


@pytest.mark.parametrize("rate", [8000, 16000, 22050])
def test_blocks_are_identical_for_every_block_size(tmp_path: Path, rate: int) -> None:
    path, _ = stereo_file(tmp_path, rate=rate, seconds=0.5)
    results = {}
    for bs in (1, 160, 479, 4096, 16000):
        with open_audio_file(path, block_samples=bs) as audio:
            blocks = list(audio.blocks())
        # contiguous call time, every block full-size except the last
        pos = 0
        for block in blocks:
            assert block.start_sample == pos
            assert block.agent is not None and len(block.agent) == len(block.caller)
            pos += len(block.caller)
        assert all(len(b.caller) == bs for b in blocks[:-1])
        assert 1 <= len(blocks[-1].caller) <= bs
        results[bs] = (
            np.concatenate([b.caller for b in blocks]),
            np.concatenate([b.agent for b in blocks if b.agent is not None]),
        )
    ref_c, ref_a = results[1]
    assert len(ref_c) == 8000
    for c, a in results.values():
        assert np.array_equal(c, ref_c)
        assert np.array_equal(a, ref_a)


def test_soxr_stream_output_does_not_depend_on_chunking() -> None:
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((22050, 2)) * 0.2).astype(np.float32)
    outputs = []
    for chunk in (1, 7, 441, 5000, 22050):
        r = Resampler(22050, 2)
        parts = [r.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
        parts.append(r.flush())
        outputs.append(np.concatenate(parts))
    assert outputs[0].shape == (16000, 2)
    for out in outputs[1:]:
        assert np.array_equal(out, outputs[0])
    # and it is soxr's resampling: same as the one-shot soxr.resample within rounding
    one_shot = soxr.resample(x, 22050, 16000) * 32768
    assert np.max(np.abs(outputs[0][100:-100] - one_shot[100:-100])) <= 1.0


def test_block_start_sample_counts_16k_samples(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    sf.write(str(path), sine(8000, 1.0), 8000)
    with open_audio_file(path, block_samples=3200) as audio:
        blocks = list(audio.blocks())
    assert [b.start_sample for b in blocks] == [0, 3200, 6400, 9600, 12800]
    assert [b.start_ms for b in blocks] == [0, 200, 400, 600, 800]


def test_blocks_can_be_read_twice(tmp_path: Path) -> None:
    path, _ = stereo_file(tmp_path)
    with open_audio_file(path) as audio:
        first = read_all(audio)[0]
        second = read_all(audio)[0]
    assert np.array_equal(first, second)


# --- channels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller_channel", "agent_channel", "caller_hz", "agent_hz"),
    [
        ("left", "right", 440, 1000),
        ("right", "left", 1000, 440),
        ("left", "none", 440, None),
        ("mix", "right", None, 1000),
    ],
)
def test_channel_mapping(
    tmp_path: Path, caller_channel: str, agent_channel: str, caller_hz: int | None, agent_hz: int | None
) -> None:
    path, _ = stereo_file(tmp_path, rate=16000, seconds=1.0)
    with open_audio_file(path, caller_channel=caller_channel, agent_channel=agent_channel) as audio:
        caller, agent = read_all(audio)
    if caller_hz is not None:
        assert abs(peak_hz(caller) - caller_hz) <= 2
    else:  # mix: both tones present, each at half level
        spectrum = np.abs(np.fft.rfft(caller.astype(np.float64)))
        freqs = np.fft.rfftfreq(len(caller), 1 / RATE_HZ)
        top2 = sorted(float(f) for f in freqs[np.argsort(spectrum)[-2:]])
        assert top2 == [440.0, 1000.0]
        assert abs(rms(caller) - np.sqrt((0.2**2 + 0.1**2) / 2) * 32768) < 200
    if agent_hz is None:
        assert agent is None
    else:
        assert agent is not None and abs(peak_hz(agent) - agent_hz) <= 2


def test_mono_file_is_all_caller_whatever_the_options(tmp_path: Path) -> None:
    path = tmp_path / "mono.wav"
    sf.write(str(path), sine(16000, 0.5), 16000)
    with open_audio_file(path, caller_channel="right", agent_channel="left") as audio:
        caller, agent = read_all(audio)
    assert agent is None
    assert abs(peak_hz(caller) - 440) <= 4


def test_bad_channel_option_is_a_usage_error(tmp_path: Path) -> None:
    path, _ = stereo_file(tmp_path)
    with pytest.raises(UsageError, match=r"left\|right\|mix"):
        open_audio_file(path, caller_channel="center")
    with pytest.raises(UsageError, match=r"left\|right\|none"):
        open_audio_file(path, agent_channel="mix")
    with pytest.raises(UsageError, match=r"block size"):
        open_audio_file(path, block_samples=0)


# --- memory ---------------------------------------------------------------------------------


def sparse_wav(path: Path, rate: int, seconds: int) -> None:
    """A valid 16-bit mono WAV of ``seconds`` of silence without writing the data (sparse file)."""
    data_bytes = rate * seconds * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with path.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + data_bytes)


def test_two_hour_file_streams_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "two_hours.wav"
    sparse_wav(path, 8000, 2 * 3600)
    samples = 0
    tracemalloc.start()
    try:
        with open_audio_file(path, block_samples=16000) as audio:
            assert audio.info.duration_ms == 2 * 3600 * 1000
            for block in audio.blocks():
                samples += len(block.caller)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert samples == 2 * 3600 * RATE_HZ
    # the whole call at 16 kHz int16 would be 230 MB; a few read chunks (plus whatever else the
    # process allocates meanwhile) stay far below 10 MB
    assert peak < 10_000_000, peak


# --- bad input ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"audio file not found: .*nope.wav") as err:
        open_audio_file(tmp_path / "nope.wav")
    assert err.value.code == ExitCode.FILE_NOT_FOUND


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"is a directory; expected an audio file"):
        open_audio_file(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.wav"
    sf.write(str(path), sine(16000, 0.1), 16000)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the permission check fail the way it would
        real_open = os.open

        def deny(p: object, flags: int, *args: object, **kwargs: object) -> int:
            if Path(str(p)) == path:
                raise PermissionError(13, "Permission denied", str(p))
            return real_open(p, flags, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", deny)
    with pytest.raises(InputFileError, match=r"cannot read audio file .*secret.wav: Permission denied"):
        open_audio_file(path)


def test_text_file_named_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 20)
    with pytest.raises(BadAudioError, match=r"not a readable audio file .*expected WAV") as err:
        open_audio_file(path)
    assert err.value.code == ExitCode.BAD_AUDIO
    assert "\n" not in err.value.message


def test_truncated_header(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(str(good), sine(16000, 0.5), 16000)
    path = tmp_path / "cut.wav"
    path.write_bytes(good.read_bytes()[:30])
    with pytest.raises(BadAudioError, match=r"cut.wav is not a readable audio file"):
        open_audio_file(path)


def test_corrupt_flac_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.flac"
    sf.write(str(path), sine(16000, 1.0), 16000, format="FLAC")
    data = bytearray(path.read_bytes())
    data[10:60] = bytes(range(50))
    path.write_bytes(bytes(data))
    with pytest.raises(BadAudioError, match=r"bad.flac is not a readable audio file"):
        open_audio_file(path)


def test_corrupt_flac_data_found_mid_stream(tmp_path: Path) -> None:
    path = tmp_path / "mid.flac"
    rng = np.random.default_rng(0)
    sf.write(str(path), (0.3 * rng.standard_normal(16000 * 5)).astype(np.float32), 16000, format="FLAC")
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with open_audio_file(path) as audio:  # the header is fine
        got = 0
        with pytest.raises(BadAudioError, match=r"mid.flac: audio data (is corrupt near \d+ ms|ends after)"):
            for block in audio.blocks():
                got += len(block.caller)
    assert 0 < got < 16000 * 5  # what came before the damage was delivered


def test_truncated_ogg_data_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.ogg"
    rng = np.random.default_rng(1)
    sf.write(str(path), (0.3 * rng.standard_normal(16000 * 5)).astype(np.float32), 16000, format="OGG")
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 500] = bytes(500)
    path.write_bytes(bytes(data))
    with open_audio_file(path) as audio, pytest.raises(BadAudioError, match=r"cut.ogg: audio data"):
        read_all(audio)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_truncated_wav_is_refused_not_replayed_short(tmp_path: Path, subtype: str) -> None:
    """Issue 13 item 14: 30 kB of a 280 kB WAV replayed ~1 s with exit 0; libsndfile shortens the
    frame count, so the header's data size tells the truth."""
    path = tmp_path / "cut.wav"
    sf.write(str(path), sine(16000, 8.0), 16000, subtype=subtype)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 9])
    with pytest.raises(BadAudioError, match=r"cut.wav: audio data ends after \d+ of \d+ frames.*truncated"):
        open_audio_file(path)


def test_wav_with_placeholder_size_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    """A recording still being written declares size 0xFFFFFFFF: not an error."""
    path = tmp_path / "growing.wav"
    sf.write(str(path), sine(16000, 1.0), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    try:
        audio = open_audio_file(path)
    except BadAudioError:
        pytest.skip("libsndfile refuses this placeholder itself")
    with audio:
        caller, _ = read_all(audio)
    assert len(caller) > 0


def test_nan_samples_play_as_silence_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "nan.wav"
    x = sine(16000, 1.0).astype(np.float32)
    x[4000:4100] = np.nan
    x[9000] = np.inf
    sf.write(str(path), x, 16000, subtype="FLOAT")
    with open_audio_file(path) as audio:
        caller, _ = read_all(audio)
    assert len(caller) == 16000
    assert np.all(caller[4010:4090] == 0), "NaN samples are silence, not undefined values"
    assert "NaN or infinite samples" in caplog.text


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_zero_length_audio(tmp_path: Path, subtype: str) -> None:
    path = tmp_path / "empty.wav"
    sf.write(str(path), np.zeros(0, np.float32), 16000, subtype=subtype)
    with pytest.raises(UnsupportedAudioError, match=r"contains no audio") as err:
        open_audio_file(path)
    assert err.value.code == ExitCode.UNSUPPORTED_AUDIO


def test_six_channels(tmp_path: Path) -> None:
    path = tmp_path / "surround.wav"
    sf.write(str(path), np.zeros((1600, 6), np.float32), 16000)
    with pytest.raises(UnsupportedAudioError, match=r"has 6 channels; expected mono or stereo"):
        open_audio_file(path)


@pytest.mark.parametrize("rate", [96000, 4000])
def test_sample_rate_out_of_range(tmp_path: Path, rate: int) -> None:
    path = tmp_path / f"r{rate}.wav"
    sf.write(str(path), np.zeros(rate // 10, np.float32), rate)
    with pytest.raises(UnsupportedAudioError, match=f"sample rate of {rate} Hz; supported rates 8-48 kHz"):
        open_audio_file(path)


def test_errors_reach_the_user_as_one_line_and_exit_code(tmp_path: Path) -> None:
    """The exception family carries the exit code the CLI returns (4 bad, 5 unsupported, 3 missing)."""
    cases = {
        InputFileError: tmp_path / "missing.wav",
    }
    text = tmp_path / "t.wav"
    text.write_text("hello")
    cases[BadAudioError] = text
    six = tmp_path / "six.wav"
    sf.write(str(six), np.zeros((10, 6), np.float32), 16000)
    cases[UnsupportedAudioError] = six
    codes = {InputFileError: 3, BadAudioError: 4, UnsupportedAudioError: 5}
    for cls, path in cases.items():
        with pytest.raises(cls) as err:
            open_audio_file(path)
        assert int(err.value.code) == codes[cls]
        assert "\n" not in str(err.value)
