"""Shared tools of the fault-injection suite (tests/test_faults_*.py): pause the test PostgreSQL
server, drive ``run``'s call loop on fake devices, count what reached the store.

The figures the suite prints (``FAULTS {...}`` lines, ``pytest -s``) are the ones in docs/faults.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import soundfile as sf
from test_store_helpers import PG_CTL_ENV

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
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"
RATE = 16000
#: Cue categories the store never records (see voiceassist.store.recorder) ...
NOT_STORED = ("wellbeing", "coaching")
#: ... and the after-call cues (recorded as the call's end, not as cue events).
AFTER_CALL = ("caller_flagged", "take_a_breath")


def report(name: str, **figures: Any) -> None:
    """One line of figures for docs/faults.md."""
    print("FAULTS " + json.dumps({"test": name, **figures}, sort_keys=True))


def pg_server_pids() -> list[int]:
    """The test server's postmaster and every process it started (backends, workers)."""
    ctl = os.environ.get(PG_CTL_ENV)
    assert ctl, f"{PG_CTL_ENV} is not set: start the test server with `source scripts/pg_ci.sh`"
    pidfile = Path(ctl).parent / "data" / "postmaster.pid"
    master = int(pidfile.read_text().split()[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


@contextlib.contextmanager
def pg_paused() -> Iterator[list[int]]:
    """SIGSTOP the server and its backends (TCP stays open, nothing answers); SIGCONT after."""
    pids = pg_server_pids()
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def live_call(tmp_path: Path, recorder: Any, *, caller_id: str | None = None,
              renderer: TtsRenderer | None = None, bank: CueBank | None = None,
              phrases: Sequence[str] = (), cues: bool = False) -> tuple[LiveCall, list[dict[str, Any]]]:
    """One ``run`` of the English demo call on fake devices (no pacing), store ``recorder``,
    cue ``bank`` (rendering ``phrases`` at start-up); returns the loop and its call log."""
    samples, _ = sf.read(str(CALL), dtype="int16")
    system = FakeAudioSystem()
    system.add_input("Fake caller line", samples, RATE, default=True, pace=0.0)
    utts = load_transcript(CALL.with_suffix(".vtt"))
    cfg = RunConfig(lang="en", caller_device="caller line", on_device_lost="stop", log_dir=tmp_path / "calls",
                    output_rate_hz=RATE, interactive=False, caller_id=caller_id, cues_enabled=cues)

    def source(c: RunConfig, on_status: Any) -> LiveSource:
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20, on_status=on_status,
                          on_lost="stop", backend=system.backend, stream_factory=system.open_stream)

    seams = Seams(source=source, output=FakeOutputDevice("fake headset"),
                  recognizer=lambda: ReferenceRecognizer(utts, "caller"), engine=lambda: load_engine("en"),
                  bank=bank or CueBank("en", cache=CueCache(renderer or TtsRenderer(), tmp_path / "cache"),
                                       rate_hz=RATE),
                  phrases=phrases, recorder=recorder, flagged_engine=lambda adj: load_engine("en"))
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    assert call.run() == 0
    return call, read_log(call.summary.logs[-1])


def stored_cues(log: list[dict[str, Any]]) -> int:
    """Cues of a call log that the store records."""
    return sum(1 for e in log if e.get("type") == "cue" and e.get("category") not in NOT_STORED
               and e.get("cue") not in AFTER_CALL)
