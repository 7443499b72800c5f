"""Real pyttsx3 renders (espeak-ng driver, headless): audible, at the whisper level, with the
right earcon, in the language's voice or the announced English fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceassist.cues.bank import CueBank, reset_announcements
from voiceassist.cues.cache import CueCache
from voiceassist.cues.earcons import earcon
from voiceassist.cues.level import peak_dbfs
from voiceassist.cues.tts import TtsRenderer
from voiceassist.cues.voices import VoiceInfo, choose_voice

RATE = 16000


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def rms_dbfs(x: np.ndarray) -> float:
    return 20 * float(np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12))


@pytest.mark.parametrize(("lang", "say"), [("it", "Stabilisci il limite"), ("pl", "Postaw granicę"),
                                           ("es", "Marca el límite"), ("en", "Set the boundary"),
                                           ("ko", "선을 그으세요")])
def test_real_render_is_speech_at_whisper_level(tmp_path: Path, renderer: TtsRenderer,
                                                lang: str, say: str) -> None:
    bank = CueBank(lang, cache=CueCache(renderer, tmp_path), rate_hz=RATE, gain_dbfs=-20.0,
                   soft_earcon=False)
    voice = bank.voice()
    assert voice is not None and not voice.fallback and voice.lang == lang
    snd = bank.sound_for(say, "warn")
    assert snd.speech, snd.error
    assert snd.rate_hz == RATE
    assert 300 <= snd.duration_ms <= 3000  # a short phrase, silence trimmed
    assert abs(peak_dbfs(snd.samples) - (-20.0)) < 0.5
    # Speech, not a click: substantial energy over most of the phrase.
    frames = snd.samples[: snd.samples.size // 160 * 160].reshape(-1, 160)
    voiced = np.mean([rms_dbfs(f) > -50 for f in frames])
    assert voiced > 0.5
    assert -46 < rms_dbfs(snd.samples) < -23  # speech crest factor: 3..26 dB under the peak


def test_gain_setting_moves_the_level(tmp_path: Path, renderer: TtsRenderer) -> None:
    quiet = CueBank("en", cache=CueCache(renderer, tmp_path), rate_hz=RATE, gain_dbfs=-32.0,
                    soft_earcon=False).sound_for("Slow down")
    assert abs(peak_dbfs(quiet.samples) - (-32.0)) < 0.5


def test_earcons_soft_and_urgent_differ(tmp_path: Path, renderer: TtsRenderer) -> None:
    bank = CueBank("en", cache=CueCache(renderer, tmp_path), rate_hz=RATE, gain_dbfs=-20.0)
    routine = bank.sound_for("Set the boundary", "warn")
    urgent = bank.sound_for("End the call", "urgent")
    soft = earcon("soft", RATE, -20.0)
    alarm = earcon("urgent", RATE, -20.0)
    assert np.array_equal(routine.samples[: soft.size], soft)
    assert np.array_equal(urgent.samples[: alarm.size], alarm)
    assert alarm.size > soft.size * 2
    assert peak_dbfs(soft) < peak_dbfs(alarm) - 5  # the soft one is quieter than the cue


def test_missing_voice_falls_back_to_english_once(tmp_path: Path, renderer: TtsRenderer) -> None:
    reset_announcements()
    a = CueBank("xx", cache=CueCache(renderer, tmp_path), rate_hz=RATE)
    voice = a.voice()
    assert voice is not None and voice.fallback and voice.lang == "en"
    assert a.sound_for("Set the boundary").speech
    assert len(a.notices) == 1 and "English" in a.notices[0]
    b = CueBank("xx", cache=CueCache(renderer, tmp_path), rate_hz=RATE)
    b.voice()
    assert b.notices == []


def test_choose_voice_prefers_language_then_english() -> None:
    voices = [VoiceInfo("gmw/en", "English", ("en-gb",)), VoiceInfo("gmw/en-us", "American", ("en-us",)),
              VoiceInfo("roa/it", "Italian", ("it",))]
    assert choose_voice("it", voices).voice_id == "roa/it"  # type: ignore[union-attr]
    assert choose_voice("en", voices).voice_id == "gmw/en-us"  # type: ignore[union-attr]
    ko = choose_voice("ko", voices)
    assert ko is not None and ko.fallback and ko.voice_id == "gmw/en-us"
    assert choose_voice("ko", [VoiceInfo("roa/it", "Italian", ("it",))]) is None


def test_tts_failure_gives_tone_only(tmp_path: Path) -> None:
    broken = TtsRenderer(driver="no-such-driver", timeout_s=5.0)
    bank = CueBank("en", cache=CueCache(broken, tmp_path), rate_hz=RATE, soft_earcon=False)
    snd = bank.sound_for("Set the boundary", "warn")
    assert not snd.speech and snd.error
    assert np.array_equal(snd.samples, earcon("soft", RATE, -20.0))
    assert bank.notices  # the screen is told once
