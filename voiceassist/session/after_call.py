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


def decide_after_call(
    history: Sequence[Cue],
    policy: AfterCallPolicy,
    texts: CueTexts,
    *,
    at_ms: int,
    hard_calls_before: int | None = None,
) -> AfterCallDecision:
    """The after-call decision for a call whose caller-side cues were ``history`` (ms of call
    time; the call ended at ``at_ms``). ``hard_calls_before``: this agent's hard calls within
    the break window before this one (None = unknown, no break suggestion)."""
    caller = [c for c in history if c.category not in ("coaching", "wellbeing")]
    out: list[Cue] = []
    flagged = [c for c in caller if c.category in policy.flag_categories
               and _RANK[c.severity] >= _RANK[policy.flag_min_severity]]
    flags: dict[str, Cue] = {}
    for c in flagged:
        best = flags.get(c.category)
        if best is None or (_RANK[c.severity], c.rung) > (_RANK[best.severity], best.rung):
            flags[c.category] = c
    if flagged:
        worst = max(flagged, key=lambda c: (_RANK[c.severity], c.rung))
        say, script = texts("caller_flagged") or ("", "")
        out.append(Cue(at_ms=at_ms, cue="caller_flagged", category=worst.category, form=worst.form,
                       rung=worst.rung, severity=policy.flagged_severity, say=say, script=script,
                       rule=worst.rule, utterance=worst.utterance,
                       why=f"flag the caller for the next agent: {worst.category}/{worst.form} "
                           f"reached {worst.cue} ({worst.severity})"))
    hard = [c for c in caller if _RANK[c.severity] >= _RANK[policy.take_a_breath_min_severity]]
    count = 0
    suggest = False
    if hard:
        say, script = texts("take_a_breath") or ("", "")
        why = f"hard call: {len(hard)} cue(s) of severity {policy.take_a_breath_min_severity} or above"
        form, rung = "after_call", 1
        if hard_calls_before is not None:
            count = hard_calls_before + 1
            if count >= policy.break_after_hard_calls:
                suggest, form, rung = True, "break", 2
                why = (f"{count} hard calls in {policy.break_window_min} min: "
                       f"a {policy.break_minutes}-minute break")
        out.append(Cue(at_ms=at_ms, cue="take_a_breath", category="wellbeing", form=form, rung=rung,
                       severity=policy.breath_severity, say=say, script=script,
                       utterance=hard[-1].utterance, why=why))
    return AfterCallDecision(
        cues=tuple(out), hard=bool(hard),
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


__all__ = ["AfterCallDecision", "AfterCallPolicy", "CueTexts", "decide_after_call", "heads_up_cue"]
