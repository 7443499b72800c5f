"""Helpers for the coaching tests: run a two-channel call through the real pipeline (webrtcvad on
both channels, reference transcripts) with the coaching engine plugged into the pipeline
exactly as ``run`` and ``eval`` plug it (``Pipeline(coaching=...)``: every event to
``on_event``, every tick of agent audio to ``feed_agent_audio``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceassist.audio.block import AudioBlock
from voiceassist.coaching.engine import CoachingEngine
from voiceassist.coaching.summary import CoachingSummary
from voiceassist.events import CallEnded, Cue, Event
from voiceassist.pipeline import Pipeline
from voiceassist.stt.reference import ReferenceRecognizer, RefUtterance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


@dataclass
class CoachedCall:
    events: list[Event]
    coaching: list[Cue]
    caller_cues: list[Cue]
    summary: CoachingSummary
    duration_ms: int


def run_coached(
    caller: np.ndarray,
    agent: np.ndarray,
    coach: CoachingEngine,
    *,
    utterances: list[RefUtterance] = (),  # type: ignore[assignment]
    cue_engine: Any = None,
    block: int = 480,
) -> CoachedCall:
    """Feed 16 kHz int16 caller/agent arrays (same length) in ``block``-sample blocks."""
    utts = list(utterances)
    pipe = Pipeline(
        ReferenceRecognizer(utts, "caller"),
        agent_recognizer=ReferenceRecognizer(utts, "agent"),
        cue_engine=cue_engine,
        coaching=coach,
    )
    events: list[Event] = []
    for off in range(0, len(caller), block):
        b = AudioBlock(caller=caller[off : off + block], start_sample=off, agent=agent[off : off + block])
        events += pipe.feed(b)
    events += pipe.finish()
    end = next(e.at_ms for e in events if isinstance(e, CallEnded))
    summary = pipe.coaching_summary
    assert isinstance(summary, CoachingSummary)
    coaching = [e for e in events if isinstance(e, Cue) and e.category == "coaching"]
    caller_cues = [e for e in events if isinstance(e, Cue) and e.category != "coaching"]
    return CoachedCall(events, coaching, caller_cues, summary, end)


def render(path: Path, cache: Path) -> Any:
    """Render a corpus dialogue with scripts/callsynth.py (espeak-ng, cached per turn)."""
    import callsynth

    dlg = callsynth.load_dialogue(path)
    return callsynth.render_dialogue(dlg, callsynth.RenderOptions(cache_dir=cache))


def to_pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
