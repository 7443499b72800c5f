"""Fault injection, text-to-speech: an engine that hangs (a render never returns) and an engine
whose voice list raises (an espeak-ng voice file with a non-UTF-8 name: UnicodeDecodeError).

Before the fix a hung engine cost every render its whole timeout, one after the other, before
``run`` started listening (38 phrases: ~38 x 20 s); the hung-engine tests then failed (38 timeouts,
no listening thread). A raising voice list crashed run, demo and ``cues render`` (exit 1, 0 cues).
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from faults_helpers import RATE, live_call, report

from voiceassist.cli import main
from voiceassist.cues.bank import CueBank, reset_announcements
from voiceassist.cues.cache import CueCache
from voiceassist.cues.texts import load_say_texts
from voiceassist.cues.tts import TtsError, TtsRenderer

pytestmark = pytest.mark.faults


class FakeEngine:
    """A pyttsx3 engine stand-in: ``runAndWait`` waits for ``gate`` (closed = hung), then
    writes half a second of tone."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.props: dict[str, Any] = {}
        self.saves = 0
        self._path = ""

    def getProperty(self, name: str) -> Any:
        if name == "voices":
            return [SimpleNamespace(id="gmw/en-us", name="English", languages=["en-us"])]
        return self.props.get(name)

    def setProperty(self, name: str, value: Any) -> None:
        self.props[name] = value

    def save_to_file(self, text: str, path: str) -> None:
        self.saves += 1
        self._path = path

    def runAndWait(self) -> None:
        self.gate.wait()
        t = np.arange(11025) / 22050
        sf.write(self._path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050, subtype="PCM_16")


class FakeRenderer(TtsRenderer):
    def __init__(self, engine: FakeEngine, timeout_s: float = 0.5) -> None:
        super().__init__(driver="fake", timeout_s=timeout_s)
        self.engine = engine

    def _init_engine(self) -> Any:
        return self.engine


def test_a_hung_engine_costs_one_timeout_then_fails_fast_and_comes_back(tmp_path: Path) -> None:
    gate = threading.Event()
    engine = FakeEngine(gate)
    renderer = FakeRenderer(engine)
    with pytest.raises(TtsError):
        renderer.render("first", "gmw/en-us", 185, tmp_path / "a.wav")
    for i in range(5):
        with pytest.raises(TtsError, match="stopped responding"):
            renderer.render(f"later {i}", "gmw/en-us", 185, tmp_path / f"b{i}.wav")
    assert renderer.timeouts == 1 and engine.saves == 1, "later renders queued behind the hung one"
    gate.set()  # the engine answers again
    for _ in range(100):
        if not renderer.hung:
            break
        threading.Event().wait(0.05)
    renderer.render("back", "gmw/en-us", 185, tmp_path / "c.wav")
    assert (tmp_path / "c.wav").stat().st_size > 44


def test_run_listens_at_once_behind_a_hung_engine_and_voices_return(tmp_path: Path) -> None:
    reset_announcements()
    gate = threading.Event()
    engine = FakeEngine(gate)
    renderer = FakeRenderer(engine)
    phrases = list(load_say_texts("en").values())
    bank = CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE)
    call, log = live_call(tmp_path, None, bank=bank, phrases=phrases, cues=True)
    assert call.preparing is not None
    call.preparing.join(30)
    shown = sum(1 for e in log if e["type"] == "cue")
    report("tts_hung", phrases=len(set(phrases)), timeouts=renderer.timeouts, cues_shown=shown,
           engine_renders_attempted=engine.saves)
    assert shown > 0, "no cue reached the screen"
    assert renderer.timeouts == 1 and engine.saves == 1, "start-up rendered phrases serially behind the hang"
    gate.set()
    for _ in range(100):
        if not renderer.hung:
            break
        threading.Event().wait(0.05)
    assert bank.sound_for(phrases[0], "warn").speech, "voices did not come back with the engine"


def _broken_voices(self: TtsRenderer) -> Any:
    raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


def test_a_raising_voice_list_degrades_to_the_default_voice_in_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reset_announcements()
    monkeypatch.setattr(TtsRenderer, "voices", _broken_voices)
    bank = CueBank("en", cache=CueCache(TtsRenderer(), tmp_path / "cache"), rate_hz=RATE)
    _, log = live_call(tmp_path, None, bank=bank, cues=True)
    assert sum(1 for e in log if e["type"] == "cue") > 0
    assert any("default voice" in n for n in bank.notices)
    assert bank.sound_for("Set a calm boundary.", "warn").speech  # the default voice speaks


def test_a_raising_voice_list_degrades_in_demo_and_cues_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_announcements()
    monkeypatch.setattr(TtsRenderer, "voices", _broken_voices)
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "conf"))
    assert main(["demo", "--fast", "--lang", "en", "--out", str(tmp_path / "demo.wav")]) == 0
    out = capsys.readouterr().out
    assert "default voice" in out and " 0 cues" not in out
    code = main(["cues", "render", "--lang", "en"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "default voice" in out and "voice default" in out
