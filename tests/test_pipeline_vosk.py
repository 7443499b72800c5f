"""The whole pipeline with real vosk: identical events for any block size; 8 kHz mu-law files
give the same speech segments as 16 kHz PCM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soxr
from conftest import KO_SENTENCES, blocks, silence, write_wav

from voiceassist.audio.files import open_audio_file
from voiceassist.events import Event, SpeechSegment, Transcript
from voiceassist.pipeline import Pipeline
from voiceassist.stt.vosk_recognizer import VoskRecognizer

pytestmark = pytest.mark.vosk


def replay(model: Any, pcm: np.ndarray, block: int) -> list[Event]:
    pipe = Pipeline(VoskRecognizer(model), lang="ko", call_id="inv")
    out: list[Event] = []
    for b in blocks(pcm, block):
        out += pipe.feed(b)
    return out + pipe.finish()


def test_events_identical_for_block_sizes(ko_model: Any, speech) -> None:
    pcm = np.concatenate(
        [silence(1500), speech(KO_SENTENCES[3]), silence(1200), speech("네 감사합니다"), silence(800)]
    )
    reference = replay(ko_model, pcm, 4000)
    assert sum(1 for e in reference if isinstance(e, Transcript) and e.kind == "final") == 2
    assert any(isinstance(e, Transcript) and e.kind == "final" for e in reference)
    assert any(isinstance(e, Transcript) and e.kind == "partial" for e in reference)
    for size in (160, 479, 4096, 16000):
        assert replay(ko_model, pcm, size) == reference, size


def test_one_sample_blocks_give_the_same_events(ko_model: Any, speech) -> None:
    pcm = np.concatenate([silence(400), speech("네 감사합니다"), silence(900)])
    reference = replay(ko_model, pcm, 16000)
    assert any(isinstance(e, Transcript) and e.kind == "final" for e in reference)
    assert replay(ko_model, pcm, 1) == reference


def segments(path: Path) -> list[tuple[str, int]]:
    pipe = Pipeline(_NoRecognizer(), lang="ko")
    out: list[Event] = []
    with open_audio_file(path) as f:
        for b in f.blocks():
            out += pipe.feed(b)
    out += pipe.finish()
    return [(e.kind, e.at_ms) for e in out if isinstance(e, SpeechSegment)]


class _NoRecognizer:
    speaker = "caller"

    def accept(self, pcm: Any, start_sample: int) -> list[Transcript]:
        return []

    def advance(self, now_sample: int) -> list[Transcript]:
        return []

    def end_utterance(self, at_sample: int) -> list[Transcript]:
        return []

    def flush(self, at_sample: int) -> list[Transcript]:
        return []


def test_mulaw_8k_gives_the_same_segments_as_pcm_16k(tmp_path: Path, speech) -> None:
    call = np.concatenate(
        [silence(2000), speech(KO_SENTENCES[1]), silence(1500), speech(KO_SENTENCES[3]), silence(1000)]
    )
    pcm16 = write_wav(tmp_path / "call16.wav", call)
    narrow = soxr.resample(call.astype(np.float32) / 32768, 16000, 8000)
    ulaw = write_wav(tmp_path / "call8.wav", narrow, rate=8000, subtype="ULAW")
    import soundfile as sf

    assert sf.info(str(ulaw)).subtype == "ULAW" and sf.info(str(ulaw)).samplerate == 8000
    wide, tel = segments(pcm16), segments(ulaw)
    assert len(wide) >= 4 and [k for k, _ in wide] == [k for k, _ in tel]
    for (_, a), (_, b) in zip(wide, tel, strict=True):
        assert abs(a - b) <= 60, (wide, tel)  # within two 30 ms VAD frames
