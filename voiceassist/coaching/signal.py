"""What a coaching detector reports before the engine turns it into a cue."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    """One detected habit: ``name`` is a key of :data:`voiceassist.coaching.policy.SIGNALS`."""

    name: str
    #: When it was detected, ms of call time.
    at_ms: int
    #: The agent's words that triggered it (lexicon signals), as spoken.
    matched: tuple[str, ...] = ()
    #: ``file:line`` of the lexicon entry, or the policy table, behind it.
    rule: str = ""
    #: Utterance number (agent side) of the trigger, 0 when none.
    utterance: int = 0
    #: One line for people: why this fired.
    why: str = ""


__all__ = ["Signal"]
