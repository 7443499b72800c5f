"""The recogniser interface and the map from recogniser time to call time.

A recogniser only sees speech (the VAD drops the silence between segments), so its own clock
runs slower than the call. :class:`TimeMap` remembers, for every jump, which call-time sample
a recogniser sample corresponds to, so word times can be reported in ms of call time.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Protocol

from voiceassist.audio.block import Pcm16
from voiceassist.events import Speaker, Transcript


class Recognizer(Protocol):
    """Streaming speech-to-text for one speaker. Every method returns the events it completed.

    Times are samples of call time at 16 kHz (``start_sample``, ``at_sample``); the events carry
    ms of call time.
    """

    speaker: Speaker

    def accept(self, pcm: Pcm16, start_sample: int) -> list[Transcript]:
        """Speech samples (16 kHz int16) that start at ``start_sample`` of call time."""
        ...

    def advance(self, now_sample: int) -> list[Transcript]:
        """Call time has reached ``now_sample`` (called for every stretch of audio, speech or not)."""
        ...

    def end_utterance(self, at_sample: int) -> list[Transcript]:
        """The VAD says the utterance is over: settle it (emit its final)."""
        ...

    def flush(self, at_sample: int) -> list[Transcript]:
        """End of the call at ``at_sample``: emit whatever is still pending."""
        ...


class TimeMap:
    """Maps recogniser sample offsets to call-time samples across skipped silence.

    :meth:`add` records that recogniser sample ``rec`` is call sample ``call``; between anchors
    time runs at the same speed for both.
    """

    def __init__(self) -> None:
        self._rec: list[int] = []
        self._call: list[int] = []

    def add(self, rec: int, call: int) -> None:
        """Recogniser sample ``rec`` (non-decreasing) corresponds to call sample ``call``."""
        if self._rec and self._rec[-1] == rec:
            self._call[-1] = call
            return
        self._rec.append(rec)
        self._call.append(call)

    def to_call(self, rec: int) -> int:
        """Call-time sample of recogniser sample ``rec``."""
        if not self._rec:
            return rec
        i = max(0, bisect_right(self._rec, rec) - 1)
        return self._call[i] + (rec - self._rec[i])

    def to_call_end(self, rec_end: int) -> int:
        """Call-time sample just after recogniser sample ``rec_end - 1`` (for end times, so an
        end that falls on a jump stays with the audio before it)."""
        if rec_end <= 0:
            return self.to_call(0)
        return self.to_call(rec_end - 1) + 1

    def drop_before(self, rec: int) -> None:
        """Forget anchors that only cover recogniser samples before ``rec`` (keeps memory flat)."""
        i = bisect_right(self._rec, rec) - 1
        if i > 0:
            del self._rec[:i]
            del self._call[:i]

    def __len__(self) -> int:
        return len(self._rec)
