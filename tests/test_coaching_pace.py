"""Agent speech-rate estimate from audio, on espeak-ng speech rendered at known rates.

The sentences here are not the ones the estimator's thresholds were chosen on. The reference
rate is the text's syllable count over the rendered speech's duration (leading and trailing
silence trimmed); the estimate must be within 15 % of it, and must rank faster speech faster.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from voiceassist.coaching.pace import PaceConfig, PaceMeter, syllable_rate

SENTENCES = {
    "en": "Let me check that for you, it looks like the parcel left our warehouse on Monday "
    "and the courier will deliver it before noon tomorrow.",
    "it": "Le confermo che la spedizione è partita lunedì mattina e il corriere la consegnerà "
    "domani entro mezzogiorno, senza costi aggiuntivi.",
    "es": "Le confirmo que el paquete salió del almacén el lunes por la mañana y el mensajero "
    "lo entregará mañana antes del mediodía.",
    "pl": "Potwierdzam, że paczka wyjechała z magazynu w poniedziałek rano i kurier dostarczy "
    "ją jutro przed południem.",
}
VOWELS = re.compile(r"[aeiouyàèéìòùáíóúąęó]+")
RATES_WPM = (150, 200, 260, 320)


def _render(text: str, voice: str, wpm: int, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
    data, rate = sf.read(path, dtype="float64")
    pcm = soxr.resample(data, rate, 16000)
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    return (pcm[loud[0] : loud[-1]] * 32767).astype(np.int16)


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_rate_within_15_percent_at_known_speeds(lang: str, tmp_path: Path) -> None:
    text = SENTENCES[lang]
    syllables = len(VOWELS.findall(text.lower()))
    estimates = []
    for wpm in RATES_WPM:
        pcm = _render(text, lang if lang != "en" else "en-us", wpm, tmp_path / f"{wpm}.wav")
        truth = syllables / (len(pcm) / 16000)
        est = syllable_rate(pcm)
        assert est is not None
        assert abs(est / truth - 1) <= 0.15, f"{lang} at {wpm} wpm: estimate {est:.2f} vs {truth:.2f} syl/s"
        estimates.append(est)
    assert estimates == sorted(estimates), "faster speech must measure faster"


def test_silence_and_steady_tone_have_no_rate() -> None:
    assert syllable_rate(np.zeros(16000 * 5, dtype=np.int16)) is None
    t = np.arange(16000 * 5) / 16000
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    rate = syllable_rate(tone)
    assert rate is not None and rate < 1.0


def test_streaming_result_does_not_depend_on_block_size(tmp_path: Path) -> None:
    pcm = _render(SENTENCES["en"], "en-us", 200, tmp_path / "a.wav")
    results = set()
    for block in (1, 160, 479, 4096):
        meter = PaceMeter()
        for i in range(0, len(pcm), block):
            meter.feed(pcm[i : i + block])
        results.add((meter.total_nuclei, meter.total_speech_frames))
    assert len(results) == 1


def test_rushing_needs_sustained_fast_speech(tmp_path: Path) -> None:
    cfg = PaceConfig(min_speech_ms=8_000, max_rate=6.5)
    fast = _render(SENTENCES["it"], "it", 340, tmp_path / "fast.wav")
    slow = _render(SENTENCES["it"], "it", 150, tmp_path / "slow.wav")
    pause = np.zeros(8000, dtype=np.int16)
    meter = PaceMeter(cfg)
    meter.feed(fast)
    assert not meter.rushing(), "one short fast sentence is not yet a sustained span"
    for _ in range(3):
        meter.feed(pause)
        meter.feed(fast)
    assert meter.rushing()
    calm = PaceMeter(cfg)
    for _ in range(4):
        calm.feed(slow)
        calm.feed(pause)
    assert not calm.rushing()
