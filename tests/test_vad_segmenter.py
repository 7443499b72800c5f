"""VAD segmenter: configuration checks, segment/utterance semantics, block-size invariance."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import KO_SENTENCES, blocks, noise, silence, tone

from voiceassist.errors import ConfigError
from voiceassist.events import SpeechSegment
from voiceassist.vad import SpeechAudio, UtteranceEnd, VadConfig, VadSegmenter


def loud(frame: bytes) -> bool:
    """Deterministic stand-in for webrtcvad: a frame is speech when its peak is above 1000."""
    return bool(np.abs(np.frombuffer(frame, dtype=np.int16)).max(initial=0) > 1000)


def run(seg: VadSegmenter, pcm: np.ndarray, block: int) -> list:
    out = []
    for b in blocks(pcm, block):
        out.extend(seg.process(b.caller))
    out.extend(seg.finish())
    return out


def markers(out: list) -> list:
    return [o for o in out if not isinstance(o, SpeechAudio)]


def speech_audio(out: list) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Contiguous speech runs as (start_sample, end_sample), and all speech samples."""
    runs: list[list[int]] = []
    for o in out:
        if isinstance(o, SpeechAudio):
            if runs and runs[-1][1] == o.start_sample:
                runs[-1][1] = o.end_sample
            else:
                runs.append([o.start_sample, o.end_sample])
    pcm = [o.pcm for o in out if isinstance(o, SpeechAudio)]
    return [(a, b) for a, b in runs], (np.concatenate(pcm) if pcm else np.zeros(0, np.int16))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"aggressiveness": 4},
        {"aggressiveness": -1},
        {"frame_ms": 25},
        {"preroll_ms": 5000},
        {"hangover_ms": 900, "end_gap_ms": 700},
        {"end_gap_ms": 50},
        {"start_ms": True},
    ],
)
def test_config_rejects_out_of_range_values(kwargs: dict) -> None:
    with pytest.raises(ConfigError) as exc:
        VadConfig(**kwargs)
    assert "vad." in exc.value.message


def test_defaults_suit_telephone_audio() -> None:
    cfg = VadConfig()
    assert cfg.frame_ms in (10, 20, 30) and 0 <= cfg.aggressiveness <= 3
    assert cfg.hangover_ms <= cfg.end_gap_ms
    assert VadConfig.from_settings({"vad.frame_ms": 20, "vad.end_gap_ms": 900}).frame_ms == 20


def test_preroll_hangover_and_end_gap_are_applied_in_call_time() -> None:
    cfg = VadConfig(frame_ms=10, start_ms=30, preroll_ms=100, hangover_ms=200, end_gap_ms=500)
    pcm = np.concatenate([silence(1000), tone(800), silence(2000)])
    out = run(VadSegmenter("caller", cfg, classifier=loud), pcm, 160)
    assert markers(out) == [
        SpeechSegment(speaker="caller", kind="start", at_ms=900),  # 1000 - pre-roll
        SpeechSegment(speaker="caller", kind="end", at_ms=2000),  # 1800 + hangover
        UtteranceEnd(at_sample=2300 * 16),  # 1800 + end gap
    ]
    runs, audio = speech_audio(out)
    assert runs == [(900 * 16, 2000 * 16)]
    assert len(audio) == 1100 * 16  # only speech (with its padding) is passed on


def test_short_pause_keeps_one_utterance_long_pause_splits() -> None:
    cfg = VadConfig(frame_ms=10, start_ms=30, preroll_ms=0, hangover_ms=100, end_gap_ms=600)
    pcm = np.concatenate(
        [silence(500), tone(500), silence(400), tone(500), silence(1500), tone(300), silence(1000)]
    )
    out = markers(run(VadSegmenter("agent", cfg, classifier=loud), pcm, 479))
    kinds = [(type(o).__name__, getattr(o, "kind", "")) for o in out]
    assert kinds == [
        ("SpeechSegment", "start"), ("SpeechSegment", "end"),  # first burst
        ("SpeechSegment", "start"), ("SpeechSegment", "end"),  # 400 ms pause < end gap
        ("UtteranceEnd", ""),  # 1500 ms pause > end gap
        ("SpeechSegment", "start"), ("SpeechSegment", "end"), ("UtteranceEnd", ""),
    ]  # fmt: skip
    assert all(o.speaker == "agent" for o in out if isinstance(o, SpeechSegment))


def test_click_shorter_than_start_ms_is_ignored() -> None:
    cfg = VadConfig(frame_ms=10, start_ms=60)
    pcm = np.concatenate([silence(500), tone(30), silence(1500)])
    assert run(VadSegmenter(config=cfg, classifier=loud), pcm, 160) == []


def test_finish_closes_open_segment_at_last_sample() -> None:
    cfg = VadConfig(frame_ms=30, start_ms=30, preroll_ms=0)
    pcm = np.concatenate([silence(300), tone(1005)])
    out = markers(run(VadSegmenter(config=cfg, classifier=loud), pcm, 4096))
    assert out[-2:] == [SpeechSegment(speaker="caller", kind="end", at_ms=1305), UtteranceEnd(1305 * 16)]


def test_webrtcvad_finds_espeak_speech_and_ignores_silence_and_hiss(speech) -> None:
    sp = speech(KO_SENTENCES[0])
    pcm = np.concatenate([noise(5000, 100), sp, noise(2000, 100, seed=1)])
    out = markers(run(VadSegmenter(), pcm, 4000))
    starts = [o.at_ms for o in out if isinstance(o, SpeechSegment) and o.kind == "start"]
    ends = [o.at_ms for o in out if isinstance(o, SpeechSegment) and o.kind == "end"]
    voiced = np.flatnonzero(np.abs(sp) > 500)
    first_ms, last_ms = 5000 + voiced[0] // 16, 5000 + voiced[-1] // 16
    assert starts and starts[0] >= 5000 - VadConfig().preroll_ms - 30
    assert starts[0] <= first_ms
    assert ends[-1] >= last_ms
    assert isinstance(out[-1], UtteranceEnd)
    assert run(VadSegmenter(), np.concatenate([silence(3000), noise(3000, 100)]), 4000) == []


def test_results_do_not_depend_on_block_size(speech) -> None:
    pcm = np.concatenate(
        [silence(1200), speech(KO_SENTENCES[1]), silence(900), speech(KO_SENTENCES[2]), silence(1500)]
    )
    reference = run(VadSegmenter(), pcm, 16000)
    ref_markers = markers(reference)
    ref_runs, ref_audio = speech_audio(reference)
    assert len([m for m in ref_markers if isinstance(m, SpeechSegment)]) >= 2
    for size in (160, 479, 4096):
        out = run(VadSegmenter(), pcm, size)
        assert markers(out) == ref_markers, size
        runs, audio = speech_audio(out)
        assert runs == ref_runs
        assert np.array_equal(audio, ref_audio)


def test_one_sample_blocks_match_big_blocks(speech) -> None:
    pcm = np.concatenate([silence(300), speech("네 알겠습니다")[:16000], silence(900)])
    big = run(VadSegmenter(), pcm, 16000)
    tiny = run(VadSegmenter(), pcm, 1)
    assert markers(tiny) == markers(big) and markers(big)
    assert speech_audio(tiny)[0] == speech_audio(big)[0]
    assert np.array_equal(speech_audio(tiny)[1], speech_audio(big)[1])
