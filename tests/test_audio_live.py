"""Live capture through the fake device seam: same audio as the file route, overflow counted and
reported with call time kept, device loss (stop / retry), stop() and signals flush the capture."""

from __future__ import annotations

import io
import os
import signal
import threading

import numpy as np
import pytest

from voiceassist.audio.block import RATE_HZ, AudioBlock
from voiceassist.audio.devices import FakeDeviceBackend
from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.files import read_all
from voiceassist.audio.live import LiveSource, stop_on_signals
from voiceassist.audio.raw import open_raw
from voiceassist.errors import DeviceError, UsageError
from voiceassist.events import DeviceStatus


def call_audio(seconds: float = 2.0, rate: int = 8000, seed: int = 1) -> np.ndarray:
    """Stereo int16: caller = 300 Hz tone + noise, agent = noise."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    caller = 8000 * np.sin(2 * np.pi * 300 * t) + rng.normal(0, 500, n)
    agent = rng.normal(0, 2000, n)
    return np.stack([caller, agent], axis=1).clip(-32768, 32767).astype(np.int16)


def reference(data: np.ndarray, rate: int, **kw: str) -> tuple[np.ndarray, np.ndarray | None]:
    """What the file/raw route makes of the same samples."""
    channels = 1 if data.ndim == 1 else data.shape[1]
    return read_all(open_raw(io.BytesIO(data.astype("<i2").tobytes()), rate_hz=rate, channels=channels, **kw))


def concat(blocks: list[AudioBlock]) -> tuple[np.ndarray, np.ndarray | None]:
    caller = np.concatenate([b.caller for b in blocks])
    agents = [b.agent for b in blocks if b.agent is not None]
    assert len(agents) in (0, len(blocks))
    return caller, (np.concatenate(agents) if agents else None)


def source(system: FakeAudioSystem, *devices: str | int | None, **kw: object) -> LiveSource:
    return LiveSource(*devices, backend=system.backend, stream_factory=system.open_stream, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("block_samples", [160, 479, 4000])
def test_stereo_device_split_gives_the_same_audio_as_a_file(block_samples: int) -> None:
    data = call_audio()
    system = FakeAudioSystem()
    system.add_input("USB Headset", data, 8000)
    events: list[DeviceStatus] = []
    with source(system, "usb", block_samples=block_samples, on_status=events.append) as src:
        assert src.info.rate_hz == 8000 and src.info.channels == 2 and src.info.frames is None
        blocks = list(src.blocks())
    assert src.end_reason == "eof"
    caller, agent = concat(blocks)
    ref_c, ref_a = reference(data, 8000)
    assert np.array_equal(caller, ref_c)
    assert agent is not None and ref_a is not None and np.array_equal(agent, ref_a)
    assert [b.start_sample for b in blocks[:3]] == [0, block_samples, 2 * block_samples]
    assert [e.kind for e in events] == ["opened", "closed"]
    assert events == src.status_events


def test_caller_and_agent_from_two_devices() -> None:
    data = call_audio(1.0, rate=16000)
    system = FakeAudioSystem()
    system.add_input("Caller line", data[:, 0], 16000)
    system.add_input("Agent headset", data[:8000, 1], 16000)  # the agent device delivers less
    with source(system, "caller line", "agent headset", block_samples=1000) as src:
        blocks = list(src.blocks())
    caller, agent = concat(blocks)
    assert np.array_equal(caller, data[:, 0])
    assert agent is not None and len(agent) == len(caller)
    assert np.array_equal(agent[:8000], data[:8000, 1])
    assert not agent[8000:].any()  # padded with silence so both channels end together


def test_channel_options_on_one_device() -> None:
    data = call_audio(0.5, rate=16000)
    system = FakeAudioSystem()
    system.add_input("Line in", data, 16000)
    with source(system, "line", caller_channel="right", agent_channel="none") as src:
        caller, agent = concat(list(src.blocks()))
    assert agent is None
    assert np.array_equal(caller, data[:, 1])


def test_full_queue_drops_are_counted_reported_and_keep_call_time() -> None:
    data = call_audio(2.0)
    system = FakeAudioSystem()
    mic = system.add_input("USB Headset", data, 8000, end="idle")
    events: list[DeviceStatus] = []
    src = source(system, "usb", queue_ms=200, callback_ms=20, on_status=events.append)
    src.start()
    assert mic.streams[0].wait_done()  # the device delivered 2 s while nobody consumed
    src.stop()
    caller, _ = concat(list(src.blocks()))
    overflow = [e for e in events if e.kind == "overflow"]
    assert len(overflow) == 1
    # 100 callback blocks of 20 ms; the queue holds 10
    assert overflow[0].count == 90 == src.overflows
    assert "90 dropped" in overflow[0].message
    # dropped audio became silence: call time still covers the whole 2 s
    assert len(caller) == 2 * RATE_HZ
    kept = data.copy()
    kept[10 * 160 :] = 0  # the 10 blocks of 20 ms that fitted, then silence
    ref, _ = reference(kept, 8000)
    assert np.array_equal(caller, ref)
    assert caller[: 10 * 320].any() and not caller[10 * 320 + 100 :].any()
    assert src.end_reason == "stopped"


def test_portaudio_overflow_flags_are_counted() -> None:
    system = FakeAudioSystem()
    system.add_input("USB Headset", call_audio(1.0), 8000, overflow_blocks={5, 20, 21})
    events: list[DeviceStatus] = []
    with source(system, "usb", on_status=events.append) as src:
        list(src.blocks())
    assert src.overflows == 3
    counts = [e.count for e in events if e.kind == "overflow"]
    assert counts[-1] == 3 and counts == sorted(counts)
    assert all("PortAudio input overflows" in e.message for e in events if e.kind == "overflow")


def test_device_lost_with_stop_policy_keeps_what_was_captured() -> None:
    data = call_audio(2.0)
    system = FakeAudioSystem()
    system.add_input("USB Headset", data, 8000, lose_at_frame=8000)
    events: list[DeviceStatus] = []
    with source(system, "usb", on_lost="stop", on_status=events.append) as src:
        caller, _ = concat(list(src.blocks()))
    assert src.end_reason == "device_lost"
    lost = [e for e in events if e.kind == "lost"]
    assert len(lost) == 1 and lost[0].device == "USB Headset"
    assert lost[0].at_ms == 1000  # the first second was captured
    assert "unplugged" in lost[0].message
    ref, _ = reference(data[:8000], 8000)
    assert np.array_equal(caller, ref)  # everything up to the loss, flushed


def test_device_lost_with_retry_policy_recovers() -> None:
    data = call_audio(2.0)
    system = FakeAudioSystem()
    mic = system.add_input("USB Headset", data, 8000, lose_at_frame=8000, fail_opens=2)
    events: list[DeviceStatus] = []
    with source(system, "usb", on_lost="retry", retry_interval_s=0.01, on_status=events.append) as src:
        caller, _ = concat(list(src.blocks()))
    assert [e.kind for e in events] == ["opened", "lost", "recovered", "closed"]
    assert mic.opens == 4  # first open, two failed re-opens, one that worked
    assert "3 attempt" in events[2].message
    assert src.end_reason == "eof"
    assert len(caller) == 2 * RATE_HZ
    first, _ = reference(data[:8000], 8000)
    second, _ = reference(data[8000:], 8000)
    assert np.array_equal(caller, np.concatenate([first, second]))


def test_retry_gives_up_after_max_retries() -> None:
    system = FakeAudioSystem()
    system.add_input("USB Headset", call_audio(1.0), 8000, lose_at_frame=4000, fail_opens=99)
    with source(system, "usb", on_lost="retry", retry_interval_s=0.01, max_retries=3) as src:
        caller, _ = concat(list(src.blocks()))
    assert src.end_reason == "device_lost"
    assert len(caller) == RATE_HZ // 2
    assert src.status_events[-1].kind == "lost" and "gave up after 3" in src.status_events[-1].message


def test_stop_from_another_thread_flushes_everything_captured() -> None:
    data = call_audio(60.0)
    system = FakeAudioSystem()
    mic = system.add_input("USB Headset", data, 8000, pace=0.05)  # 20x real time: 3 s to play
    src = source(system, "usb", block_samples=160)
    got = 0
    blocks = []
    for block in src.blocks():
        blocks.append(block)
        got += len(block.caller)
        if got >= RATE_HZ // 2:
            threading.Thread(target=src.stop).start()
    caller, _ = concat(blocks)
    assert src.end_reason == "stopped"
    assert mic.cursor < len(data)  # stopped before the end of the data
    ref, _ = reference(data[: mic.cursor], 8000)
    assert np.array_equal(caller, ref)  # every delivered frame, resampler tail included


def test_sigterm_stops_cleanly() -> None:
    system = FakeAudioSystem()
    mic = system.add_input("USB Headset", call_audio(60.0), 8000, pace=0.05)
    src = source(system, "usb")
    previous = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(src):
        n = 0
        for block in src.blocks():
            n += len(block.caller)
            if n >= RATE_HZ and not src.stopping:
                os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is previous
    assert src.end_reason == "stopped"
    assert n == mic.cursor * 2  # all delivered audio came out
    assert src.status_events[-1].kind == "closed"


def test_unknown_device_name_and_no_devices() -> None:
    system = FakeAudioSystem()
    system.add_input("USB Headset", call_audio(0.1), 8000)
    with pytest.raises(DeviceError, match=r"unknown input device 'jabra'.*USB Headset"):
        source(system, "jabra")
    with pytest.raises(DeviceError, match=r"PortAudio found no audio devices"):
        LiveSource("usb", backend=FakeDeviceBackend([]))


def test_device_that_cannot_open_at_the_rate() -> None:
    system = FakeAudioSystem()
    system.add_input("USB Headset", call_audio(0.1), 8000)
    src = source(system, "usb", rate_hz=44100)
    with pytest.raises(DeviceError, match=r"cannot open input device \[0\] USB Headset .* at 44100 Hz"):
        list(src.blocks())


def test_bad_options() -> None:
    system = FakeAudioSystem()
    system.add_input("USB Headset", call_audio(0.1), 8000)
    with pytest.raises(UsageError, match=r"stop\|retry"):
        source(system, "usb", on_lost="panic")
    with pytest.raises(UsageError, match=r"agent channel is 'none'"):
        source(system, "usb", "usb", agent_channel="none")


def test_real_portaudio_on_this_machine() -> None:
    """With the real sounddevice backend: no sound card here, so a clear DeviceError."""
    import sounddevice as sd

    if list(sd.query_devices()):
        src = LiveSource(None)
        assert src.info.rate_hz >= 8000
        src.close()
    else:
        with pytest.raises(DeviceError, match=r"PortAudio found no audio devices"):
            LiveSource("usb headset")


def test_two_devices_at_different_rates() -> None:
    rate_a, rate_b = 8000, 48000
    t_a = np.arange(rate_a) / rate_a
    t_b = np.arange(rate_b) / rate_b
    system = FakeAudioSystem()
    system.add_input("Phone line", (9000 * np.sin(2 * np.pi * 300 * t_a)).astype(np.int16), rate_a)
    system.add_input("Headset mic", (9000 * np.sin(2 * np.pi * 700 * t_b)).astype(np.int16), rate_b)
    with source(system, "phone", "headset") as src:
        assert src.info.rate_hz == rate_a and src.info.channels == 2
        caller, agent = concat(list(src.blocks()))
    assert agent is not None and len(caller) == len(agent) == RATE_HZ
    for pcm, hz in ((caller, 300), (agent, 700)):
        spectrum = np.abs(np.fft.rfft(pcm[1000:-1000].astype(np.float64)))
        freqs = np.fft.rfftfreq(len(pcm) - 2000, 1 / RATE_HZ)
        assert abs(freqs[int(np.argmax(spectrum))] - hz) <= 2
