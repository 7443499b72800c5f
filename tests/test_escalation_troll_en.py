"""English troll signals: absurd requests cue at once, noise and laughing need a pattern, and the
troll ladder runs real_question -> stop_feeding -> end_call (PLAYBOOK 7)."""

from __future__ import annotations

from voiceassist.escalation.engine import load_engine
from voiceassist.events import Transcript


def run(*turns: str) -> list[str]:
    engine = load_engine("en")
    cues: list[str] = []
    for i, text in enumerate(turns):
        start = i * 8000
        t = Transcript(
            speaker="caller", kind="final", text=text, start_ms=start, end_ms=start + 3000, utterance=i
        )
        cues += [c.cue for c in engine.process(t) if c.category == "troll"]
    return cues


def test_troll_ladder_on_absurd_requests_and_noise() -> None:
    assert run(
        "I want to book a seat for my pet dinosaur on the flight to the moon, ha ha ha",
        "your airline is a scam run by lizards, ha ha",
        "blah blah blah, you are a robot, beep boop, ha ha ha",
    ) == ["real_question", "stop_feeding", "end_call"]


def test_a_friendly_laugh_or_one_noise_is_not_a_troll() -> None:
    assert run("ha ha ha, thank you, that was quick") == []
    assert run("the hold music just goes la la la for ages") == []
    assert run("my daughter's unicorn lamp arrived broken, can I return it?") == []
