"""A long call keeps bounded engine state (issue 13 item 12): the cues it emits and its
after-call cues are those of the full cue list, though only the latest cues are held."""

from __future__ import annotations

import pytest

from voiceassist.escalation.engine import HISTORY_CUES, load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.events import Cue, Transcript
from voiceassist.session.after_call import AfterCallPolicy, decide_after_call

LINES = ["you idiot", "what is my balance", "I will sue you", "thank you", "this is ridiculous",
         "I want to speak to a manager", "you are useless", "ok"]


def _cue_key(c: Cue) -> tuple[object, ...]:
    return (c.at_ms, c.cue, c.category, c.form, c.rung, c.severity, c.utterance, c.why)


@pytest.mark.slow
def test_a_100k_line_call_holds_a_bounded_history_and_ends_as_with_every_cue_kept() -> None:
    e = load_engine("en")
    emitted: list[Cue] = []
    for i in range(100_000):
        text = LINES[i % len(LINES)]
        start = i * 4000
        emitted += e.process(Transcript("caller", "final", text, start, start + 1500,
                                        words_for(text, start, start + 1500), i))
        assert len(e.history) <= HISTORY_CUES
    assert len(emitted) > 100 * HISTORY_CUES, "the call must fire many cues for this to mean anything"
    assert {c.cue for c in emitted} >= {"use_their_name", "offer_transfer"}
    assert list(e.history) == emitted[-HISTORY_CUES:]
    # The after-call cues from the bounded state equal those decided on the full cue list.
    full = decide_after_call(emitted, AfterCallPolicy.from_policy(e.policy), e.cue_text, at_ms=400_000_000)
    after = e.end_call(400_000_000)
    assert after and [_cue_key(c) for c in after] == [_cue_key(c) for c in full.cues]
