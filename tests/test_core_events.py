"""Every event type survives the JSONL round trip; bad lines are refused clearly."""

from __future__ import annotations

import json

import pytest

from voiceassist.events import (
    EVENT_TYPES,
    CallEnded,
    CallStarted,
    CallSummary,
    Cue,
    CuePlayback,
    DeviceStatus,
    SpeechSegment,
    Transcript,
    Word,
    event_from_dict,
    event_from_json,
)

SAMPLES = [
    CallStarted(call_id="c1", lang="it", source="call.wav"),
    CallEnded(call_id="c1", at_ms=61_250, reason="eof"),
    SpeechSegment(speaker="caller", kind="start", at_ms=5_010),
    Transcript(
        speaker="agent",
        kind="final",
        text="buongiorno come posso aiutarla",
        start_ms=1_000,
        end_ms=2_400,
        words=(Word("buongiorno", 1_000, 1_600, 0.93), Word("come", 1_650, 1_800, 0.8)),
        utterance=3,
    ),
    Cue(
        at_ms=12_340,
        cue="state_boundary",
        category="abuse",
        form="insult",
        rung=3,
        severity="warn",
        say="Poni il limite",
        script="Voglio aiutarla, e posso farlo se manteniamo un tono rispettoso.",
        matched=("idiota",),
        rule="rules/it/lexicon/abuse.toml:12",
        utterance=4,
        why="insult at the agent",
    ),
    DeviceStatus(kind="overflow", device="USB Headset", at_ms=800, message="input overflow", count=2),
    CallSummary(call_id="c1", at_ms=61_250, kind="coaching", text="2 interruptions", data={"talkover": 2}),
    CuePlayback(
        call_id="c1", kind="started", cue="end_call", at_ms=30_120, device="[3] Jabra", latency_ms=41.5
    ),
]


def test_samples_cover_every_event_type() -> None:
    assert {type(e).type for e in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).type)
def test_jsonl_round_trip(event: object) -> None:
    line = event.to_json()  # type: ignore[attr-defined]
    assert "\n" not in line
    assert json.loads(line)["type"] == type(event).type
    assert event_from_json(line) == event


def test_non_ascii_text_is_kept_readable() -> None:
    t = Transcript(speaker="caller", kind="partial", text="제 이름은 민수", start_ms=0, end_ms=900)
    assert "제 이름은" in t.to_json()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"type": "nope"}, "unknown event type"),
        ({"type": "speech", "speaker": "caller", "kind": "start", "at_ms": 1, "x": 2}, "unknown fields"),
        ({"type": "speech", "speaker": "caller"}, "bad speech event"),
    ],
)
def test_bad_events_raise_value_error(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_from_dict(data)


def test_cues_carry_decided_ms_and_old_lines_without_it_still_load() -> None:
    from voiceassist.events import Cue, event_from_json

    cue = Cue(at_ms=1200, cue="state_boundary", category="abuse", form="insult", rung=3, severity="warn",
              say="Set the boundary", script="...", decided_ms=1680)
    assert event_from_json(cue.to_json()) == cue
    old = cue.to_dict()
    del old["decided_ms"]
    import json

    assert event_from_json(json.dumps(old)).decided_ms is None  # type: ignore[attr-defined]
