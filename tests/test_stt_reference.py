"""Reference-transcript recogniser: WebVTT and JSONL parsing, events in audio time, errors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from voiceassist.errors import ExitCode, TranscriptError
from voiceassist.events import Word
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript, parse_jsonl, parse_vtt

VTT = """WEBVTT - sample call

NOTE the agent greets first

1
00:00:00.500 --> 00:00:02.000
<v agent>Good morning, how can I help?</v>

2
00:00:03.000 --> 00:00:05.400 align:start
<v Caller>this is the <i>third</i> time
I am calling you

00:01:01.000 --> 00:01:02.000
no voice tag means caller
"""


def test_vtt_speakers_times_and_text() -> None:
    utts = parse_vtt(VTT, "call.vtt")
    assert [(u.speaker, u.start_ms, u.end_ms) for u in utts] == [
        ("agent", 500, 2000),
        ("caller", 3000, 5400),
        ("caller", 61000, 62000),
    ]
    assert utts[1].text == "this is the third time I am calling you"
    assert utts[1].where == "call.vtt:10"  # the timing line
    words = utts[1].words
    assert [w.text for w in words] == utts[1].text.split()
    assert words[0].start_ms == 3000 and words[-1].end_ms == 5400
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(words))


def test_jsonl_with_and_without_word_times(tmp_path: Path) -> None:
    lines = [
        {"speaker": "caller", "start_ms": 1000, "end_ms": 2000, "text": "you are useless",
         "words": [{"text": "you", "start_ms": 1000, "end_ms": 1200},
                   {"text": "are", "start_ms": 1200, "end_ms": 1400, "conf": 0.5},
                   {"text": "useless", "start_ms": 1400, "end_ms": 2000}]},
        {"speaker": "agent", "start_ms": 2500, "end_ms": 3000, "text": "I understand"},
    ]  # fmt: skip
    path = tmp_path / "call.transcript.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    utts = load_transcript(path)
    assert utts[0].words[1] == Word("are", 1200, 1400, 0.5)
    assert utts[1].speaker == "agent" and [w.text for w in utts[1].words] == ["I", "understand"]


@pytest.mark.parametrize(
    ("text", "where", "needle"),
    [
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nhi\n", "x.vtt:3", "cue timing"),
        ("WEBVTT\n\n00:03.000 --> 00:02.000\nhi\n", "x.vtt:3", "before it starts"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\n<v boss>hi\n", "x.vtt:3", "caller' or 'agent"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\n<i></i>\n", "x.vtt:3", "no text"),
        ("hello\n", "x.vtt:1", "WEBVTT"),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nfine\n\nid\n00:0x.000 --> 00:04.000\nbad\n",
            "x.vtt:7",
            "timing",
        ),
    ],
)
def test_bad_vtt_names_file_and_line(text: str, where: str, needle: str) -> None:
    with pytest.raises(TranscriptError) as exc:
        parse_vtt(text, "x.vtt")
    assert exc.value.message.startswith(where + ":")
    assert needle in exc.value.message
    assert exc.value.code == ExitCode.BAD_TRANSCRIPT


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"speaker": "caller", "start_ms": 1, "end_ms": 2, "text": "a"', "not valid JSON"),
        ('["caller", 1, 2]', "JSON object"),
        ('{"speaker": "caller", "start_ms": 5, "end_ms": 2, "text": "a"}', "must be after"),
        ('{"speaker": "caller", "end_ms": 2, "text": "a"}', "start_ms"),
        ('{"speaker": "robot", "start_ms": 1, "end_ms": 2, "text": "a"}', "speaker"),
        ('{"speaker": "caller", "start_ms": 1, "end_ms": 2, "text": ""}', "text"),
        ('{"speaker": "caller", "start_ms": 1, "end_ms": 20, "text": "a",'
         ' "words": [{"text": "a", "start_ms": 1, "end_ms": 40}]}', "inside the utterance"),
    ],
)
def test_bad_jsonl_names_file_and_line(line: str, needle: str) -> None:
    good = '{"speaker": "caller", "start_ms": 0, "end_ms": 1, "text": "ok"}'
    with pytest.raises(TranscriptError) as exc:
        parse_jsonl(good + "\n\n" + line + "\n", "t.jsonl")
    assert exc.value.message.startswith("t.jsonl:3:")
    assert needle in exc.value.message


def test_recognizer_emits_partials_word_by_word_then_final_as_time_passes() -> None:
    utts = parse_vtt(VTT, "call.vtt")
    rec = ReferenceRecognizer(utts, "caller")
    assert rec.advance(3000 * 16) == []
    early = rec.advance(4000 * 16)
    assert [e.kind for e in early] == ["partial"] * len(early) and early
    assert all(e.end_ms <= 4000 for e in early)
    assert early[-1].text.startswith("this is")
    rest = rec.advance(6000 * 16)
    assert rest[-1].kind == "final" and rest[-1].text == utts[1].text
    assert rest[-1].start_ms == 3000 and rest[-1].end_ms == 5400 and rest[-1].utterance == 0
    texts = [e.text for e in early + rest[:-1]]
    assert [len(t.split()) for t in texts] == list(range(1, len(utts[1].words) + 1))
    # The caller's second utterance is settled at the end of the call, the agent's is not ours.
    final = rec.flush(61500 * 16)
    assert [(e.kind, e.utterance) for e in final][-1] == ("final", 1)
    assert all(e.speaker == "caller" for e in early + rest + final)


def test_recognizer_is_deterministic_for_any_advance_steps() -> None:
    utts = parse_vtt(VTT, "call.vtt")

    def events(step: int) -> list:
        rec = ReferenceRecognizer(utts, "agent")
        out = []
        for now in range(0, 70000 * 16, step):
            out += rec.advance(now)
        return out + rec.flush(70000 * 16)

    assert events(160) == events(16000) == events(4799)
    assert events(160)[-1].text == "Good morning, how can I help?"


def test_missing_transcript_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(Exception) as exc:
        load_transcript(tmp_path / "nope.vtt")
    assert getattr(exc.value, "code", None) == ExitCode.FILE_NOT_FOUND
