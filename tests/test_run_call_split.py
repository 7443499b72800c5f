"""``run`` splits calls on audio: after ``run.new_call_after_s`` of audio time with no speech on
either channel the call ends (reason ``silence``, the same path as the ``n`` key) and the next
speech starts a new call with fresh state and its own call log.

The demo call (abusive caller, the ladder reaches ``end_call``) is played twice with a long
silence in between, through the fake devices (as in ``test_run_live.py``) or an in-memory block
source with any block size. A reference transcript written in source time is shifted to the
call time of whichever call is running (``LiveCall.call_origin``).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from fake_engine import LADDER, ladder_engine

from voiceassist.audio.block import AudioBlock
from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.live import LiveSource
from voiceassist.calllog import read_log
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.tts import TtsRenderer
from voiceassist.errors import ConfigError
from voiceassist.escalation.engine import load_engine
from voiceassist.session.demo import demo_dir
from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
from voiceassist.settings import load_settings
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder
from voiceassist.stt.reference import ReferenceRecognizer, RefUtterance, load_transcript
from voiceassist.vad.config import VadConfig

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"
RATE = 16000
SPLIT_S = 10.0
GAP_S = 15  # silence between the two customers: longer than SPLIT_S


def demo() -> tuple[np.ndarray, list[RefUtterance]]:
    samples, rate = sf.read(str(CALL), dtype="int16")
    assert rate == RATE
    return samples, load_transcript(CALL.with_suffix(".vtt"))


def shifted(utts: list[RefUtterance], by_ms: int) -> list[RefUtterance]:
    """``utts`` moved ``by_ms`` later (negative: earlier)."""
    return [replace(u, start_ms=u.start_ms + by_ms, end_ms=u.end_ms + by_ms,
                    words=tuple(replace(w, start_ms=w.start_ms + by_ms, end_ms=w.end_ms + by_ms)
                                for w in u.words)) for u in utts]


def two_customers(gap_s: float = GAP_S) -> tuple[np.ndarray, list[RefUtterance], int]:
    """The demo call, ``gap_s`` of silence, the demo call again; the transcript in source time and
    where the second customer starts, ms."""
    samples, utts = demo()
    gap = np.zeros(int(gap_s * RATE) + (-len(samples)) % 16, dtype=np.int16)  # whole ms
    second_ms = (len(samples) + len(gap)) * 1000 // RATE
    assert (len(samples) + len(gap)) * 1000 % RATE == 0
    audio = np.concatenate([samples, gap, samples])
    return audio, utts + shifted(utts, second_ms), second_ms


def recognizer_for(holder: dict[str, LiveCall], utts: list[RefUtterance],
                   origins: list[int] | None = None) -> Callable[[], ReferenceRecognizer]:
    """A new reference recogniser per call, its transcript moved to that call's time."""

    def make() -> ReferenceRecognizer:
        origin = holder["call"].call_origin
        if origins is not None:
            origins.append(origin)
        by = -(origin * 1000 // RATE)
        assert origin * 1000 % RATE == 0, "calls begin on whole ms"
        return ReferenceRecognizer([u for u in shifted(utts, by) if u.start_ms >= 0], "caller")

    return make


class ArraySource:
    """A block source over arrays in memory (any block size), like a replayed WAV."""

    end_reason = "eof"

    def __init__(self, caller: np.ndarray, agent: np.ndarray | None = None, *, block: int = 320) -> None:
        self.caller, self.agent, self.block = caller, agent, block
        self._stopped = False

    def blocks(self) -> Iterator[AudioBlock]:
        for s in range(0, len(self.caller), self.block):
            if self._stopped:
                return
            agent = None if self.agent is None else self.agent[s : s + self.block]
            yield AudioBlock(self.caller[s : s + self.block], s, agent)

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def array_call(tmp_path: Path, renderer: TtsRenderer, caller: np.ndarray, utts: list[RefUtterance], *,
               block: int = 320, split_s: float = SPLIT_S, agent: np.ndarray | None = None,
               origins: list[int] | None = None) -> LiveCall:
    cfg = RunConfig(lang="en", log_dir=tmp_path / f"calls-{block}", output_rate_hz=RATE, interactive=False,
                    cues_enabled=False, new_call_after_s=split_s)
    holder: dict[str, LiveCall] = {}
    seams = Seams(source=lambda c, s: ArraySource(caller, agent, block=block),
                  output=FakeOutputDevice("fake headset"),
                  recognizer=recognizer_for(holder, utts, origins), engine=ladder_engine,
                  bank=CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE))
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    holder["call"] = call
    return call


def events(path: Path) -> list[dict[str, Any]]:
    return [e for e in read_log(path) if e["type"] != "cue_playback"]


def in_call_cues(path: Path) -> list[dict[str, Any]]:
    """The cues of one call log before its call_ended line (after-call cues excluded)."""
    out = []
    for e in events(path):
        if e["type"] == "call_ended":
            break
        if e["type"] == "cue" and e["cue"] not in ("caller_flagged", "take_a_breath"):
            out.append(e)
    return out


