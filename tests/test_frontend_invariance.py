"""One call, whatever the front-end: the same recorded Italian call through ``eval``'s runner and
through ``run``'s live loop (fake devices, the call assembly's engine) ends with the same
after-call cues, in the caller's pack language ("Fai un respiro", not "Take a breath")."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import soundfile as sf

from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.live import LiveSource
from voiceassist.calllog import read_log
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.tts import TtsRenderer
from voiceassist.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.session import Assembly
from voiceassist.session.eval_runner import FileJob, run_call
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_calls  # noqa: E402

SCRIPT = """\
lang = "it"
title = "Insulti fino al limite"
category = "abuse"
script = \"\"\"
agent: Buongiorno, assistenza tecnica, come posso aiutarla?
caller: Senti, cretina, non mi servono controlli, voglio internet oggi. => state_boundary@cretina
agent: Voglio aiutarla, e posso farlo appena manteniamo un tono rispettoso.
caller: Rispettoso? Sei una pagliaccia che legge un copione. => last_warning@pagliaccia
agent: Capisco.
\"\"\"
"""
RATE = 16000
AFTER = ("caller_flagged", "take_a_breath")


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("itcall")
    (d / "it_abuse.toml").write_text(SCRIPT, encoding="utf-8")
    args = [str(d / "it_abuse.toml"), "--out", str(d / "it"), "--cache", str(d / "c"), "-q"]
    assert make_calls.main(args) == 0
    return d / "it" / "it_abuse.wav"


def after_call(cues: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for c in cues if c[0] in AFTER]


def test_an_italian_call_ends_with_the_same_italian_after_call_cues_in_run_and_eval(
        tmp_path: Path, renderer: TtsRenderer, call_wav: Path) -> None:
    CALL = call_wav
    job = FileJob(audio=CALL.as_posix(), lang="it", modes=("ref",), transcript=str(CALL.with_suffix(".vtt")),
                  model=None, expectations=None, expect_file="")
    evaluated = run_call(job, "ref")
    assert evaluated.error is None
    eval_after = after_call([(c.cue, c.say) for c in evaluated.cues])
    assert ("take_a_breath", "Fai un respiro") in eval_after

    assembly = Assembly.from_settings({"call.lang": "it", "cues.coaching": False})
    audio, rate = sf.read(str(CALL), dtype="int16")
    system = FakeAudioSystem()
    caller = audio if audio.ndim == 1 else audio[:, 0]
    system.add_input("Fake caller line", caller, rate, default=True, pace=0.0)
    utts = load_transcript(CALL.with_suffix(".vtt"))
    cfg = RunConfig(lang="it", caller_device="caller line", on_device_lost="stop", log_dir=tmp_path / "calls",
                    output_rate_hz=RATE, interactive=False, caller_id="+39 02 1234 5678")

    def source(c: RunConfig, on_status: object) -> LiveSource:
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20,
                          on_status=on_status,  # type: ignore[arg-type]
                          on_lost="stop", backend=system.backend, stream_factory=system.open_stream)

    store = StoreConfig(url=f"sqlite://{tmp_path / 'store.db'}", spool_dir=tmp_path / "spool")
    recorder = CallRecorder.open(store)
    seams = Seams(source=source, output=FakeOutputDevice("fake headset"),
                  recognizer=lambda: ReferenceRecognizer(utts, "caller"),
                  engine=lambda: assembly.engine(),
                  flagged_engine=lambda adj: assembly.engine(adjustments=adj),
                  bank=CueBank("it", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE),
                  recorder=recorder)
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    try:
        assert call.run() == 0
    finally:
        recorder.close()
    log = read_log(call.summary.logs[-1])
    run_after = after_call([(e["cue"], e["say"]) for e in log if e["type"] == "cue"])
    assert run_after == eval_after
    assert all(say != "Take a breath" for _, say in run_after)


def test_replay_without_lang_takes_the_expectation_files_language_and_matches_eval(
        call_wav: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from voiceassist.cli import main

    assert 'lang = "it"' in call_wav.with_suffix(".expect.toml").read_text(encoding="utf-8")
    assert main(["replay", str(call_wav), "--transcript", "auto", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    replayed = [(e["cue"], e["say"]) for e in events if e["type"] == "cue"]
    vtt = str(call_wav.with_suffix(".vtt"))
    job = FileJob(audio=call_wav.as_posix(), lang="it", modes=("ref",), transcript=vtt,
                  model=None, expectations=None, expect_file="")
    evaluated = [(c.cue, c.say) for c in run_call(job, "ref").cues]
    assert replayed == evaluated, "replay gives eval's cues: caller cues, coaching and after-call"
    assert ("take_a_breath", "Fai un respiro") in replayed
