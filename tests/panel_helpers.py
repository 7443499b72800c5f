"""Shared by the panel tests: the English demo call played through ``run``'s loop on a fake
caller line and a fake headset that follows call time, with the agent's panel attached (real
escalation engine, real SQLite store)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.live import LiveSource
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.tts import TtsRenderer
from voiceassist.escalation.engine import load_engine
from voiceassist.panel.agent import AgentPanel, store_shift_reader
from voiceassist.panel.feed import AgentFeed
from voiceassist.session.demo import demo_dir
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"
RATE = 16000


@dataclass
class PanelRun:
    call: LiveCall
    panel: AgentPanel
    url: str
    headset: FakeOutputDevice
    recorder: CallRecorder
    store_url: str

    def run(self) -> int:
        return self.call.run()

    def run_in_thread(self) -> threading.Thread:
        t = threading.Thread(target=self.call.run, daemon=True)
        t.start()
        return t

    def close(self) -> None:
        self.panel.close()
        self.recorder.close()


def panel_run(tmp_path: Path, renderer: TtsRenderer, *, pace: float = 0.05, lang: str = "en",
              redact: bool = False) -> PanelRun:
    samples, rate = sf.read(str(CALL), dtype="int16")
    assert rate == RATE
    system = FakeAudioSystem()
    system.add_input("Fake caller line", samples, RATE, default=True, pace=pace)
    utts = load_transcript(CALL.with_suffix(".vtt"))
    cfg = RunConfig(lang="en", caller_device="caller line", on_device_lost="stop", log_dir=tmp_path / "calls",
                    output_rate_hz=RATE, interactive=False, redact=redact, agent_name="dana",
                    new_call_after_s=0)  # fmt: skip
    holder: dict[str, LiveCall] = {}
    headset = FakeOutputDevice("fake headset", clock="follow",
                               follow=lambda: holder["call"].position if "call" in holder else 0)

    def source(c: RunConfig, on_status: object) -> LiveSource:
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20,
                          on_status=on_status, on_lost="stop",  # type: ignore[arg-type]
                          backend=system.backend, stream_factory=system.open_stream)

    store_url = f"sqlite://{tmp_path / 'store.db'}"
    recorder = CallRecorder.open(StoreConfig(url=store_url, spool_dir=tmp_path / "spool"))
    feed = AgentFeed(lang=lang, transcript=not redact, agent="dana")
    panel = AgentPanel(feed, port=0, shift=store_shift_reader(store_url, "dana"), url_name=None)
    bank = CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE)
    seams = Seams(source=source, output=headset, recognizer=lambda: ReferenceRecognizer(utts, "caller"),
                  engine=lambda: load_engine("en"), bank=bank, recorder=recorder,
                  observers=[panel.observe])
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    holder["call"] = call
    url = panel.start(call)
    return PanelRun(call, panel, url, headset, recorder, store_url)
