"""Pipeline wiring: event order, listeners, the cue engine seam, the agent channel, invariance."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blocks, silence, tone
from fake_engine import ScriptedEngine

from voiceassist.events import CallEnded, CallStarted, Cue, Event, SpeechSegment, Transcript
from voiceassist.pipeline import CueEngine, Pipeline
from voiceassist.stt.reference import ReferenceRecognizer, parse_vtt
from voiceassist.vad import VadConfig

VTT = """WEBVTT

00:00:01.000 --> 00:00:02.000
<v caller>you never listen

00:00:02.500 --> 00:00:03.200
<v agent>I am listening

00:00:04.000 --> 00:00:05.000
<v caller>shut up idiot
"""


def loud(frame: bytes) -> bool:
    return bool(np.abs(np.frombuffer(frame, dtype=np.int16)).max(initial=0) > 1000)


def idiot_engine() -> ScriptedEngine:
    """The scripted fake engine: one cue for every final with 'idiot'."""
    return ScriptedEngine(("idiot",), finals_only=True)


def make(engine: CueEngine | None = None, listeners=()) -> Pipeline:
    utts = parse_vtt(VTT, "t.vtt")
    return Pipeline(
        ReferenceRecognizer(utts, "caller"),
        agent_recognizer=ReferenceRecognizer(utts, "agent"),
        vad_config=VadConfig(frame_ms=10, start_ms=30, preroll_ms=100, hangover_ms=100, end_gap_ms=500),
        cue_engine=engine,
        listeners=listeners,
        call_id="c1",
        lang="en",
        source="test",
        classifier=loud,
    )


def stereo() -> tuple[np.ndarray, np.ndarray]:
    caller = np.concatenate([silence(1000), tone(1000), silence(2000), tone(1000), silence(1000)])
    agent = np.concatenate([silence(2500), tone(700, 300), silence(2800)])
    return caller, agent


def run(pipe: Pipeline, block: int) -> list[Event]:
    caller, agent = stereo()
    out: list[Event] = []
    for b in blocks(caller, block, agent):
        out += pipe.feed(b)
    return out + pipe.finish()


def test_event_stream_order_and_content() -> None:
    engine = idiot_engine()
    seen: list[Event] = []
    events = run(make(engine, [seen.append]), 4000)
    assert seen == events  # listeners get exactly what feed/finish return
    assert isinstance(events[0], CallStarted) and events[0].call_id == "c1"
    assert isinstance(events[-1], CallEnded) and events[-1].at_ms == 6000 and events[-1].reason == "eof"
    finals = [e for e in events if isinstance(e, Transcript) and e.kind == "final"]
    assert [(f.speaker, f.text) for f in finals] == [
        ("caller", "you never listen"), ("agent", "I am listening"), ("caller", "shut up idiot"),
    ]  # fmt: skip
    # the cue comes right after the transcript that triggered it
    i = next(k for k, e in enumerate(events) if isinstance(e, Cue))
    assert events[i - 1] == finals[-1]
    assert engine.seen == [e for e in events if isinstance(e, Transcript)]
    segs = [(e.speaker, e.kind, e.at_ms) for e in events if isinstance(e, SpeechSegment)]
    assert ("caller", "start", 900) in segs and ("agent", "start", 2400) in segs
    times = [e.start_ms for e in finals]
    assert times == sorted(times)


@pytest.mark.parametrize("block", [1, 160, 479, 4096, 16000])
def test_whole_event_stream_is_identical_for_any_block_size(block: int) -> None:
    assert run(make(idiot_engine()), block) == run(make(idiot_engine()), 4000)


def test_mono_call_has_no_agent_segments_and_finish_is_idempotent() -> None:
    pipe = Pipeline(ReferenceRecognizer([], "caller"), classifier=loud,
                    vad_config=VadConfig(frame_ms=10, start_ms=30))
    out = pipe.feed(next(blocks(tone(500), 8000)))
    out += pipe.finish()
    assert not [e for e in out if isinstance(e, SpeechSegment) and e.speaker == "agent"]
    assert pipe.finish() == []
    with pytest.raises(RuntimeError):
        pipe.feed(next(blocks(tone(10), 8000)))


def test_empty_call_still_starts_and_ends() -> None:
    out = Pipeline(ReferenceRecognizer([], "caller"), classifier=loud).finish(reason="hangup")
    assert [type(e) for e in out] == [CallStarted, CallEnded]
    assert out[-1].at_ms == 0 and out[-1].reason == "hangup"
