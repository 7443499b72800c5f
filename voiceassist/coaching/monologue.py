"""Long monologues: the agent talks on while the caller stays silent.

Pure, fed with corrected speech onsets/ends (ms of call time, see
:mod:`voiceassist.coaching.talkover` for the VAD shifts). A monologue starts at an agent onset
after the caller's last speech; agent pauses shorter than ``gap_ms`` do not end it; any caller
speech does. Once it has lasted ``max_ms`` while the agent is still speaking, it is reported once.
"""

from __future__ import annotations

from voiceassist.coaching.policy import MonologuePolicy


class MonologueDetector:
    """Reports (once per monologue) the start of a monologue longer than ``max_ms``."""

    def __init__(self, policy: MonologuePolicy | None = None) -> None:
        self.policy = policy or MonologuePolicy()
        self._start: int | None = None
        self._agent_open = False
        self._last_end: int | None = None
        self._fired = False
        #: (start, reported at) of every long monologue, ms.
        self.found: list[tuple[int, int]] = []

    def agent_start(self, onset_ms: int) -> None:
        """Agent speech began at ``onset_ms`` (corrected)."""
        gap_over = self._last_end is not None and onset_ms - self._last_end > self.policy.gap_ms
        if self._start is None or gap_over:
            self._start = onset_ms
            self._fired = False
        self._agent_open = True

    def agent_end(self, end_ms: int) -> None:
        """Agent speech ended at ``end_ms`` (corrected)."""
        self._agent_open = False
        self._last_end = end_ms

    def caller_start(self, onset_ms: int) -> None:
        """The caller spoke: whatever the agent says next is a new turn."""
        self._start = None
        self._last_end = None
        self._fired = False

    def advance(self, now_ms: int) -> int | None:
        """Call time reached ``now_ms``; returns the monologue's start when it just got too long."""
        if self._start is None or self._fired or not self._agent_open:
            return None
        if now_ms - self._start >= self.policy.max_ms:
            self._fired = True
            self.found.append((self._start, now_ms))
            return self._start
        return None


__all__ = ["MonologueDetector"]
