"""scripts/make_calls.py: stereo layout, VTT times against the audio, telephone variant, SNR,
determinism, and dialogue validation errors."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import callsynth  # noqa: E402
import make_calls  # noqa: E402

from voiceassist.qa.expectations import load_expectations  # noqa: E402
from voiceassist.stt.reference import load_transcript  # noqa: E402

DIALOGUE = """\
lang = "en"
title = "Test call"
category = "abuse"

[[turn]]
speaker = "agent"
text = "Good morning, you are through to billing, how can I help?"

[[turn]]
speaker = "caller"
text = "You are a useless idiot and I want my money back."
pause = 0.8
expect = [{ cue = "state_boundary", trigger = "idiot" }]

[[turn]]
speaker = "agent"
text = "I understand, let me look at the account with you."
pause = 1.0

[[turn]]
speaker = "caller"
text = "Thank you, that would be kind."
quiet = true
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("calls")
    (d / "billing.toml").write_text(DIALOGUE)
    cache = d / "cache"
    assert (
        make_calls.main([str(d / "billing.toml"), "--out", str(d / "plain"), "--cache", str(cache), "-q"])
        == 0
    )
    assert (
        make_calls.main(
            [str(d / "billing.toml"), "--out", str(d / "tel"), "--telephone", "--cache", str(cache), "-q"]
        )
        == 0
    )
    assert (
        make_calls.main(
            [str(d / "billing.toml"), "--out", str(d / "snr"), "--snr", "10", "--cache", str(cache), "-q"]
        )
        == 0
    )
    assert (
        make_calls.main(
            [str(d / "billing.toml"), "--out", str(d / "mono"), "--mono", "--cache", str(cache), "-q"]
        )
        == 0
    )
    return d


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def test_stereo_layout_caller_left_agent_right(rendered: Path) -> None:
    audio, rate = sf.read(str(rendered / "plain/billing.wav"), dtype="float32")
    assert rate == 16000 and audio.shape[1] == 2
    assert sf.info(str(rendered / "plain/billing.wav")).subtype == "PCM_16"
    utts = load_transcript(rendered / "plain/billing.vtt")
    assert [u.speaker for u in utts] == ["agent", "caller", "agent", "caller"]
    for u in utts:
        seg = audio[u.start_ms * 16 : u.end_ms * 16]
        own, other = (0, 1) if u.speaker == "caller" else (1, 0)
        assert rms(seg[:, own]) > 0.02
        assert rms(seg[:, other]) < 1e-4  # clean render: the other channel is digital silence


def test_vtt_turn_times_match_the_audio_energy(rendered: Path) -> None:
    audio, _ = sf.read(str(rendered / "plain/billing.wav"), dtype="float32")
    for u in load_transcript(rendered / "plain/billing.vtt"):
        ch = audio[:, 0 if u.speaker == "caller" else 1]
        s, e = u.start_ms * 16, u.end_ms * 16
        assert rms(ch[max(0, s - 800) : s]) < 1e-4, "silence just before the turn starts"
        assert rms(ch[e + 16 : e + 816]) < 1e-4, "silence just after the turn ends"
        assert np.abs(ch[s : s + 480]).max() > 0.005, "sound within 30 ms of the start"
        assert np.abs(ch[e - 480 : e]).max() > 0.005, "sound within 30 ms of the end"
    text = (rendered / "plain/billing.vtt").read_text()
    assert text.startswith("WEBVTT") and "<v caller>" in text and "<v agent>" in text


def test_expectations_window_and_anchor_follow_the_turns(rendered: Path) -> None:
    exp = load_expectations(rendered / "plain/billing.expect.toml")
    utts = load_transcript(rendered / "plain/billing.vtt")
    (e,) = exp.expected
    insult = utts[1]
    assert e.cue == "state_boundary" and e.category == "abuse" and exp.lang == "en"
    assert e.start_ms == insult.start_ms and e.end_ms == insult.end_ms + 3000
    assert e.anchor_ms is not None and insult.start_ms < e.anchor_ms < insult.end_ms
    # "idiot" is the 5th of 11 words: its end lies in the first half of the turn
    assert e.anchor_ms < (insult.start_ms + insult.end_ms) / 2
    assert exp.quiet == ((utts[3].start_ms, exp.quiet[0][1]),)