def ended(path: Path) -> dict[str, Any]:
    (end,) = [e for e in events(path) if e["type"] == "call_ended"]
    return end


# --------------------------------------------------------------------------------------------
# Live: fake devices, real escalation engine, real call store


def live_run(tmp_path: Path, renderer: TtsRenderer, *, split_s: float, vad: VadConfig | None = None,
             ) -> tuple[LiveCall, int, list[int], Path]:
    audio, utts, second_ms = two_customers()
    system = FakeAudioSystem()
    system.add_input("Fake caller line", audio, RATE, default=True, pace=0.0)
    cfg = RunConfig(lang="en", caller_device="caller line", on_device_lost="stop", log_dir=tmp_path / "calls",
                    output_rate_hz=RATE, interactive=False, new_call_after_s=split_s,
                    **({"vad": vad} if vad is not None else {}))
    holder: dict[str, LiveCall] = {}
    origins: list[int] = []

    def source(c: RunConfig, on_status: Any) -> LiveSource:
        return LiveSource(c.caller_device, None, block_samples=320, callback_ms=20, on_status=on_status,
                          on_lost="stop", queue_ms=200_000, backend=system.backend,
                          stream_factory=system.open_stream)

    db = tmp_path / "store.db"
    recorder = CallRecorder.open(StoreConfig(url=f"sqlite://{db}", spool_dir=tmp_path / "spool"))
    seams = Seams(source=source, output=FakeOutputDevice("fake headset"),
                  recognizer=recognizer_for(holder, utts, origins), engine=lambda: load_engine("en"),
                  bank=CueBank("en", cache=CueCache(renderer, tmp_path / "cache"), rate_hz=RATE),
                  recorder=recorder)
    call = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    holder["call"] = call
    try:
        assert call.run() == 0
    finally:
        recorder.close()
    return call, second_ms, origins, db


def test_long_silence_ends_the_call_and_the_next_speech_starts_a_fresh_one(
        tmp_path: Path, renderer: TtsRenderer) -> None:
    call, second_ms, origins, db = live_run(tmp_path, renderer, split_s=SPLIT_S)
    assert len(call.summary.calls) == 2 and len(set(call.summary.calls)) == 2
    first, second = call.summary.logs
    assert first != second and first.exists() and second.exists()
    # The first call: ended by the silence, after the after-call cue (a hard call: take a breath).
    log1 = events(first)
    assert log1[0]["type"] == "call_started"
    end1 = ended(first)
    assert end1["reason"] == "silence"
    last_speech = max(e["at_ms"] for e in log1 if e["type"] == "speech")
    assert last_speech + SPLIT_S * 1000 <= end1["at_ms"] <= last_speech + SPLIT_S * 1000 + 100
    assert end1["at_ms"] < second_ms, "ended before the next customer spoke"
    cues1 = [e["cue"] for e in in_call_cues(first)]
    assert "end_call" in cues1
    assert [e["cue"] for e in log1 if e["type"] == "cue"][-1] == "take_a_breath"
    # The second call: begins just before the next speech, in its own time, with fresh state:
    # the same ladder again (nothing suppressed by the first call's end_call).
    assert origins[0] == 0
    origin2_ms = origins[1] * 1000 // RATE
    log2 = events(second)
    speech1 = next(e["at_ms"] for e in log1 if e["type"] == "speech")
    speech2 = next(e["at_ms"] for e in log2 if e["type"] == "speech")
    assert second_ms <= origin2_ms < second_ms + speech1, "begins before the speech, after the silence"
    assert abs(origin2_ms + speech2 - (second_ms + speech1)) <= 30, "the speech starts where it did"
    assert log2[0]["type"] == "call_started" and log2[0]["call_id"] == call.summary.calls[1]
    assert ended(second)["reason"] == "eof"
    cues2 = in_call_cues(second)
    assert [e["cue"] for e in cues2] == cues1
    assert [e["at_ms"] + origin2_ms - second_ms for e in cues2] == [e["at_ms"] for e in in_call_cues(first)]
    # The store: two call records, one per customer.
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT call_ref, end_reason, hard FROM calls").fetchall()
    assert sorted(rows) == sorted([(call.summary.calls[0], "silence", 1), (call.summary.calls[1], "eof", 1)])


def test_zero_never_splits(tmp_path: Path, renderer: TtsRenderer) -> None:
    call, _second_ms, origins, db = live_run(tmp_path, renderer, split_s=0)
    assert len(call.summary.calls) == 1 and origins == [0]
    (only,) = call.summary.logs
    assert ended(only)["reason"] == "eof"
    assert len([e for e in events(only) if e["type"] == "call_started"]) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (1,)


# --------------------------------------------------------------------------------------------
# Replay-like: in-memory blocks of any size, scripted ladder


