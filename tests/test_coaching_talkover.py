"""Talk-over on synthetic two-channel calls (espeak-ng speech, webrtcvad on both channels, the
real pipeline): the interruption is found within 100 ms of the scripted agent onset whatever the
block size; a quick reply and a back-channel are not interruptions; one interruption is enough
for ``dont_interrupt`` only while the caller is upset."""

from __future__ import annotations

import numpy as np
import pytest
from coaching_calls import run_coached
from conftest import espeak, silence

from voiceassist.coaching.loader import load_coaching
from voiceassist.coaching.policy import TalkOverPolicy
from voiceassist.coaching.talkover import TalkOverDetector
from voiceassist.events import Cue

CALLER = {
    "en": (
        "en-us+m3",
        "I have been trying to sort out this bill for weeks and every time I call somebody "
        "tells me something different about the meter reading",
    ),
    "it": (
        "it+m3",
        "Sto cercando di sistemare questa bolletta da settimane e ogni volta che chiamo qualcuno "
        "mi dice una cosa diversa sulla lettura del contatore",
    ),
    "pl": (
        "pl+m1",
        "Od tygodni próbuję wyjaśnić ten rachunek i za każdym razem ktoś mówi mi coś innego "
        "o odczycie licznika",
    ),
}
AGENT = {
    "en": ("en-us+f3", "Right, yes, let me just check the reading here"),
    "it": ("it+f2", "Sì, certo, controllo subito la lettura"),
    "pl": ("pl+f3", "Tak, tak, już sprawdzam ten odczyt"),
}


def _onset(pcm: np.ndarray) -> int:
    """First sample louder than -40 dBFS, ms."""
    return int(np.flatnonzero(np.abs(pcm) > 330)[0]) * 1000 // 16000


def _call(
    lang: str, agent_after_ms: int, agent_text: str | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Caller talks from 1 s; the agent starts ``agent_after_ms`` after the caller's onset.
    Returns (caller, agent, true agent onset ms)."""
    cv, ct = CALLER[lang]
    av, at = AGENT[lang]
    caller_speech = espeak(ct, cv, 160)
    agent_speech = espeak(agent_text or at, av, 170)
    caller = np.concatenate([silence(1000), caller_speech])
    c_on = 1000 + _onset(caller_speech)
    lead = c_on + agent_after_ms - _onset(agent_speech)
    agent = np.concatenate([silence(lead), agent_speech])
    n = max(len(caller), len(agent)) + 16000 * 2
    caller = np.pad(caller, (0, n - len(caller)))
    agent = np.pad(agent, (0, n - len(agent)))
    return caller, agent, lead + _onset(agent_speech)


@pytest.mark.parametrize("lang", sorted(CALLER))
@pytest.mark.parametrize("block", [480, 4000])
def test_interruption_found_within_100_ms_of_the_scripted_onset(lang: str, block: int) -> None:
    caller, agent, truth = _call(lang, 2300)
    coach = load_coaching(lang)
    run_coached(caller, agent, coach, block=block)
    overlaps = coach.talkover.overlaps
    assert len(overlaps) == 1, overlaps
    assert abs(overlaps[0].at_ms - truth) <= 100, (overlaps[0].at_ms, truth)


def test_quick_reply_after_the_caller_stops_is_not_talk_over() -> None:
    cv, ct = CALLER["en"]
    speech = espeak(ct, cv, 160)
    caller_end_ms = 1000 + int(np.flatnonzero(np.abs(speech) > 330)[-1]) * 1000 // 16000
    caller, agent, _ = _call("en", caller_end_ms - 1000 - _onset(speech) + 150)
    coach = load_coaching("en")
    run_coached(caller, agent, coach)
    assert coach.talkover.overlaps == []


def test_back_channel_is_listening_not_interrupting() -> None:
    caller, agent, _ = _call("en", 2000, agent_text="mm")
    coach = load_coaching("en")
    result = run_coached(caller, agent, coach)
    assert coach.talkover.overlaps == []
    assert result.summary.interruptions == 0


#: An interruption well under ``long_overlap_ms`` (3 s): one alone cues only an upset caller.
SHORT_AGENT = "Right, let me check that"


def test_one_interruption_cues_only_while_the_caller_is_upset() -> None:
    caller, agent, _ = _call("en", 2300, agent_text=SHORT_AGENT)
    calm = load_coaching("en")
    r = run_coached(caller, agent, calm)
    assert r.summary.interruptions == 1 and r.coaching == []
    assert "interruptions: 1" in r.summary.text

    upset = load_coaching("en", caller_angry=lambda: True)
    r = run_coached(caller, agent, upset)
    assert [(c.cue, c.category, c.speaker, c.severity) for c in r.coaching] == [
        ("dont_interrupt", "coaching", "agent", "info")
    ]

    # upset inferred from a caller-side anger cue 11 s before (after after_caller_cue_ms, inside
    # angry_window_ms)
    pad = silence(11_000)
    caller, agent = np.concatenate([pad, caller]), np.concatenate([pad, agent])
    anger = Cue(
        at_ms=500,
        cue="calm_first",
        category="anger",
        form="frustration",
        rung=1,
        severity="info",
        say="Stay calm",
        script="",
    )
    inferred = load_coaching("en")
    inferred.on_event(anger)
    r = run_coached(caller, agent, inferred)
    assert [c.cue for c in r.coaching] == ["dont_interrupt"]
    assert "upset" in r.coaching[0].why
    not_angry = load_coaching("en")
    not_angry.on_event(
        Cue(
            at_ms=500,
            cue="plain_words",
            category="struggling",
            form="confused",
            rung=1,
            severity="info",
            say="Plain words",
            script="",
        )
    )
    assert run_coached(caller, agent, not_angry).coaching == []


def test_second_interruption_in_the_window_cues_for_a_calm_caller() -> None:
    det = TalkOverDetector(TalkOverPolicy(onset_shift_ms=0, end_shift_ms=0))
    for base in (0, 20_000):
        det.caller_start(base)
        det.advance(base + 1000)
        det.agent_start(base + 1000)
        assert det.advance(base + 1200) == []  # not yet: neither has spoken long enough
        found = det.advance(base + 1800)
        assert [o.at_ms for o in found] == [base + 1000]
        det.caller_end(base + 3000)
        det.agent_end(base + 3500)
    assert det.count_since(0) == 2


def test_one_long_talk_over_cues_on_its_own_with_a_calm_caller() -> None:
    """Both talking for over 3 s (long_overlap_ms) is worth a cue even from one interruption
    (it needed two per minute before); the cue comes while they are still talking over each other."""
    long_text = ("Right, yes, let me just check the reading here, "
                 "I can see the last meter reading on the account")
    caller, agent, onset = _call("en", 1500, agent_text=long_text)
    r = run_coached(caller, agent, load_coaching("en"))
    assert r.summary.interruptions == 1
    assert [c.cue for c in r.coaching] == ["dont_interrupt"]
    cue = r.coaching[0]
    assert "talked over the caller for" in cue.why
    assert onset + 3000 <= cue.at_ms <= onset + 4500, (onset, cue.at_ms)
    # off (long_overlap_ms = 0): one calm interruption is not enough, as before
    from dataclasses import replace

    coach = load_coaching("en")
    coach.policy = replace(coach.policy, talk_over=replace(coach.policy.talk_over, long_overlap_ms=0))
    coach.talkover.config = coach.policy.talk_over
    assert run_coached(caller, agent, coach).coaching == []
