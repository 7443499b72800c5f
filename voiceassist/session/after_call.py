"""The after-call decision, one owner for every front-end: the call's cues + policy + the pack's
texts -> the cues for the agent when a call ends, and what the store should record.

Pure: no store, no clock. The only history it needs from outside the call (how many hard calls
this agent had lately, for the break suggestion) is passed in as a number, read by the caller
through one function (:meth:`voiceassist.store.recorder.CallRecorder.recent_hard_calls`).

Rules (``rules/policy.toml`` ``[after_call]`` and the ``wellbeing.*`` settings):

- ``caller_flagged``: a cue of at least ``flag_min_severity`` from one of ``flag_categories``;
  the caller is flagged in the store for each such category (reason: its worst cue).
- ``take_a_breath``: a cue of at least ``take_a_breath_min_severity`` (a *hard* call); as a break
  suggestion (form ``break``) when this makes ``break_after_hard_calls`` hard calls of this
  agent within ``break_window_min`` minutes.

Texts come from the agent's language pack (``cues.toml``), so an Italian call ends with
"Fai un respiro", whatever the front-end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voiceassist.events import Cue, Severity

#: ``cue id -> (say, script)`` in the agent's language, or None when the pack has no text.
CueTexts = Callable[[str], "tuple[str, str] | None"]

_RANK = {"info": 0, "warn": 1, "urgent": 2}


@dataclass(frozen=True)
class AfterCallPolicy:
    """What decides the after-call cues."""

    take_a_breath_min_severity: str = "warn"
    flag_min_severity: str = "warn"
    flag_categories: tuple[str, ...] = ()
    #: Severity of the two after-call cues (``[cues.*]`` of the policy).
    flagged_severity: Severity = "info"
    breath_severity: Severity = "info"
    #: A break is suggested at this many hard calls (this one included) within the window, min.
    break_after_hard_calls: int = 3
    break_window_min: int = 60
    break_minutes: int = 5

    @classmethod
    def from_policy(cls, policy: Any, settings: Mapping[str, Any] | None = None) -> AfterCallPolicy:
        """From an escalation :class:`~voiceassist.escalation.model.Policy` and the
        ``wellbeing.*`` settings (defaults when not given)."""
        ac = policy.after_call
        s = settings or {}

        def severity(cue_id: str) -> Severity:
            cp = policy.cues.get(cue_id)
            return getattr(cp, "severity", "info") or "info"

        return cls(
            take_a_breath_min_severity=ac.take_a_breath_min_severity,
            flag_min_severity=ac.flag_min_severity,
            flag_categories=tuple(ac.flag_categories),
            flagged_severity=severity("caller_flagged"),
            breath_severity=severity("take_a_breath"),
            break_after_hard_calls=int(s.get("wellbeing.break_after_hard_calls", cls.break_after_hard_calls)),
            break_window_min=int(s.get("wellbeing.break_window_min", cls.break_window_min)),
            break_minutes=int(s.get("wellbeing.break_minutes", cls.break_minutes)),
        )


@dataclass(frozen=True)
class AfterCallDecision:
    """What the end of a call brings."""

    #: Cues for the agent now (``caller_flagged``, ``take_a_breath``), in the agent's language.
    cues: tuple[Cue, ...] = ()
    #: The call had a cue of at least ``take_a_breath_min_severity``.
    hard: bool = False
    #: ``(category, reason cue id)`` the caller is flagged for (recorded by the store).
    flags: tuple[tuple[str, str], ...] = ()
    suggest_break: bool = False
    #: Hard calls of this agent in the break window, this one included (0 when unknown).
    hard_calls_in_window: int = 0


class CueTally:
    """What the after-call decision needs of a call's cues, in memory bounded by the number of
    categories (a long call fires cues without end): per category the first cue of its highest
    ``(severity, rung)``, per severity the number of cues and the last one. Coaching and
    wellbeing cues are not counted (they are not the caller's)."""

    def __init__(self, cues: Sequence[Cue] = ()) -> None:
        self._seq = 0
        #: category -> (order, first cue of the highest (severity rank, rung)).
        self.best: dict[str, tuple[int, Cue]] = {}
        #: severity rank -> number of cues.
        self.count: dict[int, int] = {}
        #: severity rank -> (order, last cue).
        self.last: dict[int, tuple[int, Cue]] = {}
        for c in cues:
            self.add(c)

    def add(self, cue: Cue) -> None:
        """Count one cue of the call (in call order)."""
        if cue.category in ("coaching", "wellbeing"):
            return
        n, self._seq = self._seq, self._seq + 1
        rank = _RANK[cue.severity]
        best = self.best.get(cue.category)
        if best is None or (rank, cue.rung) > (_RANK[best[1].severity], best[1].rung):
            self.best[cue.category] = (n, cue)
        self.count[rank] = self.count.get(rank, 0) + 1
        self.last[rank] = (n, cue)

    def any_at_least(self, severity: str) -> bool:
        """A cue of at least ``severity`` was counted."""
        return any(r >= _RANK[severity] for r in self.count)


def decide_after_call(
    history: Sequence[Cue] | CueTally,
    policy: AfterCallPolicy,
    texts: CueTexts,
    *,
    at_ms: int,
    hard_calls_before: int | None = None,
) -> AfterCallDecision:
    """The after-call decision for a call whose caller-side cues were ``history`` (the cues in
    order, or their :class:`CueTally`; ms of call time; the call ended at ``at_ms``).
    ``hard_calls_before``: this agent's hard calls within the break window before this one
    (None = unknown, no break suggestion)."""
    tally = history if isinstance(history, CueTally) else CueTally(history)
    out: list[Cue] = []
    flag_rank = _RANK[policy.flag_min_severity]
    flags: dict[str, Cue] = {}
    flagged: list[tuple[int, Cue]] = []
    for cat in policy.flag_categories:
        got = tally.best.get(cat)
        if got is not None and _RANK[got[1].severity] >= flag_rank:
            flags[cat] = got[1]
            flagged.append(got)
    if flagged:
        # The first cue (in call order) of the highest (severity, rung) of the flagged categories.
        worst = min(flagged, key=lambda nc: (-_RANK[nc[1].severity], -nc[1].rung, nc[0]))[1]
        say, script = texts("caller_flagged") or ("", "")
        out.append(Cue(at_ms=at_ms, cue="caller_flagged", category=worst.category, form=worst.form,
                       rung=worst.rung, severity=policy.flagged_severity, say=say, script=script,
                       rule=worst.rule, utterance=worst.utterance,
                       why=f"flag the caller for the next agent: {worst.category}/{worst.form} "
                           f"reached {worst.cue} ({worst.severity})"))
    hard_rank = _RANK[policy.take_a_breath_min_severity]
    n_hard = sum(n for r, n in tally.count.items() if r >= hard_rank)
    last_hard = max((v for r, v in tally.last.items() if r >= hard_rank), default=None, key=lambda nc: nc[0])
    count = 0
    suggest = False
    if last_hard is not None:
        say, script = texts("take_a_breath") or ("", "")
        why = f"hard call: {n_hard} cue(s) of severity {policy.take_a_breath_min_severity} or above"
        form, rung = "after_call", 1
        if hard_calls_before is not None:
            count = hard_calls_before + 1
            if count >= policy.break_after_hard_calls:
                suggest, form, rung = True, "break", 2
                why = (f"{count} hard calls in {policy.break_window_min} min: "
                       f"a {policy.break_minutes}-minute break")
        out.append(Cue(at_ms=at_ms, cue="take_a_breath", category="wellbeing", form=form, rung=rung,
                       severity=policy.breath_severity, say=say, script=script,
                       utterance=last_hard[1].utterance, why=why))
    return AfterCallDecision(
        cues=tuple(out), hard=last_hard is not None,
        flags=tuple((cat, cue.cue) for cat, cue in sorted(flags.items())),
        suggest_break=suggest, hard_calls_in_window=count,
    )


def heads_up_cue(heads_up: Any, texts: CueTexts, at_ms: int = 0) -> Cue:
    """A flagged caller's heads-up at call start as a ``caller_flagged`` cue in the agent's
    language (``heads_up``: :class:`voiceassist.store.recorder.HeadsUp`)."""
    top = max(heads_up.flags, key=lambda f: f.count)
    say, script = texts("caller_flagged") or ("", "")
    return Cue(at_ms=at_ms, cue="caller_flagged", category="wellbeing", form=top.category, rung=1,
               severity="warn", say=say or heads_up.say, script=script or heads_up.script,
               why=f"{heads_up.say}; thresholds lowered for this call")


__all__ = ["AfterCallDecision", "AfterCallPolicy", "CueTally", "CueTexts", "decide_after_call",
           "heads_up_cue"]
