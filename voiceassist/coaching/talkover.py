"""Talk-over: the agent starts speaking while the caller is still speaking.

Pure and advanced by audio time: feed it :class:`~voiceassist.events.SpeechSegment` events of
both speakers in time order. An *overlap* is an agent speech start that falls inside a caller
speech segment (after the caller has been speaking for ``min_caller_ms``, so a back-channel
right at the caller's first syllable is not counted twice). Times are ms of call time.

VAD start events carry pre-roll: the detector takes ``onset_shift_ms`` (the VAD pre-roll) to put
the onset back where speech really began.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Overlap:
    """One interruption: the agent started at ``at_ms`` while the caller had been speaking since
    ``caller_since_ms`` (both ms of call time)."""

    at_ms: int
    caller_since_ms: int


@dataclass(frozen=True)
class TalkOverConfig:
    """Thresholds (ms of call time)."""

    #: The caller must have been speaking this long for an agent start to count as talk-over.
    min_caller_ms: int = 400
    #: Window over which overlaps are counted, ms.
    window_ms: int = 60_000
    #: Overlaps inside the window that make a cue (calm caller).
    per_window: int = 2
    #: Overlaps inside the window that make a cue while the caller is angry (PLAYBOOK 1: let them vent).
    per_window_angry: int = 1
    #: Added to VAD start times to undo pre-roll, ms.
    onset_shift_ms: int = 0


class TalkOverDetector:
    """Counts interruptions and says when a ``dont_interrupt`` cue is due."""

    def __init__(self, config: TalkOverConfig | None = None):
        self.config = config or TalkOverConfig()
        self._caller_since: int | None = None
        self._recent: deque[int] = deque()
        self.overlaps: list[Overlap] = []

    def caller_start(self, at_ms: int) -> None:
        """Caller speech began (VAD start, ms of call time)."""
        self._caller_since = at_ms + self.config.onset_shift_ms

    def caller_end(self, at_ms: int) -> None:
        """Caller speech ended (VAD end, ms of call time)."""
        self._caller_since = None

    def agent_start(self, at_ms: int, *, caller_angry: bool = False) -> Overlap | None:
        """Agent speech began; returns the overlap when this start interrupts the caller and the
        count inside the window reaches the threshold (then the counter restarts)."""
        onset = at_ms + self.config.onset_shift_ms
        since = self._caller_since
        if since is None or onset - since < self.config.min_caller_ms:
            return None
        overlap = Overlap(at_ms=onset, caller_since_ms=since)
        self.overlaps.append(overlap)
        self._recent.append(onset)
        while self._recent and onset - self._recent[0] > self.config.window_ms:
            self._recent.popleft()
        needed = self.config.per_window_angry if caller_angry else self.config.per_window
        if len(self._recent) >= needed:
            self._recent.clear()
            return overlap
        return None

    def per_minute(self, duration_ms: int) -> float:
        """Interruptions per minute of call."""
        return 0.0 if duration_ms <= 0 else len(self.overlaps) * 60_000 / duration_ms
