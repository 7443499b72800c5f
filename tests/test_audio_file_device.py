"""``run --input``'s recording-as-a-device and the fake devices share one stream base: blocks on
their own thread, ``finished_callback`` exactly once, ``eof`` only at the end of the data, and
``stop()`` mid-stream ends delivery."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceassist.audio.fake_stream import FakeAudioSystem
from voiceassist.audio.file_device import FileInputDevice
from voiceassist.audio.thread_stream import ThreadInputStream

RATE = 16000


def stereo_file(tmp_path: Path, seconds: float) -> Path:
    n = int(seconds * RATE)
    caller = (np.arange(n) % 200 - 100).astype(np.int16) * 100
    path = tmp_path / "call.wav"
    sf.write(path, np.stack([caller, -caller], axis=1), RATE, subtype="PCM_16")
    return path


class Sink:
    def __init__(self) -> None:
        self.frames = 0
        self.finished = 0
        self.first = threading.Event()
        self.blocks: list[np.ndarray] = []

    def callback(self, data: np.ndarray, frames: int, _t: object, _s: object) -> None:
        self.frames += frames
        self.blocks.append(data.copy())
        self.first.set()

    def done(self) -> None:
        self.finished += 1


def test_a_file_plays_to_its_end_with_both_channels(tmp_path: Path) -> None:
    dev = FileInputDevice(stereo_file(tmp_path, 1.0), pace=0)
    sink = Sink()
    stream = dev.open_stream(device=0, samplerate=RATE, channels=2, blocksize=320,
                             callback=sink.callback, finished_callback=sink.done)
    assert isinstance(stream, ThreadInputStream)
    stream.start()
    assert stream.wait_done()
    assert sink.frames == RATE and stream.eof and not stream.active
    both = np.concatenate(sink.blocks)
    assert both.shape == (RATE, 2) and np.allclose(both[:, 0], -both[:, 1])
    stream.close()
    assert sink.finished == 1


def test_stop_mid_file_ends_delivery_without_eof(tmp_path: Path) -> None:
    dev = FileInputDevice(stereo_file(tmp_path, 30.0), pace=1.0)  # real time: far from its end
    sink = Sink()
    stream = dev.open_stream(device=0, samplerate=RATE, channels=1, blocksize=320,
                             callback=sink.callback, finished_callback=sink.done)
    stream.start()
    assert sink.first.wait(10)
    stream.stop()
    assert stream.done.is_set() and not stream.eof and not stream.active
    delivered = sink.frames
    assert 0 < delivered < 30 * RATE and sink.blocks[0].shape[1] == 1
    stream.abort()
    assert sink.frames == delivered and sink.finished == 1


def test_a_fake_device_ends_like_a_file_through_the_same_base() -> None:
    system = FakeAudioSystem()
    system.add_input("Fake line", np.zeros(RATE // 2, dtype=np.int16), RATE, default=True, pace=0.0)
    sink = Sink()
    stream = system.open_stream(device=0, samplerate=RATE, channels=1, blocksize=160,
                                callback=sink.callback, finished_callback=sink.done)
    assert isinstance(stream, ThreadInputStream)
    stream.start()
    assert stream.wait_done()
    stream.stop()
    assert sink.frames == RATE // 2 and stream.eof and sink.finished == 1
