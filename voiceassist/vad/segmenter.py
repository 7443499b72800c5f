"""A pure VAD segmenter: 16 kHz samples in, speech segments and speech audio out.

Advanced by audio time only (no clock, no I/O). Arbitrary block sizes are re-chunked into
fixed webrtcvad frames with a leftover buffer, so the output does not depend on how the audio
was cut into blocks (only :class:`SpeechAudio` chunk boundaries may differ; their samples and
start times do not).

Output, in call order, is a list of:

* :class:`voiceassist.events.SpeechSegment` ``start`` / ``end`` (ms of call time; the start
  includes the pre-roll, the end includes the hangover),
* :class:`SpeechAudio`: the samples of a segment with their call-time start sample, the only
  audio a recogniser needs to see,
* :class:`UtteranceEnd`: the silence after the last voiced frame reached ``end_gap_ms``; the
  recogniser should finalise the utterance.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voiceassist.audio.block import RATE_HZ, Pcm16, samples_to_ms
from voiceassist.events import Speaker, SpeechSegment
from voiceassist.vad.config import VadConfig

#: Classifies one frame of int16 little-endian bytes as speech (True) or not.
FrameClassifier = Callable[[bytes], bool]


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    """Speech samples (16 kHz int16) for the recogniser, starting at ``start_sample`` of call time."""

    pcm: Pcm16
    start_sample: int

    @property
    def start_ms(self) -> int:
        """Start of the audio, ms of call time."""
        return samples_to_ms(self.start_sample)

    @property
    def end_sample(self) -> int:
        """One past the last sample, samples of call time."""
        return self.start_sample + len(self.pcm)


@dataclass(frozen=True)
class UtteranceEnd:
    """The end-of-utterance gap elapsed at ``at_sample`` (samples of call time)."""

    at_sample: int

    @property
    def at_ms(self) -> int:
        """When the gap elapsed, ms of call time."""
        return samples_to_ms(self.at_sample)


VadOutput = SpeechSegment | SpeechAudio | UtteranceEnd


def webrtc_classifier(aggressiveness: int) -> FrameClassifier:
    """A webrtcvad frame classifier at 16 kHz (imported lazily)."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)

    def is_speech(frame: bytes) -> bool:
        return bool(vad.is_speech(frame, RATE_HZ))

    return is_speech


class VadSegmenter:
    """Turns one channel's samples into speech segments, speech audio and utterance ends.

    ``classifier`` defaults to webrtcvad with ``config.aggressiveness``; tests may pass any
    ``bytes -> bool`` function. Samples are counted from the start of the call: the first
    sample given to :meth:`process` is sample 0 unless ``start_sample`` says otherwise.
    """

    def __init__(
        self,
        speaker: Speaker = "caller",
        config: VadConfig | None = None,
        *,
        classifier: FrameClassifier | None = None,
        start_sample: int = 0,
    ) -> None:
        self.speaker: Speaker = speaker
        self.config = config or VadConfig()
        self._classify = classifier or webrtc_classifier(self.config.aggressiveness)
        self._frame = self.config.frame_samples
        self._hangover = self.config.hangover_frames
        self._start_frames = self.config.start_frames
        self._end_gap = self.config.end_gap_frames * self._frame
        self._leftover: Pcm16 = np.zeros(0, dtype=np.int16)
        #: Call-time sample of the first sample not yet framed (start of the leftover).
        self._pos = start_sample
        self._pending: deque[tuple[int, Pcm16]] = deque(
            maxlen=self.config.preroll_frames + self._start_frames
        )
        self._voiced_run = 0
        self._unvoiced_run = 0
        self._in_segment = False
        self._utterance_open = False
        self._last_voiced_end = 0
        # Contiguous speech audio collected during one process() call.
        self._chunk: list[Pcm16] = []
        self._chunk_start = 0
        self._chunk_end = 0

    @property
    def in_segment(self) -> bool:
        """True while a speech segment is open."""
        return self._in_segment

    @property
    def position_sample(self) -> int:
        """Samples of call time consumed so far (framed or waiting in the leftover buffer)."""
        return self._pos + len(self._leftover)

    def process(self, pcm: Pcm16) -> list[VadOutput]:
        """Feed the next samples (any length, int16 at 16 kHz); returns what they completed."""
        out: list[VadOutput] = []
        data = np.asarray(pcm, dtype=np.int16).reshape(-1)
        if len(self._leftover):
            data = np.concatenate((self._leftover, data))
        frame = self._frame
        usable = len(data) - len(data) % frame
        for offset in range(0, usable, frame):
            self._step(self._pos + offset, data[offset : offset + frame], out)
        self._pos += usable
        self._leftover = data[usable:].copy()
        self._flush_chunk(out)
        return out

    def finish(self) -> list[VadOutput]:
        """End of the audio: close an open segment and utterance at the last sample."""
        out: list[VadOutput] = []
        end = self._pos + len(self._leftover)
        if self._in_segment:
            if len(self._leftover):
                self._emit_audio(self._pos, self._leftover, out)
            self._flush_chunk(out)
            self._in_segment = False
            out.append(SpeechSegment(speaker=self.speaker, kind="end", at_ms=samples_to_ms(end)))
        if self._utterance_open:
            self._utterance_open = False
            out.append(UtteranceEnd(end))
        self._pos = end
        self._leftover = np.zeros(0, dtype=np.int16)
        self._pending.clear()
        self._voiced_run = self._unvoiced_run = 0
        return out

    # ------------------------------------------------------------------------------------------
    def _step(self, start: int, frame: Pcm16, out: list[VadOutput]) -> None:
        voiced = self._classify(frame.tobytes())
        end = start + len(frame)
        if self._in_segment:
            if voiced:
                self._unvoiced_run = 0
                self._last_voiced_end = end
                self._emit_audio(start, frame, out)
                return
            self._unvoiced_run += 1
            if self._unvoiced_run <= self._hangover:
                self._emit_audio(start, frame, out)
                return
            # Hangover used up: the segment ends where this frame starts.
            self._flush_chunk(out)
            self._in_segment = False
            self._voiced_run = 0
            out.append(SpeechSegment(speaker=self.speaker, kind="end", at_ms=samples_to_ms(start)))
        self._pending.append((start, frame))
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        if self._voiced_run >= self._start_frames:
            first = self._pending[0][0]
            out.append(SpeechSegment(speaker=self.speaker, kind="start", at_ms=samples_to_ms(first)))
            for s, f in self._pending:
                self._emit_audio(s, f, out)
            self._pending.clear()
            self._in_segment = True
            self._utterance_open = True
            self._unvoiced_run = 0
            self._last_voiced_end = end
            return
        if self._utterance_open and end - self._last_voiced_end >= self._end_gap:
            self._utterance_open = False
            out.append(UtteranceEnd(end))

    def _emit_audio(self, start: int, frame: Pcm16, out: list[VadOutput]) -> None:
        if self._chunk and self._chunk_end != start:
            self._flush_chunk(out)
        if not self._chunk:
            self._chunk_start = start
        self._chunk.append(frame)
        self._chunk_end = start + len(frame)

    def _flush_chunk(self, out: list[VadOutput]) -> None:
        if self._chunk:
            pcm = self._chunk[0] if len(self._chunk) == 1 else np.concatenate(self._chunk)
            out.append(SpeechAudio(pcm=pcm.copy(), start_sample=self._chunk_start))
            self._chunk = []
