"""The one scripted fake escalation engine of the test suite.

Tests about the call loop, the eval harness or the pipeline wiring replace the real rule engine
with :class:`ScriptedEngine`, so that what they check does not move when the rules do. It cues at
the end of each trigger word a caller says (once per word: a word seen again in a later partial or
the final of the same utterance is not cued twice) and climbs a scripted ladder, one rung per
trigger; it keeps every transcript it was given in :attr:`ScriptedEngine.seen`.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceassist.events import Cue, Transcript

#: Words that trigger a cue by default.
TRIGGERS = ("idiot", "moron")
#: The ladder of :class:`ScriptedEngine` with ``ladder=LADDER``: the fourth insult ends the call.
LADDER = ("state_boundary", "warn_consequence", "offer_transfer", "end_call")
#: Whispered words of the scripted cues (others: the cue id with spaces).
SAY = {"state_boundary": "Set the boundary"}
SCRIPT = "I want to help, and I can once we keep this respectful."


def word(text: str) -> str:
    """``text`` as the engine compares it: lower case, without trailing punctuation."""
    return text.lower().strip(".,!?")


class ScriptedEngine:
    """A cue at the end of each trigger word of the caller, climbing ``ladder``.

    ``ladder``: the cue ids, one rung per trigger; ``repeat_top``: once the ladder's top is
    reached, cue it again for every further trigger (else nothing more in this call, like the real
    engine after ``end_call``). ``finals_only``: ignore partial transcripts (a cue only when the
    utterance is final). Rungs count the triggers cued so far (1-based).
    """

    def __init__(self, triggers: Sequence[str] = TRIGGERS, *, ladder: Sequence[str] = ("state_boundary",),
                 repeat_top: bool = True, finals_only: bool = False) -> None:
        self.triggers = tuple(word(t) for t in triggers)
        self.ladder = tuple(ladder)
        self.repeat_top = repeat_top
        self.finals_only = finals_only
        #: Every transcript given to :meth:`process`, in order.
        self.seen: list[Transcript] = []
        #: Cues emitted so far.
        self.cued: list[Cue] = []
        self._fired: set[tuple[int, int]] = set()

    def process(self, t: Transcript) -> list[Cue]:
        self.seen.append(t)
        if t.speaker != "caller" or (self.finals_only and t.kind != "final"):
            return []
        out = []
        for w in t.words:
            key = (t.utterance, w.start_ms)
            if word(w.text) not in self.triggers or key in self._fired:
                continue
            self._fired.add(key)
            n = len(self.cued)
            if n >= len(self.ladder) and not self.repeat_top:
                continue  # the top was reached: nothing lower any more
            cue = self.ladder[min(n, len(self.ladder) - 1)]
            c = Cue(at_ms=w.end_ms, cue=cue, category="abuse", form="insult", rung=n + 1,
                    severity="urgent" if cue == "end_call" else "warn",
                    say=SAY.get(cue, cue.replace("_", " ")),
                    script=SCRIPT, matched=(w.text,), rule="test:1", utterance=t.utterance,
                    why=f"insult {w.text}")
            self.cued.append(c)
            out.append(c)
        return out


def ladder_engine() -> ScriptedEngine:
    """The scripted ladder: each insult one rung up :data:`LADDER`, nothing after ``end_call``."""
    return ScriptedEngine(ladder=LADDER, repeat_top=False)


__all__ = ["LADDER", "SAY", "SCRIPT", "TRIGGERS", "ScriptedEngine", "ladder_engine"]
