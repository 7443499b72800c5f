"""The after-call coaching summary shown on the agent's screen ("interruptions: 2; pace high in
minute 3"), in the agent's language (phrases from ``coaching.toml`` ``[summary]``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CoachingSummary:
    """What the agent's habits looked like on one call (counts of detections, cued or not)."""

    #: Call length, ms.
    duration_ms: int
    interruptions: int = 0
    #: 1-based minutes of the call in which the pace was high.
    pace_high_minutes: tuple[int, ...] = ()
    monologues: int = 0
    #: Jargon and talking-down detections.
    jargon: int = 0
    #: Rulebook, dead-end and brush-off phrases left without a reason or an alternative.
    rulebook: int = 0
    #: Caller problems / feelings left without an acknowledgement.
    apathy: int = 0
    #: A scripted opening (same as the last calls, or data before a human question).
    robotic: bool = False
    #: Coaching cues whispered during the call.
    cues: int = 0
    #: Highest agent speech rate seen in a window, syllables per second (None without speech).
    max_rate: float | None = None
    #: The one-line text for the screen.
    text: str = ""

    @property
    def clean(self) -> bool:
        """True when there was nothing to coach."""
        return not (self.interruptions or self.pace_high_minutes or self.monologues or self.jargon
                    or self.rulebook or self.apathy or self.robotic)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for the call log / store)."""
        d = asdict(self)
        d["pace_high_minutes"] = list(self.pace_high_minutes)
        return d


def _minutes(ms: tuple[int, ...]) -> str:
    return ", ".join(str(m) for m in ms)


def summary_text(s: CoachingSummary, phrases: dict[str, str]) -> str:
    """``title: part; part; part`` from the language's summary phrases."""
    parts: list[str] = []

    def add(key: str, n: int = 0, minutes: str = "") -> None:
        tpl = phrases.get(key)
        if tpl:
            parts.append(tpl.format(n=n, minutes=minutes))

    if s.interruptions:
        add("interruptions", s.interruptions)
    if s.pace_high_minutes:
        add("pace_high", len(s.pace_high_minutes), _minutes(s.pace_high_minutes))
    if s.monologues:
        add("monologue", s.monologues)
    if s.jargon:
        add("jargon", s.jargon)
    if s.rulebook:
        add("rulebook", s.rulebook)
    if s.apathy:
        add("apathy", s.apathy)
    if s.robotic:
        add("robotic", 1)
    if not parts:
        add("none")
    title = phrases.get("title", "")
    body = "; ".join(parts)
    return f"{title}: {body}" if title else body


__all__ = ["CoachingSummary", "summary_text"]
