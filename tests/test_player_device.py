"""Cue player with a fake headset that runs on its own clock: device missing, lost, recovered,
and latency recorded for every cue that reached the device."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from voiceassist.cues.bank import CueSound
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.player import CuePlayer, PlaybackReport
from voiceassist.events import Cue

RATE = 16000


def sound(level: float, ms: int = 100, severity: str = "warn", say: str = "cue") -> CueSound:
    return CueSound(say, severity, np.full(RATE * ms // 1000, level, dtype=np.float32), RATE)


def wait_for(cond: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def kinds(reports: list[PlaybackReport]) -> list[str]:
    return [r.kind for r in reports]


def test_headset_lost_and_recovered_without_crashing() -> None:
    dev = FakeOutputDevice(clock="realtime", speed=4.0)
    player = CuePlayer(dev, rate_hz=RATE, block_ms=10, retry_s=0.05)
    try:
        assert player.start()
        assert player.play(sound(0.1, say="before")) == "playing"
        assert wait_for(lambda: "finished" in kinds(player.reports))
        dev.lose()
        assert wait_for(lambda: "device_lost" in kinds(player.reports))
        # While it is gone cues are reported as dropped (the screen line still shows), no error.
        assert player.play(sound(0.2, say="while lost")) == "dropped"
        n_before = dev.samples().size
        dev.restore()
        assert wait_for(lambda: "device_recovered" in kinds(player.reports))
        assert player.play(sound(0.3, say="after")) == "playing"
        assert wait_for(lambda: kinds(player.reports).count("finished") == 2)
    finally:
        player.close()
    assert dev.opens == 2
    heard = dev.samples()
    assert np.isclose(heard, 0.1).sum() == RATE // 10
    assert not np.isclose(heard, 0.2).any()
    assert np.isclose(heard[n_before:], 0.3).sum() == RATE // 10
    dropped = [r for r in player.reports if r.kind == "dropped"]
    assert [(r.cue, r.message) for r in dropped] == [("while lost", "no headset")]


def test_headset_missing_at_start_is_retried() -> None:
    dev = FakeOutputDevice(clock="realtime", speed=4.0, present=False)
    player = CuePlayer(dev, rate_hz=RATE, block_ms=10, retry_s=0.05)
    try:
        assert not player.start()
        player.flush()
        assert kinds(player.reports) == ["device_missing"]
        assert player.play(sound(0.1)) == "dropped"
        dev.restore()
        assert wait_for(lambda: player.device_ok)
        assert player.play(sound(0.1)) == "playing"
        assert wait_for(lambda: "finished" in kinds(player.reports))
    finally:
        player.close()
    assert kinds(player.reports).count("device_missing") == 1  # said once, not every retry


def test_latency_is_measured_from_trigger_to_first_sample_at_device() -> None:
    dev = FakeOutputDevice(clock="realtime")
    player = CuePlayer(dev, rate_hz=RATE, block_ms=10)
    cue = Cue(at_ms=1200, cue="state_boundary", category="abuse", form="insult", rung=3,
              severity="warn", say="Set the boundary", script="...")
    try:
        assert player.start()
        trigger = time.monotonic() - 0.05  # the trigger word ended 50 ms ago
        player.play(sound(0.1), cue=cue, trigger_wall_s=trigger)
        assert wait_for(lambda: "started" in kinds(player.reports))
    finally:
        player.close()
    started = next(r for r in player.reports if r.kind == "started")
    assert started.cue == "state_boundary" and started.at_ms == 1200
    assert started.latency_ms is not None
    first = next(c for c in dev.chunks if np.any(c.samples))
    # The recorded latency is exactly the device's arrival time of the first cue sample.
    assert abs(started.latency_ms - (first.wall_s - trigger) * 1000.0) < 1e-6
    assert started.latency_ms >= 50.0


def test_muted_player_stays_silent() -> None:
    dev = FakeOutputDevice(clock="manual")
    player = CuePlayer(dev, rate_hz=RATE, block_ms=10)
    try:
        player.start()
        player.mute(300)
        assert player.muted
        assert player.play(sound(0.1)) == "muted"
        for _ in range(20):
            dev.pull()
        player.unmute()
        assert player.play(sound(0.1)) == "playing"
        for _ in range(20):
            dev.pull()
    finally:
        player.close()
    heard = dev.samples()
    assert not heard[: 20 * 160].any()
    assert heard[20 * 160 :].any()
