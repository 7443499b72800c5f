"""Fault injection, devices at login: the headset/caller line is missing when the service
starts. With ``audio.on_device_lost = retry`` ``run`` waits for it (before: exit 7 at start, ten
systemd restarts in 300 s, then dead), and a fatal error reaches ``log.file`` (before: only
stderr, which a service loses).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from faults_helpers import CALL, RATE, report

from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.live import LiveSource
from voiceassist.cli import main
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.tts import TtsRenderer
from voiceassist.errors import DeviceError
from voiceassist.escalation.engine import load_engine
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

pytestmark = pytest.mark.faults


def _loop(tmp_path: Path, on_lost: str, missing: int) -> tuple[LiveCall, list[int], io.StringIO]:
    samples, _ = sf.read(str(CALL), dtype="int16")
    system = FakeAudioSystem()
    utts = load_transcript(CALL.with_suffix(".vtt"))
    tries = [0]

    def source(c: RunConfig, on_status: Any) -> LiveSource:
        tries[0] += 1
        if tries[0] == missing + 1:  # the headset is plugged in
            system.add_input("Fake caller line", samples, RATE, default=True, pace=0.0)
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20, on_status=on_status,
                          on_lost="stop", backend=system.backend, stream_factory=system.open_stream)

    cfg = RunConfig(lang="en", caller_device="caller line", on_device_lost=on_lost,
                    log_dir=tmp_path / "calls", output_rate_hz=RATE, interactive=False, cues_enabled=False)
    seams = Seams(source=source, output=FakeOutputDevice("fake headset"),
                  recognizer=lambda: ReferenceRecognizer(utts, "caller"), engine=lambda: load_engine("en"),
                  bank=CueBank("en", cache=CueCache(TtsRenderer(), tmp_path / "cache"), rate_hz=RATE))
    screen = io.StringIO()
    call = LiveCall(cfg, seams, Screen(screen, live=False))
    call.start_retry_s = 0.01
    return call, tries, screen


def test_run_waits_for_a_device_missing_at_start_when_retrying(tmp_path: Path) -> None:
    call, tries, screen = _loop(tmp_path, "retry", missing=3)
    assert call.run() == 0
    report("device_missing_at_start", attempts=tries[0], cues_shown=call.summary.cues)
    assert tries[0] == 4 and call.summary.cues > 0
    assert "waiting for it" in screen.getvalue()


def test_run_without_retry_still_stops_on_a_missing_device(tmp_path: Path) -> None:
    call, _, _ = _loop(tmp_path, "stop", missing=1)
    with pytest.raises(DeviceError):
        call.run()


def test_a_fatal_error_is_written_to_the_log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_file = tmp_path / "logs" / "voiceassist.log"
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[log]\nfile = "{log_file}"\n', encoding="utf-8")
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "conf"))
    code = main(["run", "--config", str(cfg), "--model", str(tmp_path / "no-model")])
    assert code == 6
    assert "fatal:" in log_file.read_text(encoding="utf-8")
