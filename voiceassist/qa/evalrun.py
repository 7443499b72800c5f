"""One evaluated call: the record ``voiceassist eval`` builds per file and mode, shared by the JSON
output, the JUnit writer and the HTML report.

A call is run through the replay pipeline once per *mode*: ``ref`` (reference transcript
``CALL.vtt``) and/or ``asr`` (the speech model). Times are ms of call time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from voiceassist.events import Cue, Transcript
from voiceassist.qa.evaluate import CallMatch, match_call
from voiceassist.qa.expectations import Expectations

Mode = Literal["ref", "asr"]


@dataclass(frozen=True)
class Span:
    """Speech activity of one speaker, ms of call time."""

    speaker: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class CallRun:
    """Everything known about one call in one mode."""

    #: The audio path as given on the command line (or found in a folder), POSIX style.
    call: str
    lang: str
    mode: Mode
    duration_ms: int
    #: Final transcripts of both speakers, in time order.
    finals: tuple[Transcript, ...] = ()
    speech: tuple[Span, ...] = ()
    cues: tuple[Cue, ...] = ()
    #: None when the call has no expectation file.
    expectations: Expectations | None = None
    #: Path of the expectation file (for JUnit ``file``), "" when none.
    expect_file: str = ""
    #: WER of the ASR caller transcript against the reference (asr mode with a reference only).
    wer: float | None = None
    #: Caller reference text and ASR text (for WER), asr mode only.
    wer_texts: tuple[str, str] | None = None
    #: A one-line error when the call could not be evaluated (bad audio, bad transcript).
    error: str | None = None
    match: CallMatch = field(init=False)

    def __post_init__(self) -> None:
        exp = self.expectations or Expectations()
        # Agent-side coaching cues are judged only in coaching dialogues (``coaching = true``);
        # elsewhere they are shown in the report but neither matched nor counted as false.
        judged = self.cues if exp.coaching else tuple(c for c in self.cues if c.category != "coaching")
        object.__setattr__(self, "match", match_call(judged, exp, self.duration_ms))

    @property
    def unjudged_cues(self) -> tuple[Cue, ...]:
        """Agent-side coaching cues of a call that is not a coaching dialogue: shown, not judged."""
        if self.expectations is not None and self.expectations.coaching:
            return ()
        return tuple(c for c in self.cues if c.category == "coaching")

    @property
    def passed(self) -> bool:
        return self.error is None and self.match.passed

    @property
    def name(self) -> str:
        """Short label: the path with the mode when the call was run in two modes."""
        return f"{self.call} [{self.mode}]"


def run_to_dict(run: CallRun) -> dict[str, Any]:
    """JSON-ready, deterministic view of a call run (no wall-clock values)."""
    m = run.match
    return {
        "call": run.call,
        "lang": run.lang,
        "mode": run.mode,
        "duration_ms": run.duration_ms,
        "passed": run.passed,
        "error": run.error,
        "wer": run.wer,
        "expect_file": run.expect_file,
        "quiet_ms": m.quiet_ms,
        "checks": [
            {"name": c.name, "kind": c.kind, "passed": c.passed, "message": c.message, "line": c.line}
            for c in m.checks
        ],
        "expectations": [
            {
                "cue": v.expected.cue,
                "between_ms": [v.expected.start_ms, v.expected.end_ms],
                "category": v.expected.category,
                "anchor_ms": v.expected.anchor_ms,
                "name": v.expected.name,
                "hit": v.hit,
                "cue_index": v.cue_index,
                "latency_ms": v.latency_ms,
            }
            for v in m.expectations
        ],
        "cues": sorted([
            *({
                **v.cue.to_dict(),
                "outcome": v.outcome,
                "expectation": v.expectation,
                "in_quiet": v.in_quiet,
                "forbidden": v.forbidden,
                "latency_ms": v.latency_ms,
            } for v in m.cues),
            # Coaching cues outside a coaching dialogue: listed like the others, not judged.
            *({**c.to_dict(), "outcome": "not_judged", "expectation": None, "in_quiet": False,
               "forbidden": False, "latency_ms": None} for c in run.unjudged_cues),
        ], key=lambda d: (d["at_ms"], d["speaker"] != "caller")),
        "transcript": [
            {"speaker": t.speaker, "start_ms": t.start_ms, "end_ms": t.end_ms, "text": t.text}
            for t in run.finals
        ],
    }


__all__ = ["CallRun", "Mode", "Span", "run_to_dict"]


def build_summary(runs: list[CallRun]) -> dict[str, Any]:
    """Per-mode metric rows (by language and by category), WER, and pass counts; deterministic."""
    from voiceassist.qa.evaluate import summarize, word_error_rate

    modes: dict[str, Any] = {}
    for mode in ("ref", "asr"):
        sel = [(r.lang, r.match) for r in runs if r.mode == mode and r.error is None]
        if sel:
            modes[mode] = {"by_lang": summarize(sel, "lang"), "by_category": summarize(sel, "category")}
    with_wer = [r for r in runs if r.mode == "asr" and r.wer_texts is not None and r.error is None]
    wer = None
    if with_wer:
        per_lang: dict[str, float | None] = {}
        for lang in sorted({r.lang for r in with_wer}):
            pairs = [r.wer_texts for r in with_wer if r.lang == lang and r.wer_texts]
            per_lang[lang] = word_error_rate([p[0] for p in pairs], [p[1] for p in pairs])
        pairs = [r.wer_texts for r in with_wer if r.wer_texts]
        wer = {
            "overall": word_error_rate([p[0] for p in pairs], [p[1] for p in pairs]),
            "by_lang": per_lang,
            "calls": len(with_wer),
        }
    checks = [c for r in runs for c in r.match.checks]
    return {
        "calls": len({r.call for r in runs}),
        "runs": len(runs),
        "runs_failed": sum(not r.passed for r in runs),
        "errors": sum(r.error is not None for r in runs),
        "checks": len(checks),
        "checks_failed": sum(not c.passed for c in checks),
        "audio_ms": sum(r.duration_ms for r in runs),
        "modes": modes,
        "wer": wer,
    }
