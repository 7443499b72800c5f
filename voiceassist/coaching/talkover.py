"""Talk-over: the agent starts speaking while the caller is still speaking.

Pure and advanced by audio time: feed it the VAD's speech starts and ends of both speakers (ms of
call time, in the order the pipeline emits them) and call :meth:`TalkOverDetector.advance` with
the current call time. An *interruption* is an agent onset that

* comes after the caller has been speaking for ``min_caller_ms`` (two people starting together is
  not an interruption),
* while the caller goes on speaking for at least ``min_overlap_ms`` after it (a quick reply right
  as the caller stops is not one), and
* starts agent speech lasting at least ``min_agent_ms`` (a short "mhm" is a back-channel, a sign of
  listening).

VAD start times include the pre-roll and end times the hangover: ``onset_shift_ms`` is added to
starts and ``end_shift_ms`` taken from ends to put them back where speech really began and ended
(:func:`shifts_for_vad` derives both from the VAD settings; measured on espeak-ng speech the
corrected onset is within ~20 ms of the real one). Because the caller's end arrives late (after the
hangover), an agent onset is a *candidate* until both conditions are known; ``advance`` and the
end events settle it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voiceassist.coaching.policy import TalkOverPolicy
from voiceassist.vad.config import VadConfig

#: Kept for callers of the first version: the thresholds are the policy's ``[talk_over]`` table.
TalkOverConfig = TalkOverPolicy


@dataclass(frozen=True)
class Overlap:
    """One interruption, ms of call time."""

    #: The agent's (corrected) speech onset.
    at_ms: int
    #: Since when the caller had been speaking (corrected onset).
    caller_since_ms: int
    #: When the interruption was known for sure (call time the detector had reached).
    confirmed_ms: int
    #: Set on the report of a *long* talk-over (:attr:`TalkOverPolicy.long_overlap_ms`): how
    #: long both had been speaking, ms. 0 on the first report of an interruption.
    long_ms: int = 0


@dataclass
class _Candidate:
    onset: int
    caller_since: int
    caller_ok: bool = False
    agent_ok: bool = False


def shifts_for_vad(vad: VadConfig) -> tuple[int, int]:
    """(onset_shift_ms, end_shift_ms) that undo the VAD's pre-roll and hangover: whole frames of
    each, plus half a frame for the frame grid."""
    half = vad.frame_ms // 2
    return vad.preroll_frames * vad.frame_ms + half, vad.hangover_frames * vad.frame_ms + half


class TalkOverDetector:
    """Finds interruptions; counts them for the ``dont_interrupt`` cue."""

    def __init__(self, config: TalkOverPolicy | None = None, *, vad: VadConfig | None = None) -> None:
        self.config = config or TalkOverPolicy()
        auto_on, auto_end = shifts_for_vad(vad or VadConfig())
        self.onset_shift = auto_on if self.config.onset_shift_ms < 0 else self.config.onset_shift_ms
        self.end_shift = auto_end if self.config.end_shift_ms < 0 else self.config.end_shift_ms
        self._caller_open = False
        self._caller_since: int | None = None
        self._caller_last_end: int | None = None
        self._agent_open = False
        self._cand: _Candidate | None = None
        self.overlaps: list[Overlap] = []
        #: The last interruption while both may still be speaking (for the long talk-over).
        self._current: Overlap | None = None

    # -- VAD events ------------------------------------------------------------------------------
    def caller_start(self, at_ms: int) -> None:
        """Caller speech began (VAD start, ms of call time, pre-roll included)."""
        onset = at_ms + self.onset_shift
        if self._caller_last_end is not None:
            onset = max(onset, self._caller_last_end)
        self._caller_open = True
        self._caller_since = onset

    def caller_end(self, at_ms: int) -> list[Overlap]:
        """Caller speech ended (VAD end, ms of call time, hangover included)."""
        real_end = at_ms - self.end_shift
        long = self._long(real_end, at_ms)
        self._caller_open = False
        self._caller_last_end = real_end
        self._current = None
        c = self._cand
        if c is not None and not c.caller_ok:
            if real_end - c.onset >= self.config.min_overlap_ms:
                c.caller_ok = True
            else:
                self._cand = None  # the caller had (nearly) finished: a reply, not talk-over
        return long + self._settle(at_ms)

    def agent_start(self, at_ms: int) -> None:
        """Agent speech began (VAD start, ms of call time, pre-roll included)."""
        self._agent_open = True
        onset = at_ms + self.onset_shift
        cfg = self.config
        since = self._caller_since
        if since is None or onset - since < cfg.min_caller_ms:
            return
        if self._caller_open:
            self._cand = _Candidate(onset, since)
        elif self._caller_last_end is not None and self._caller_last_end - onset >= cfg.min_overlap_ms:
            self._cand = _Candidate(onset, since, caller_ok=True)

    def agent_end(self, at_ms: int) -> list[Overlap]:
        """Agent speech ended (VAD end, ms of call time, hangover included)."""
        long = self._long(at_ms - self.end_shift, at_ms)
        self._agent_open = False
        self._current = None
        c = self._cand
        if c is not None and not c.agent_ok:
            if at_ms - self.end_shift - c.onset >= self.config.min_agent_ms:
                c.agent_ok = True
            else:
                self._cand = None  # a back-channel
        return long + self._settle(at_ms)

    # -- time ------------------------------------------------------------------------------------
    def advance(self, now_ms: int) -> list[Overlap]:
        """Call time reached ``now_ms``: settle a candidate whose speakers are still talking, and
        report a long talk-over (see :attr:`Overlap.long_ms`)."""
        long = self._long(now_ms - self.end_shift, now_ms)
        c = self._cand
        if c is None:
            return long
        spoken = now_ms - self.end_shift - c.onset  # speech certainly lasted this long
        if self._caller_open and spoken >= self.config.min_overlap_ms:
            c.caller_ok = True
        if self._agent_open and spoken >= self.config.min_agent_ms:
            c.agent_ok = True
        return long + self._settle(now_ms)

    def _long(self, both_until_ms: int, now_ms: int) -> list[Overlap]:
        """The current interruption as a long talk-over, once both have spoken over each other
        for ``long_overlap_ms`` (speech certain until ``both_until_ms``); reported once."""
        cur, limit = self._current, self.config.long_overlap_ms
        if cur is None or limit <= 0 or not (self._caller_open and self._agent_open):
            return []
        held = both_until_ms - cur.at_ms
        if held < limit:
            return []
        self._current = None
        return [replace(cur, confirmed_ms=now_ms, long_ms=held)]

    def _settle(self, now_ms: int) -> list[Overlap]:
        c = self._cand
        if c is None or not (c.caller_ok and c.agent_ok):
            return []
        self._cand = None
        ov = Overlap(at_ms=c.onset, caller_since_ms=c.caller_since, confirmed_ms=now_ms)
        self.overlaps.append(ov)
        self._current = ov if (self._caller_open and self._agent_open) else None
        return [ov, *self._long(now_ms - self.end_shift, now_ms)]

    # -- counts ----------------------------------------------------------------------------------
    def count_since(self, since_ms: int) -> int:
        """Interruptions whose onset is at or after ``since_ms``."""
        return sum(1 for o in self.overlaps if o.at_ms >= since_ms)

    def per_minute(self, duration_ms: int) -> float:
        """Interruptions per minute of call."""
        return 0.0 if duration_ms <= 0 else len(self.overlaps) * 60_000 / duration_ms


__all__ = ["Overlap", "TalkOverConfig", "TalkOverDetector", "shifts_for_vad"]