def test_telephone_variant_is_8k_mulaw_band_limited(rendered: Path) -> None:
    info = sf.info(str(rendered / "tel/billing.wav"))
    assert (info.samplerate, info.subtype, info.channels) == (8000, "ULAW", 2)
    audio, _ = sf.read(str(rendered / "tel/billing.wav"), dtype="float32")
    plain, _ = sf.read(str(rendered / "plain/billing.wav"), dtype="float32")
    assert abs(len(audio) / 8000 - len(plain) / 16000) < 0.01
    spec = np.abs(np.fft.rfft(audio[:, 0])) ** 2
    f = np.fft.rfftfreq(len(audio), 1 / 8000)
    low = spec[f < 150].sum() / spec.sum()
    plain_spec = np.abs(np.fft.rfft(plain[:, 0])) ** 2
    plain_low = plain_spec[np.fft.rfftfreq(len(plain), 1 / 16000) < 150].sum() / plain_spec.sum()
    assert low < plain_low / 5, (low, plain_low)


def test_snr_is_roughly_what_was_asked(rendered: Path) -> None:
    noisy, _ = sf.read(str(rendered / "snr/billing.wav"), dtype="float32")
    clean, _ = sf.read(str(rendered / "plain/billing.wav"), dtype="float32")
    for u in load_transcript(rendered / "plain/billing.vtt"):
        if u.speaker != "caller":
            continue
    caller_mask = np.zeros(len(clean), bool)
    for u in load_transcript(rendered / "plain/billing.vtt"):
        if u.speaker == "caller":
            caller_mask[u.start_ms * 16 : u.end_ms * 16] = True
    speech = np.mean(clean[caller_mask, 0].astype(np.float64) ** 2)
    noise = np.mean((noisy[:, 0] - clean[:, 0]).astype(np.float64) ** 2)
    snr = 10 * np.log10(speech / noise)
    assert 8.5 < snr < 11.5, snr


def test_mono_is_the_caller_only(rendered: Path) -> None:
    mono, _ = sf.read(str(rendered / "mono/billing.wav"), dtype="float32")
    stereo, _ = sf.read(str(rendered / "plain/billing.wav"), dtype="float32")
    assert mono.ndim == 1
    assert np.array_equal(mono, stereo[:, 0])


def test_rendering_is_deterministic_and_skips_unchanged(rendered: Path, tmp_path: Path) -> None:
    cache = rendered / "cache"
    args = [str(rendered / "billing.toml"), "--snr", "10", "--cache", str(cache), "-q", "--out"]
    assert make_calls.main([*args, str(tmp_path / "again")]) == 0

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    for name in ("billing.wav", "billing.vtt", "billing.expect.toml"):
        assert digest(tmp_path / "again" / name) == digest(rendered / "snr" / name)
    before = (tmp_path / "again/billing.wav").stat().st_mtime_ns
    _, status = make_calls._render_one(
        (
            rendered / "billing.toml",
            tmp_path / "again",
            callsynth.RenderOptions(snr_db=10, cache_dir=cache),
            callsynth.espeak_version(),
            False,
        )
    )
    assert status == "unchanged" and (tmp_path / "again/billing.wav").stat().st_mtime_ns == before


def test_dialogue_errors_name_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = DIALOGUE.replace('speaker = "caller"\ntext = "You', 'speaker = "client"\ntext = "You').replace(
        '"state_boundary"', '"state_boundry"'
    )
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    assert make_calls.main([str(path), "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:10: speaker must be" in err
    assert f"{path}:13: unknown cue id 'state_boundry'" in err
    assert not (tmp_path / "o").exists()


def test_compact_script_form(tmp_path: Path) -> None:
    text = (
        'lang = "it"\ntitle = "breve"\nbenign = true\nscript = """\n'
        "agent: Buongiorno, come posso aiutarla?\n[3.5] caller: Vorrei sapere il saldo.\n"
        '"""\n'
    )
    d = callsynth.parse_dialogue(text, "x.toml")
    assert [(t.speaker, t.pause) for t in d.turns] == [("agent", 0.6), ("caller", 3.5)]
    assert d.turns[1].text == "Vorrei sapere il saldo."
    with pytest.raises(callsynth.DialogueError) as info:
        callsynth.parse_dialogue(text.replace("caller: Vorrei", "cliente: Vorrei"), "x.toml")
    assert info.value.problems[0].startswith("x.toml:6: ")
