"""``run`` with the call store: an abusive call flags the caller, and the next call from the same
number starts with a whispered heads-up; a hard call ends with a take_a_breath cue. Real engine,
real SQLite store, fake devices driven by the English demo call."""

from __future__ import annotations

import io
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
from voiceassist.escalation.engine import load_engine
from voiceassist.session.demo import demo_dir
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"
RATE = 16000


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def one_call(tmp_path: Path, renderer: TtsRenderer, recorder: CallRecorder, caller_id: str) -> list[dict]:
    samples, _ = sf.read(str(CALL), dtype="int16")
    system = FakeAudioSystem()
    system.add_input("Fake caller line", samples, RATE, default=True, pace=0.0)
    utts = load_transcript(CALL.with_suffix(".vtt"))
    cfg = RunConfig(lang="en", caller_device="caller line", on_device_lost="stop", log_dir=tmp_path / "calls",
                    output_rate_hz=RATE, interactive=False, caller_id=caller_id)  # fmt: skip
    scales: list[float] = []

    def flagged(adjustments):  # type: ignore[no-untyped-def]
        scales.append(adjustments["threshold_scale"])
        return load_engine("en")

    def source(c: RunConfig, on_status: object) -> LiveSource:
        return LiveSource(
            c.caller_device, None, block_samples=320, callback_ms=20, on_status=on_status,  # type: ignore[arg-type]
            on_lost="stop", backend=system.backend, stream_factory=system.open_stream,
        )  # fmt: skip

    seams = Seams(
        source=source,
        output=FakeOutputDevice("fake headset"),
        recognizer=lambda: ReferenceRecognizer(utts, "caller"),
        engine=lambda: load_engine("en"),
        bank=CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE),
        recorder=recorder,
        flagged_engine=flagged,
    )
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    assert call.run() == 0
    log = read_log(call.summary.logs[-1])
    log.append({"type": "_scales", "values": scales})
    return log


def test_abusive_caller_is_flagged_for_the_next_call(tmp_path: Path, renderer: TtsRenderer) -> None:
    config = StoreConfig(url=f"sqlite://{tmp_path / 'store.db'}", spool_dir=tmp_path / "spool")
    recorder = CallRecorder.open(config)
    try:
        first = one_call(tmp_path, renderer, recorder, "+39 02 1234 5678")
        cues = [e["cue"] for e in first if e["type"] == "cue"]
        assert "end_call" in cues
        # The after-call decision is the same as eval's: flag for the next agent, then a breather.
        assert cues[-2:] == ["caller_flagged", "take_a_breath"], "a hard call ends with a breather"
        second = one_call(tmp_path, renderer, recorder, "+390212345678")
        cues2 = [e for e in second if e["type"] == "cue"]
        assert cues2[0]["cue"] == "caller_flagged" and cues2[0]["at_ms"] == 0
        # The heads-up speaks the agent's language (the pack's text), the flag summary is in why.
        assert cues2[0]["say"] == "Caller flagged"
        assert "abusive, 1 call" in cues2[0]["why"]
        assert second[-1]["values"] == [config.flag_threshold_scale]
    finally:
        recorder.close()


def test_malformed_caller_id_is_refused_before_audio(tmp_path: Path, capsys) -> None:
    from voiceassist.cli import main

    assert main(["run", "--lang", "en", "--caller-id", "robert'); DROP TABLE"]) == 2
    err = capsys.readouterr().err
    assert "caller id" in err and "Traceback" not in err


def test_shift_finds_the_calls_run_recorded_without_an_agent_name(
    tmp_path: Path, renderer: TtsRenderer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13 item 16: run recorded ``agent_name or "agent"`` while shift looked the agent up by
    $VOICEASSIST_AGENT or the login name, so an unnamed agent's shift found 0 calls."""
    import json

    from voiceassist.cli import main

    monkeypatch.setenv("VOICEASSIST_AGENT", "dana")
    url = f"sqlite://{tmp_path / 'store.db'}"
    recorder = CallRecorder.open(StoreConfig(url=url, spool_dir=tmp_path / "spool"))
    try:
        one_call(tmp_path, renderer, recorder, "+39 02 1234 5678")
    finally:
        recorder.close()
    capsys.readouterr()
    assert main(["shift", "--db", url, "--json"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{") :])
    assert (summary["calls"], summary["hard_calls"]) == (1, 1)
