"""``run``'s live loop with fake input devices (a WAV played through the fake PortAudio) and a
fake headset that follows call time: cues land in the log and in the headset at the right audio
times; Ctrl-C mid-call leaves a complete log; --redact keeps cues but hides words.

The escalation engine is replaced by the scripted fake of tests/fake_engine.py (a cue at the end
of every "idiot" / "moron"), so these tests are about the loop, not about the rules.
"""

from __future__ import annotations

import io
import os
import signal
import stat
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fake_engine import TRIGGERS, ScriptedEngine

from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.live import LiveSource
from voiceassist.calllog import read_log
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.tts import TtsRenderer
from voiceassist.session.demo import demo_dir
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"
RATE = 16000


def trigger_ends() -> list[int]:
    return [w.end_ms for u in load_transcript(CALL.with_suffix(".vtt")) if u.speaker == "caller"
            for w in u.words if w.text.lower().strip(".,!?") in TRIGGERS]


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def make_call(tmp_path: Path, renderer: TtsRenderer, *, pace: float, redact: bool = False,
              ) -> tuple[LiveCall, FakeOutputDevice, io.StringIO]:
    samples, rate = sf.read(str(CALL), dtype="int16")
    assert rate == RATE
    system = FakeAudioSystem()
    system.add_input("Fake caller line", samples, RATE, default=True, pace=pace)
    utts = load_transcript(CALL.with_suffix(".vtt"))
    cfg = RunConfig(lang="en", caller_device="caller line", block_ms=20, on_device_lost="stop",
                    log_dir=tmp_path / "calls", redact=redact, output_rate_hz=RATE, interactive=False)
    holder: dict[str, LiveCall] = {}
    headset = FakeOutputDevice("fake headset", clock="follow",
                               follow=lambda: holder["call"].position if "call" in holder else 0)

    def source(c: RunConfig, on_status: object) -> LiveSource:
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20,
                          on_status=on_status, on_lost="stop",  # type: ignore[arg-type]
                          backend=system.backend, stream_factory=system.open_stream)

    bank = CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE)
    seams = Seams(source=source, output=headset, recognizer=lambda: ReferenceRecognizer(utts, "caller"),
                  engine=ScriptedEngine, bank=bank, phrases=["Set the boundary"])
    out = io.StringIO()
    call = LiveCall(cfg, seams, Screen(out, live=False))
    holder["call"] = call
    return call, headset, out


def test_cues_reach_log_and_headset_at_the_right_audio_times(tmp_path: Path, renderer: TtsRenderer) -> None:
    call, headset, out = make_call(tmp_path, renderer, pace=0.05)
    assert call.run() == 0
    expected = trigger_ends()
    assert len(expected) == 5
    # The log: complete, private, with every cue at its trigger word's end.
    (log_path,) = call.summary.logs
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_path.parent.stat().st_mode) == 0o700
    lines = read_log(log_path)
    assert lines[0]["type"] == "call_started" and lines[-1]["type"] == "call_ended"
    assert lines[-1]["reason"] == "eof"
    assert [e["at_ms"] for e in lines if e["type"] == "cue"] == expected
    started = [e for e in lines if e["type"] == "cue_playback" and e["kind"] == "started"]
    assert [e["at_ms"] for e in started] == expected
    assert all(e["latency_ms"] > 0 for e in started)
    # The headset: each cue's first sample within 200 ms of audio time after its trigger word.
    # The fake headset's clock follows the call position one capture block (20 ms) behind, so a
    # cue decided inside the block that ends the trigger word may show up to 20 ms early here.
    starts = [c.frame * 1000 // RATE for c in headset.sound_starts()]
    assert len(starts) == len(expected)
    for heard, trig in zip(starts, expected, strict=True):
        assert trig - 20 <= heard <= trig + 200, (heard, trig)
    # Silence outside the cues: nothing before the first trigger word.
    assert not headset.samples()[: expected[0] * RATE // 1000].any()
    # The screen: one line per cue with time, phrase and script.
    cue_lines = [ln for ln in out.getvalue().splitlines() if "Set the boundary" in ln]
    assert len(cue_lines) == 5 and cue_lines[0].startswith("00:08")


def test_ctrl_c_mid_call_leaves_a_complete_log(tmp_path: Path, renderer: TtsRenderer) -> None:
    call, _headset, _out = make_call(tmp_path, renderer, pace=0.25)  # 4x real time

    def interrupt_after_first_cue() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if call.summary.latencies:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    threading.Thread(target=interrupt_after_first_cue, daemon=True).start()
    code = call.run()
    assert code == 130
    (log_path,) = call.summary.logs
    lines = read_log(log_path)  # every line parses
    assert lines[0]["type"] == "call_started"
    assert lines[-1]["type"] == "call_ended" and lines[-1]["reason"] == "interrupted"
    cues = [e for e in lines if e["type"] == "cue"]
    assert 1 <= len(cues) < 5  # stopped mid-call, after the first cue
    assert lines[-1]["at_ms"] < 21000


def test_redacted_log_keeps_cues_hides_words(tmp_path: Path, renderer: TtsRenderer) -> None:
    call, _headset, _out = make_call(tmp_path, renderer, pace=0.02, redact=True)
    assert call.run() == 0
    lines = read_log(call.summary.logs[0])
    texts = [e["text"] for e in lines if e["type"] == "transcript"]
    assert texts and all(set(t.split()) == {"***"} for t in texts)
    assert "idiot" not in log_text(call.summary.logs[0])
    cues = [e for e in lines if e["type"] == "cue"]
    assert len(cues) == 5 and cues[0]["say"] == "Set the boundary" and cues[0]["matched"] == ["***"]


def log_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").lower()


def test_no_sound_in_headset_between_cues(tmp_path: Path, renderer: TtsRenderer) -> None:
    call, headset, _out = make_call(tmp_path, renderer, pace=0.02)
    call.run()
    heard = headset.samples()
    loud = np.abs(heard) > 1e-4
    # Audible time is just the five cue sounds (each well under 3 s), not a continuous stream.
    assert 0 < loud.sum() / RATE < 5 * 3.0
