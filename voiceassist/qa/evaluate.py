"""Matching cues to expectations, and detection metrics (pure: no I/O, no clock).

All times are **ms of call time**. :func:`match_call` decides, for one call, which cue satisfies
which expectation (hit), which expectations got no cue (miss) and which cues matched nothing
(false), and turns the expectation file into pass/fail checks (one JUnit test case each).
:func:`summarize` aggregates many calls into precision / recall / F1 / latency / quiet-span rows
per category or per language. Rules: ``docs/testing.md`` section 2.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from voiceassist.events import Cue
from voiceassist.qa.expectations import Expectations, Expected

CheckKind = Literal["expect", "quiet", "forbid", "max_cues", "strict"]

#: Category used for a missed expectation that names no category.
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class CueVerdict:
    """What became of one cue."""

    cue: Cue
    #: ``hit`` (matched an expectation) or ``false`` (matched nothing).
    outcome: Literal["hit", "false"]
    #: Index into ``Expectations.expected`` for a hit.
    expectation: int | None = None
    #: The cue fired inside a quiet span.
    in_quiet: bool = False
    #: The cue id is forbidden in this call.
    forbidden: bool = False
    #: Cue time minus the expectation's anchor, ms (hits with an anchor only).
    latency_ms: int | None = None


@dataclass(frozen=True)
class ExpectVerdict:
    """What became of one expectation."""

    expected: Expected
    #: Index into the call's cue list of the cue that satisfied it; None = missed.
    cue_index: int | None = None
    latency_ms: int | None = None

    @property
    def hit(self) -> bool:
        return self.cue_index is not None


@dataclass(frozen=True)
class Check:
    """One pass/fail test derived from the expectation file (one JUnit test case)."""

    name: str
    kind: CheckKind
    passed: bool
    #: Why it failed ("" when it passed).
    message: str = ""
    #: Line in the expectation file (0 if unknown).
    line: int = 0


@dataclass(frozen=True)
class CallMatch:
    """The verdicts of one call. ``cues`` keep the input order (sorted by time)."""

    cues: tuple[CueVerdict, ...]
    expectations: tuple[ExpectVerdict, ...]
    checks: tuple[Check, ...]
    #: Total length of the quiet spans inside the call, ms (overlaps merged).
    quiet_ms: int
    #: Length of the call, ms.
    duration_ms: int

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def quiet_false(self) -> int:
        return sum(1 for v in self.cues if v.in_quiet)


def _merge(spans: Iterable[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted((max(0, a), min(b, limit)) for a, b in spans):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _sec(ms: int) -> str:
    return f"{ms / 1000:.2f}"


def match_call(cues: Sequence[Cue], exp: Expectations, duration_ms: int) -> CallMatch:
    """Match the cues of one call to its expectations and derive the checks.

    Each expectation takes at most one cue and each cue at most one expectation (same cue id,
    same category when the expectation names one, ``start_ms <= at_ms <= end_ms``). Expectations
    are served in order of their window's end, each taking the earliest free cue: for windows on a
    line this gives the largest possible number of hits.
    """
    order = sorted(range(len(cues)), key=lambda i: (cues[i].at_ms, i))
    taken: dict[int, int] = {}  # cue index -> expectation index
    got: dict[int, int] = {}  # expectation index -> cue index
    for ei in sorted(
        range(len(exp.expected)), key=lambda k: (exp.expected[k].end_ms, exp.expected[k].start_ms, k)
    ):
        e = exp.expected[ei]
        for ci in order:
            c = cues[ci]
            if ci in taken or c.cue != e.cue or (e.category is not None and c.category != e.category):
                continue
            if e.start_ms <= c.at_ms <= e.end_ms:
                taken[ci] = ei
                got[ei] = ci
                break

    quiet = _merge(exp.quiet, max(duration_ms, max((c.at_ms for c in cues), default=0)))
    forbid = set(exp.forbid)
    cue_verdicts: list[CueVerdict] = []
    for ci, c in enumerate(cues):
        hit_of = taken.get(ci)
        in_quiet = any(a <= c.at_ms <= b for a, b in exp.quiet)
        latency = None
        if hit_of is not None and exp.expected[hit_of].anchor_ms is not None:
            # When the cue was decided (the audio after which the engine emitted it), not the
            # trigger word's time: a cue emitted 480 ms after its word shows 480 ms more.
            decided = c.decided_ms if c.decided_ms is not None else c.at_ms
            latency = decided - int(exp.expected[hit_of].anchor_ms or 0)
        cue_verdicts.append(
            CueVerdict(
                cue=c,
                outcome="hit" if hit_of is not None else "false",
                expectation=hit_of,
                in_quiet=in_quiet,
                forbidden=c.cue in forbid,
                latency_ms=latency,
            )
        )
    exp_verdicts = tuple(
        ExpectVerdict(e, got.get(i), cue_verdicts[got[i]].latency_ms if i in got else None)
        for i, e in enumerate(exp.expected)
    )

    checks: list[Check] = []
    for v in exp_verdicts:
        e = v.expected
        if v.hit:
            checks.append(Check(e.label, "expect", True, line=e.line))
        else:
            near = [c for c in cues if c.cue == e.cue]
            hint = (
                "; it fired at " + ", ".join(_sec(c.at_ms) + " s" for c in near[:5])
                if near
                else "; it never fired"
            )
            checks.append(Check(e.label, "expect", False, f"no {e.cue} cue in the window{hint}", e.line))
    for a, b in exp.quiet:
        inside = [c for c in cues if a <= c.at_ms <= b]
        msg = ", ".join(f"{c.cue} at {_sec(c.at_ms)} s" for c in inside)
        checks.append(
            Check(f"quiet {_sec(a)}-{_sec(b)}", "quiet", not inside,
                  f"cues in a quiet span: {msg}" if inside else "",
                  exp.lines.get("quiet", 0))
        )  # fmt: skip
    for cue_id in exp.forbid:
        fired = [c for c in cues if c.cue == cue_id]
        checks.append(
            Check(
                f"never {cue_id}",
                "forbid",
                not fired,
                f"{cue_id} fired at " + ", ".join(_sec(c.at_ms) + " s" for c in fired) if fired else "",
                exp.lines.get("forbid", 0),
            )
        )
    if exp.max_cues is not None:
        n = len(cues)
        checks.append(
            Check(
                f"at most {exp.max_cues} cues",
                "max_cues",
                n <= exp.max_cues,
                f"{n} cues fired: " + ", ".join(c.cue for c in cues[:10]) if n > exp.max_cues else "",
                exp.lines.get("max_cues", 0),
            )
        )
    if exp.strict:
        extra = [v.cue for v in cue_verdicts if v.outcome == "false"]
        checks.append(
            Check(
                "no unexpected cues",
                "strict",
                not extra,
                "unexpected: " + ", ".join(f"{c.cue} at {_sec(c.at_ms)} s" for c in extra) if extra else "",
                exp.lines.get("strict", 0),
            )
        )
    return CallMatch(
        cues=tuple(cue_verdicts),
        expectations=exp_verdicts,
        checks=tuple(checks),
        quiet_ms=sum(b - a for a, b in quiet),
        duration_ms=duration_ms,
    )


# --------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True)
class Row:
    """Detection metrics of one group of calls (a category, a language, or ``all``)."""

    group: str
    expected: int
    hits: int
    misses: int
    #: Cues that matched no expectation (anywhere in the call).
    false_cues: int
    #: hits / (hits + false cues); None when no cue fired.
    precision: float | None
    #: hits / expected; None when nothing was expected.
    recall: float | None
    f1: float | None
    #: Median and 95th percentile (nearest rank) of detection latency, ms; None without hits.
    latency_median_ms: float | None
    latency_p95_ms: int | None
    #: Cues inside quiet spans, and the quiet audio they were counted over.
    quiet_false: int
    quiet_hours: float
    #: quiet_false per hour of quiet audio; None when there was no quiet audio.
    false_per_hour: float | None


def percentile_nearest_rank(values: Sequence[int], pct: float) -> int | None:
    """The ``pct``-th percentile (0-100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _row(
    group: str,
    hits: int,
    expected: int,
    false_cues: int,
    latencies: list[int],
    quiet_false: int,
    quiet_ms: int,
) -> Row:
    precision = _ratio(hits, hits + false_cues)
    recall = _ratio(hits, expected)
    f1 = None
    if precision is not None and recall is not None:
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    hours = quiet_ms / 3_600_000
    return Row(
        group=group,
        expected=expected,
        hits=hits,
        misses=expected - hits,
        false_cues=false_cues,
        precision=precision,
        recall=recall,
        f1=f1,
        latency_median_ms=float(statistics.median(latencies)) if latencies else None,
        latency_p95_ms=percentile_nearest_rank(latencies, 95),
        quiet_false=quiet_false,
        quiet_hours=round(hours, 4),
        false_per_hour=round(quiet_false / hours, 2) if hours else None,
    )


def summarize(calls: Sequence[tuple[str, CallMatch]], by: Literal["category", "lang"]) -> list[Row]:
    """Rows per category (or per language, from the ``(lang, match)`` pairs), sorted, then ``all``.

    Category of a hit or miss: the expectation's category, else the cue's (hits) or
    :data:`UNCATEGORISED` (misses); of a false cue: the cue's. Quiet audio is not tied to a
    category, so every category row counts its quiet false cues over all quiet audio.
    """
    groups: dict[str, dict[str, list[int]]] = {}

    def g(name: str) -> dict[str, list[int]]:
        return groups.setdefault(
            name, {"hits": [0], "expected": [0], "false": [0], "lat": [], "qf": [0], "qms": [0]}
        )

    total_quiet = sum(m.quiet_ms for _, m in calls)
    for lang, m in calls:
        if by == "lang":
            d = g(lang)
            d["qms"][0] += m.quiet_ms
        for ev in m.expectations:
            cat = ev.expected.category
            if cat is None and ev.hit:
                cat = m.cues[ev.cue_index or 0].cue.category
            d = g(lang if by == "lang" else (cat or UNCATEGORISED))
            d["expected"][0] += 1
            if ev.hit:
                d["hits"][0] += 1
                if ev.latency_ms is not None:
                    d["lat"].append(ev.latency_ms)
        for cv in m.cues:
            if cv.outcome == "false":
                d = g(lang if by == "lang" else cv.cue.category)
                d["false"][0] += 1
                if cv.in_quiet:
                    d["qf"][0] += 1
    rows = []
    for name in sorted(groups):
        d = groups[name]
        qms = d["qms"][0] if by == "lang" else total_quiet
        rows.append(_row(name, d["hits"][0], d["expected"][0], d["false"][0], d["lat"], d["qf"][0], qms))
    all_lat = [ev.latency_ms for _, m in calls for ev in m.expectations if ev.latency_ms is not None]
    rows.append(
        _row(
            "all",
            sum(ev.hit for _, m in calls for ev in m.expectations),
            sum(len(m.expectations) for _, m in calls),
            sum(cv.outcome == "false" for _, m in calls for cv in m.cues),
            all_lat,
            sum(m.quiet_false for _, m in calls),
            total_quiet,
        )
    )
    return rows


# --------------------------------------------------------------------------------------------
# Word error rate


def normalise_for_wer(text: str) -> str:
    """Case-folded words without punctuation (apostrophes inside words dropped)."""
    text = text.casefold().replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Corpus WER (jiwer) over pairs of caller texts; None when the references have no words."""
    try:  # lazy: only eval with ASR needs it
        import jiwer
    except ImportError:
        from voiceassist.errors import ConfigError

        raise ConfigError("word error rates need jiwer", hint="pip install 'voiceassist[eval]'") from None

    refs = [normalise_for_wer(r) for r in references]
    hyps = [normalise_for_wer(h) for h in hypotheses]
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    if not pairs:
        return None
    out = jiwer.process_words([r for r, _ in pairs], [h for _, h in pairs])
    return round(float(out.wer), 4)


__all__ = [
    "UNCATEGORISED",
    "CallMatch",
    "Check",
    "CueVerdict",
    "ExpectVerdict",
    "Row",
    "match_call",
    "normalise_for_wer",
    "percentile_nearest_rank",
    "summarize",
    "word_error_rate",
]