def summary_of(call: LiveCall) -> list[list[tuple[Any, ...]]]:
    """Every call's events without ids or wall times."""
    out = []
    for path in call.summary.logs:
        out.append([(e["type"], e.get("speaker"), e.get("kind"), e.get("at_ms"), e.get("cue"),
                     e.get("reason"), e.get("text")) for e in events(path)])
    return out


def test_split_point_does_not_depend_on_block_size(tmp_path: Path, renderer: TtsRenderer) -> None:
    audio, utts, _ = two_customers()
    results = []
    for block in (320, 480, 1001, 4800, 16000, 48_017):
        origins: list[int] = []
        call = array_call(tmp_path, renderer, audio, utts, block=block, origins=origins)
        assert call.run() == 0
        assert len(call.summary.calls) == 2, block
        results.append((origins, ended(call.summary.logs[0])["at_ms"], summary_of(call)))
    first = results[0]
    for res in results[1:]:
        assert res[0] == first[0]
        assert res[1] == first[1]
        assert res[2] == first[2]
    # And the scripted ladder restarts in the second call.
    assert [e[4] for e in first[2][1] if e[0] == "cue"] == list(LADDER)


def test_speech_on_the_agent_channel_keeps_the_call_open(tmp_path: Path, renderer: TtsRenderer) -> None:
    samples, utts = demo()
    audio, _, _ = two_customers()
    agent = np.zeros_like(audio)
    # While the caller is silent, the agent talks (e.g. explains something at length): no split.
    mid = len(samples) + 4 * RATE
    agent[mid : mid + 8 * RATE] = samples[2 * RATE : 10 * RATE]
    call = array_call(tmp_path, renderer, audio, utts, agent=agent)
    assert call.run() == 0
    assert len(call.summary.calls) == 1
    # Without the agent's words the same audio is two calls.
    call = array_call(tmp_path / "b", renderer, audio, utts, agent=np.zeros_like(audio))
    assert call.run() == 0
    assert len(call.summary.calls) == 2


def test_silence_before_any_speech_or_after_the_last_call_opens_no_empty_call(
        tmp_path: Path, renderer: TtsRenderer) -> None:
    samples, utts = demo()
    quiet = np.zeros(25 * RATE, dtype=np.int16)
    # The service starts, nobody speaks for a while: still the same (first) call once speech comes.
    call = array_call(tmp_path, renderer, np.concatenate([quiet, samples]), shifted(utts, 25_000))
    assert call.run() == 0
    assert len(call.summary.calls) == 1
    assert [e["cue"] for e in in_call_cues(call.summary.logs[0])] == list(LADDER)
    # The last customer hangs up, the day ends in silence: one call, closed by the silence.
    call = array_call(tmp_path / "b", renderer, np.concatenate([samples, quiet]), utts)
    assert call.run() == 0
    assert len(call.summary.calls) == 1 and len(call.summary.logs) == 1
    assert ended(call.summary.logs[0])["reason"] == "silence"
    assert call.summary.end_reason == "eof"


# --------------------------------------------------------------------------------------------
# The setting


def test_setting_default_range_and_run_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = load_settings(use_system=False, use_user=False, env={})
    assert s["run.new_call_after_s"] == 30.0
    assert RunConfig.from_settings(s).new_call_after_s == 30.0
    assert RunConfig().new_call_after_s == 30.0
    s = load_settings(use_system=False, use_user=False, env={"VOICEASSIST_RUN_NEW_CALL_AFTER_S": "0"})
    assert RunConfig.from_settings(s).new_call_after_s == 0.0
    for bad in ("-1", "3601", "soon"):
        with pytest.raises(ConfigError, match=r"run\.new_call_after_s"):
            load_settings(use_system=False, use_user=False, env={"VOICEASSIST_RUN_NEW_CALL_AFTER_S": bad})
    cfg = tmp_path / "config.toml"
    cfg.write_text("[run]\nnew_call_after_s = 45\n", encoding="utf-8")
    s = load_settings(config_file=cfg, use_system=False, env={})
    assert s["run.new_call_after_s"] == 45.0 and s.origin("run.new_call_after_s").startswith("user")


def test_run_follows_the_vad_settings(tmp_path: Path, renderer: TtsRenderer) -> None:
    """IT's `vad.*` settings reach the live call: a longer hangover keeps each speech segment open
    longer, so the silence that ends the call is counted from later."""
    s = load_settings(use_system=False, use_user=False, env={"VOICEASSIST_VAD_HANGOVER_MS": "1500",
                                                                "VOICEASSIST_VAD_END_GAP_MS": "1500"})
    cfg = RunConfig.from_settings(s)
    assert cfg.vad.hangover_ms == 1500
    short, _, _, _ = live_run(tmp_path / "a", renderer, split_s=SPLIT_S)
    long, _, _, _ = live_run(tmp_path / "b", renderer, split_s=SPLIT_S, vad=cfg.vad)
    end_short = ended(short.summary.logs[0])["at_ms"]
    end_long = ended(long.summary.logs[0])["at_ms"]
    assert 1000 <= end_long - end_short <= 1400  # 1500 - 300 ms default hangover, +/- a frame or two
