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
from voiceassist.session import Assembly
from voiceassist.session.eval_runner import FileJob, run_call
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
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
caller: Senti, cretina, voglio internet oggi, ho già riavviato il modem tre volte. => state_boundary@cretina
[-1.5] agent: Sì, sì, il modem, vedo qui il suo contratto e le segnalazioni aperte.
[1.0] caller: Non mi interrompere mentre parlo, ascoltami bene per una volta.
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


def test_run_input_plays_the_recording_through_the_live_loop_with_the_cues_of_replay(
        call_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``run --input`` (no headset, no --lang: Italian from the call's own files) and ``replay
    --store`` give the same cues for a new caller, and the same heads-up for the flagged one."""
    from call_harness import run_call as run_through

    caller = "+39 02 1234 5678"
    got: dict[str, list[list[tuple[str, str]]]] = {}
    for front in ("run", "replay"):
        monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path / front))
        extra = ["--caller-id", caller] + (["--store"] if front == "replay" else [])
        got[front] = [run_through(front, call_wav, call_wav.with_suffix(".vtt"), lang="it", work=tmp_path,
                                  extra=extra) for _ in range(2)]
    assert got["run"] == got["replay"]
    first, second = got["run"]
    assert ("take_a_breath", "Fai un respiro") in first and first[-1][0] == "take_a_breath"
    assert second[0][0] == "caller_flagged", "the second call from the number starts with the heads-up"
    assert all(say != "Take a breath" for _, say in first + second)


def test_the_agents_talk_over_is_coached_after_the_quiet_period_and_listed_by_eval(
        call_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The agent talks over the upset caller right after a caller cue: the coaching cue waits out
    the quiet period (general.after_caller_cue_ms) and then plays (it was discarded before);
    eval's --json and text list it with the caller's cues although this is no coaching dialogue."""
    import json

    from voiceassist.cli import main

    vtt = str(call_wav.with_suffix(".vtt"))
    job = FileJob(audio=call_wav.as_posix(), lang="it", modes=("ref",), transcript=vtt,
                  model=None, expectations=None, expect_file="")
    cues = run_call(job, "ref").cues
    first = next(c for c in cues if c.speaker == "caller")
    coach = [c for c in cues if c.cue == "dont_interrupt"]
    assert len(coach) == 1 and coach[0].at_ms >= first.at_ms + 10_000
    main(["eval", str(call_wav), "--transcripts", "only", "--json", str(tmp_path / "r.json"),
          "--no-progress"])
    text = capsys.readouterr().out
    assert "agent coaching cues (judged in coaching dialogues only): dont_interrupt 1" in text
    listed = json.loads((tmp_path / "r.json").read_text())["calls"][0]["cues"]
    assert [c["cue"] for c in listed] == [c.cue for c in cues]
    assert [c["outcome"] for c in listed if c["cue"] == "dont_interrupt"] == ["not_judged"]


@pytest.mark.parametrize("frontend", ["replay", "run", "demo"])
def test_every_front_end_gives_evals_cues_for_the_same_call(
        frontend: str, call_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stereo Italian call (agent talk-over, a caller flagged at the end, a hard ending):
    replay, run's live loop (--input) and the demo's pipeline give eval's cue list, caller cues,
    coaching and after-call cues alike, in Italian."""
    from call_harness import run_call as run_through

    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path / "data"))
    vtt = call_wav.with_suffix(".vtt")
    expected = run_through("eval", call_wav, vtt, lang="it", work=tmp_path)
    cues = [c for c, _ in expected]
    assert "dont_interrupt" in cues and cues[-2:] == ["caller_flagged", "take_a_breath"]
    assert ("take_a_breath", "Fai un respiro") in expected
    assert run_through(frontend, call_wav, vtt, lang="it", work=tmp_path) == expected
