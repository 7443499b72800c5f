"""WebVTT inline word timestamps give the reference recogniser real word times, and its partials
are marked stable (their words never change), so the engine can act on the newest word."""

from __future__ import annotations

import pytest

from voiceassist.errors import TranscriptError
from voiceassist.escalation.engine import load_engine
from voiceassist.stt.reference import ReferenceRecognizer, parse_vtt

VTT = """WEBVTT

1
00:00:01.000 --> 00:00:03.000
<v caller>Shut <00:00:01.400>up, <00:00:01.600>you <00:00:01.900>stupid moron.</v>
"""


def test_inline_timestamps_set_word_times() -> None:
    (utt,) = parse_vtt(VTT)
    times = [(w.text, w.start_ms, w.end_ms) for w in utt.words]
    assert times[:3] == [("Shut", 1000, 1400), ("up,", 1400, 1600), ("you", 1600, 1900)]
    # two words after the last timestamp share 1900..3000 by length
    assert times[3][1] == 1900 and times[4][2] == 3000 and times[3][2] == times[4][1]


def test_out_of_order_inline_timestamp_is_an_error() -> None:
    bad = VTT.replace("<00:00:01.600>", "<00:00:04.600>")
    with pytest.raises(TranscriptError, match=r"<vtt>:4: inline timestamp"):
        parse_vtt(bad)


def test_partials_are_stable_and_a_cue_fires_before_the_utterance_ends() -> None:
    rec = ReferenceRecognizer(parse_vtt(VTT), "caller")
    engine = load_engine("en")
    fired = []
    for now_ms in range(0, 3000, 30):
        for t in rec.advance(now_ms * 16):
            assert t.kind == "final" or t.stable
            fired += [(now_ms, c.cue) for c in engine.process(t)]
    assert fired, "shouting at the agent is cued"
    assert fired[0][0] < 3000, "decided on a partial, before the final at the cue's end"
