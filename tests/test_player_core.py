"""Cue player policy with a fake headset pulled by hand: what the agent hears, block by block.

Each cue sound is a constant level unique to the cue, so the samples that reach the fake headset
tell exactly which cue was audible when.
"""

from __future__ import annotations

import numpy as np

from voiceassist.cues.bank import CueSound
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.player import CuePlayer, PlaybackCore, Request

RATE = 16000
BLOCK = 160  # 10 ms


def sound(level: float, ms: int = 500, severity: str = "warn", say: str = "cue") -> CueSound:
    return CueSound(say, severity, np.full(RATE * ms // 1000, level, dtype=np.float32), RATE)


def req(token: int, level: float, severity: str = "warn", ms: int = 500) -> Request:
    return Request(token, sound(level, ms, severity), f"cue{token}")


def pull_blocks(core: PlaybackCore, n: int) -> np.ndarray:
    out = []
    for _ in range(n):
        buf = np.zeros(BLOCK, dtype=np.float32)
        core.fill(buf)
        out.append(buf)
    return np.concatenate(out)


def levels(x: np.ndarray) -> list[float]:
    """Level of each 10 ms block (rounded), i.e. which cue was audible."""
    return [round(float(np.median(x[i : i + BLOCK])), 3) for i in range(0, x.size, BLOCK)]


def test_cue_plays_whole_then_silence() -> None:
    core = PlaybackCore(RATE, wait_for_gap_ms=1500)
    assert [e.kind for e in core.submit(req(1, 0.1, ms=200))] == ["accepted"]
    heard = levels(pull_blocks(core, 30))
    assert heard[:20] == [0.1] * 20
    assert heard[20:] == [0.0] * 10
    assert core.busy is None


def test_urgent_preempts_playing_cue() -> None:
    core = PlaybackCore(RATE)
    core.submit(req(1, 0.1, "warn"))
    heard_before = levels(pull_blocks(core, 10))
    events = core.submit(req(2, 0.3, "urgent"))
    assert [e.kind for e in events] == ["preempted", "accepted"]
    assert events[0].request.token == 1
    heard_after = levels(pull_blocks(core, 10))
    assert heard_before == [0.1] * 10
    # The cut cue fades out under the first 8 ms; from then on only the urgent cue is heard.
    assert heard_after[1:] == [0.3] * 9


def test_lower_or_equal_priority_is_dropped_not_queued() -> None:
    core = PlaybackCore(RATE)
    core.submit(req(1, 0.1, "warn", ms=300))
    pull_blocks(core, 5)
    dropped = core.submit(req(2, 0.2, "info"))
    same = core.submit(req(3, 0.25, "warn"))
    assert [e.kind for e in dropped] == ["dropped"] and "busy with cue1" in dropped[0].reason
    assert [e.kind for e in same] == ["dropped"]
    heard = levels(pull_blocks(core, 60))
    # The first cue finishes and nothing else ever plays: no backlog.
    assert set(heard[:25]) == {0.1}
    assert set(heard[25:]) == {0.0}


def test_waits_for_agent_gap_then_plays() -> None:
    core = PlaybackCore(RATE, wait_for_gap_ms=1500)
    core.set_agent_speaking(True)
    assert [e.kind for e in core.submit(req(1, 0.1))] == ["waiting"]
    assert set(levels(pull_blocks(core, 50))) == {0.0}  # 0.5 s of agent speech: silence
    core.set_agent_speaking(False)
    heard = levels(pull_blocks(core, 10))
    assert heard == [0.1] * 10


def test_gap_wait_is_bounded() -> None:
    core = PlaybackCore(RATE, wait_for_gap_ms=1500)
    core.set_agent_speaking(True)
    core.submit(req(1, 0.1))
    heard = levels(pull_blocks(core, 200))  # the agent talks for 2 s straight
    first = heard.index(0.1)
    assert first == 150  # 1.5 s, then the cue plays over the agent


def test_urgent_never_waits_and_replaces_waiting_cue() -> None:
    core = PlaybackCore(RATE, wait_for_gap_ms=1500)
    core.set_agent_speaking(True)
    core.submit(req(1, 0.1, "info"))
    events = core.submit(req(2, 0.3, "urgent"))
    assert [e.kind for e in events] == ["superseded", "accepted"]
    heard = levels(pull_blocks(core, 5))
    assert heard == [0.3] * 5


def test_player_on_manual_fake_headset() -> None:
    dev = FakeOutputDevice(clock="manual")
    player = CuePlayer(dev, rate_hz=RATE, block_ms=10)
    try:
        assert player.start()
        assert player.play(sound(0.1, 200, "warn", "first")) == "playing"
        assert player.play(sound(0.2, 200, "info", "second")) == "dropped"
        for _ in range(10):
            dev.pull()
        assert player.play(sound(0.3, 200, "urgent", "third")) == "playing"
        for _ in range(30):
            dev.pull()
    finally:
        player.close()
    heard = levels(dev.samples())
    assert heard[:10] == [0.1] * 10
    assert heard[11:30] == [0.3] * 19
    assert set(heard[31:]) == {0.0}
    kinds = [(r.kind, r.cue) for r in player.reports]
    assert ("dropped", "second") in kinds
    assert ("preempted", "first") in kinds
    assert ("started", "third") in kinds


def _coaching_req(token: int, level: float) -> Request:
    from voiceassist.events import Cue

    cue = Cue(
        at_ms=0, cue="slow_down", category="coaching", form="pace", rung=1, severity="info",
        say="Slow down", script="", speaker="agent",
    )  # fmt: skip
    return Request(token, sound(level, 500, "info"), "slow_down", cue=cue)


def test_caller_cue_preempts_coaching_and_coaching_never_preempts() -> None:
    core = PlaybackCore(RATE)
    core.submit(_coaching_req(1, 0.05))
    pull_blocks(core, 5)
    events = core.submit(req(2, 0.2, "info"))
    assert [e.kind for e in events] == ["preempted", "accepted"], "even an info caller cue wins"
    assert [e.kind for e in core.submit(_coaching_req(3, 0.07))] == ["dropped"]
    heard = levels(pull_blocks(core, 20))
    assert set(heard[1:20]) == {0.2}
