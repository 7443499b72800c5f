"""The eval report's timeline draws agent-side coaching cues in their own lane, apart from the
caller-side cues, whether or not the call judges coaching."""

from __future__ import annotations

import re

from voiceassist.events import Cue
from voiceassist.qa.evalrun import CallRun
from voiceassist.qa.report import LANES, timeline_svg


def _cue(at_ms: int, cue: str, category: str, speaker: str = "caller") -> Cue:
    return Cue(at_ms=at_ms, cue=cue, category=category, form="x", rung=1, severity="info",
               say="s", script="", speaker=speaker)  # type: ignore[arg-type]


def test_coaching_cues_are_drawn_in_their_own_lane() -> None:
    run = CallRun(call="call.wav", lang="en", mode="ref", duration_ms=60_000,
                  cues=(_cue(10_000, "calm_first", "anger"), _cue(30_000, "slow_down", "coaching", "agent")))
    svg = timeline_svg(run, 0)
    assert ">coaching</text>" in svg
    coach_mid = LANES["coaching"][0] + LANES["coaching"][1] / 2
    caller_mid = LANES["cues"][0] + LANES["cues"][1] / 2
    (coach,) = re.findall(r'<g class="cue coach"[^>]*>.*?</g>', svg)
    assert "slow_down" in coach and f'y="{coach_mid - 6}"' in coach
    (caller,) = re.findall(r'<g class="cue (?:hit|false)"[^>]*>.*?</g>', svg)
    assert "calm_first" in caller and f'cy="{caller_mid}"' in caller


def test_the_report_shows_when_a_cue_was_decided() -> None:
    from dataclasses import replace

    from voiceassist.events import Cue
    from voiceassist.qa.evalrun import CallRun, build_summary
    from voiceassist.qa.report import render_report

    cue = Cue(at_ms=4000, cue="state_boundary", category="abuse", form="insult", rung=3, severity="warn",
              say="Set the boundary", script="...")
    late = replace(cue, decided_ms=4480)
    run = CallRun(call="c.wav", lang="en", mode="ref", duration_ms=10_000, cues=(late,))
    html = render_report([run], build_summary([run]))
    assert "state_boundary at 0:04.0 - FALSE CUE, decided at 0:04.5" in html
