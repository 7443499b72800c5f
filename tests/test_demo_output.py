"""``voiceassist demo``: bundled calls, the stereo WAV (left = call, right = what the agent heard),
and working with no model and no sound device."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voiceassist.cli import main
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.tts import TtsRenderer
from voiceassist.session.demo import DEMO_LANGS, DemoOptions, demo_calls, run_demo

RATE = 16000


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def test_bundled_calls_are_small_mono_16k_with_transcripts() -> None:
    calls = demo_calls()
    assert {c.lang for c in calls} == set(DEMO_LANGS)
    for c in calls:
        info = sf.info(str(c.wav))
        assert info.channels == 1 and info.samplerate <= 16000
        assert info.duration < 60
        assert c.wav.stat().st_size < 1_000_000
        assert "WEBVTT" in c.vtt.read_text(encoding="utf-8")


def test_right_channel_is_silent_except_where_cues_fired(tmp_path: Path, renderer: TtsRenderer) -> None:
    out = tmp_path / "demo.wav"
    text = io.StringIO()
    result = run_demo(DemoOptions(langs=("en",), fast=True, out=out), text,
                      bank_factory=lambda lang: CueBank(lang, cache=CueCache(renderer, tmp_path / "c"),
                                                        rate_hz=RATE))
    data, rate = sf.read(str(out), dtype="int16")
    assert rate == RATE and data.ndim == 2 and data.shape[1] == 2
    call, _ = sf.read(str(demo_calls(("en",))[0].wav), dtype="int16")
    assert np.array_equal(data[: call.size, 0], call)  # left: the call itself
    right = data[:, 1].astype(np.int32)
    played = [c for c in result.cues if c.outcome == "played"]
    assert played, text.getvalue()
    # Where each cue sound lies: from the time it was heard, for the length of its sound.
    mask = np.zeros(right.size, dtype=bool)
    bank = CueBank("en", cache=CueCache(renderer, tmp_path / "c"), rate_hz=RATE)
    for c in played:
        assert c.heard_ms is not None and c.delay_ms is not None and c.delay_ms >= 0
        start = c.heard_ms * RATE // 1000
        n = bank.sound_for(c.cue.say, c.cue.severity).samples.size
        assert np.abs(right[start : start + 160]).max() > 0  # the cue starts right there
        mask[start : start + n] = True
    assert not right[~mask].any()  # silent everywhere else
    # Whisper level: the right channel's peak is the cue gain (-20 dBFS), well below full scale.
    peak = np.abs(right).max() / 32768
    assert 0.08 < peak < 0.11
    # The transcript and the cues were printed as they fired.
    printed = text.getvalue()
    assert "caller" in printed and (">> " in printed or "!! " in printed)
    for c in played:
        assert c.cue.say in printed


def test_cli_demo_fast_works_without_model_or_sound_device(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    out = tmp_path / "mix.wav"
    code = main(["demo", "--fast", "--lang", "en", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert out.is_file() and sf.info(str(out)).channels == 2
    assert "wrote" in printed and "end_call" in printed
    # Read top to bottom: each cue comes right after the caller line that triggered it.
    lines = printed.splitlines()
    useless = next(i for i, line in enumerate(lines) if "caller  You are a useless idiot." in line)
    assert ">> use_their_name" in lines[useless + 1], lines


def test_demo_asr_says_clearly_when_there_is_no_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_models: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voiceassist.stt.models.package_model_dir", lambda lang: None)
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    code = main(["demo", "--fast", "--asr", "--lang", "en", "--out", str(tmp_path / "x.wav")])
    err = capsys.readouterr().err
    assert code == 6
    assert "no speech model installed for en" in err


@pytest.mark.parametrize("name", ["a-folder", "mix.mp3"])
def test_cli_demo_bad_out_is_refused_up_front(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        name: str) -> None:
    """--out naming a folder or a non-WAV file: a clear error before any call runs, no traceback."""
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "a-folder").mkdir()
    code = main(["demo", "--fast", "--lang", "en", "--out", str(tmp_path / name)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "--out" in captured.err and ".wav" in captured.err
    assert "== en" not in captured.out


def test_script_agreement_is_the_share_of_the_script_heard_in_order() -> None:
    from voiceassist.session.demo import script_agreement

    assert script_agreement("you are a useless idiot", "You are a useless idiot.") == 1.0
    assert script_agreement("", "You are a useless idiot.") == 0.0
    assert script_agreement("정말 화가 나네요", "정말 화가 나네요 벌써 세 번째 전화입니다") < 0.6
    assert script_agreement("you are a useless idiot", "I want a refund now") < 0.6


@pytest.mark.slow
def test_demo_asr_says_when_the_recogniser_could_not_follow_the_synthetic_voice(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], ko_model_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before (issue 13 item 15) the Korean demo with --asr printed garbled caller lines and
    '0 cues' and nothing else; now it says the model could not follow the synthetic voice."""
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    code = main(["demo", "--fast", "--asr", "--lang", "ko", "--out", str(tmp_path / "x.wav")])
    out = capsys.readouterr().out
    assert code == 0
    assert "note: the ko speech model could not follow the synthetic voice of ko/threat_caller" in out
    assert "run the demo without --asr" in out
    assert "demo: speech recognition could not follow the synthetic voice in 1 of 1 calls" in out
