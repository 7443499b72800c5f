"""Matching cues to expectations, and the metrics, on hand-built event lists."""

from __future__ import annotations

import pytest

from voiceassist.events import Cue
from voiceassist.qa.evaluate import match_call, percentile_nearest_rank, summarize, word_error_rate
from voiceassist.qa.expectations import Expectations, Expected


def cue(at_ms: int, cue_id: str, category: str = "abuse") -> Cue:
    return Cue(
        at_ms=at_ms, cue=cue_id, category=category, form="insult", rung=1, severity="warn", say="", script=""
    )


def exp(*expected: Expected, **kw: object) -> Expectations:
    return Expectations(expected=expected, **kw)  # type: ignore[arg-type]


def test_hit_miss_and_false_cue() -> None:
    e = exp(
        Expected("state_boundary", 10_000, 14_000, anchor_ms=10_500),
        Expected("last_warning", 20_000, 24_000),
    )
    m = match_call([cue(11_000, "state_boundary"), cue(30_000, "end_call")], e, 60_000)
    assert [v.outcome for v in m.cues] == ["hit", "false"]
    assert m.cues[0].latency_ms == 500
    assert [v.hit for v in m.expectations] == [True, False]
    assert [c.passed for c in m.checks] == [True, False]
    assert "it never fired" in m.checks[1].message
    assert not m.passed


def test_cue_outside_its_window_is_a_miss_and_a_false_cue() -> None:
    e = exp(Expected("state_boundary", 10_000, 14_000))
    m = match_call([cue(14_001, "state_boundary")], e, 20_000)
    assert m.cues[0].outcome == "false"
    assert not m.expectations[0].hit
    assert "it fired at 14.00 s" in m.checks[0].message
    # the window edges are inclusive
    assert match_call([cue(14_000, "state_boundary")], e, 20_000).passed


def test_category_must_agree_when_given() -> None:
    e = exp(Expected("end_call", 0, 10_000, category="flirting"))
    assert not match_call([cue(5_000, "end_call", "abuse")], e, 10_000).passed
    assert match_call([cue(5_000, "end_call", "flirting")], e, 10_000).passed


def test_one_cue_serves_one_expectation_and_overlapping_windows_are_matched_optimally() -> None:
    # Greedy "earliest cue to first listed expectation" would give A the 3 s cue and leave B
    # without one; serving windows by their end matches both.
    e = exp(Expected("state_boundary", 0, 10_000, name="A"), Expected("state_boundary", 0, 4_000, name="B"))
    m = match_call([cue(3_000, "state_boundary"), cue(8_000, "state_boundary")], e, 20_000)
    assert [v.cue_index for v in m.expectations] == [1, 0]
    assert m.passed
    # a single cue cannot satisfy two expectations
    m2 = match_call([cue(3_000, "state_boundary")], e, 20_000)
    assert sum(v.hit for v in m2.expectations) == 1 and not m2.passed


def test_quiet_spans_forbidden_cues_max_cues_and_strict() -> None:
    e = exp(
        Expected("state_boundary", 10_000, 14_000),
        quiet=((0, 8_000),),
        forbid=("end_call",),
        max_cues=2,
        strict=True,
    )
    cues = [cue(2_000, "calm_first"), cue(11_000, "state_boundary"), cue(15_000, "end_call")]
    m = match_call(cues, e, 60_000)
    by_kind = {c.kind: c for c in m.checks}
    assert by_kind["expect"].passed
    assert not by_kind["quiet"].passed and "calm_first at 2.00 s" in by_kind["quiet"].message
    assert not by_kind["forbid"].passed and "end_call fired at 15.00 s" in by_kind["forbid"].message
    assert not by_kind["max_cues"].passed and by_kind["max_cues"].name == "at most 2 cues"
    assert not by_kind["strict"].passed
    assert [v.in_quiet for v in m.cues] == [True, False, False]
    assert [v.forbidden for v in m.cues] == [False, False, True]
    assert m.quiet_ms == 8_000 and m.quiet_false == 1


def test_without_expectations_every_cue_is_false_but_nothing_fails() -> None:
    m = match_call([cue(1_000, "calm_first")], Expectations(), 5_000)
    assert m.cues[0].outcome == "false" and m.passed and m.checks == ()


def test_percentiles() -> None:
    assert percentile_nearest_rank([], 95) is None
    assert percentile_nearest_rank([5], 95) == 5
    values = list(range(1, 101))  # 1..100
    assert percentile_nearest_rank(values, 95) == 95
    assert percentile_nearest_rank(values, 50) == 50
    assert percentile_nearest_rank([300, 100, 200], 95) == 300


def test_summary_per_category_and_language() -> None:
    call_en = match_call(
        [cue(11_000, "state_boundary"), cue(21_000, "last_warning"), cue(50_000, "deflect", "flirting")],
        exp(
            Expected("state_boundary", 10_000, 14_000, category="abuse", anchor_ms=10_800),
            Expected("last_warning", 20_000, 24_000, category="abuse", anchor_ms=20_000),
            Expected("end_call", 30_000, 34_000, category="abuse", anchor_ms=30_000),
            quiet=((40_000, 60_000),),
        ),
        60_000,
    )
    # a benign Italian call of 30 minutes with one false cue in its quiet span
    call_it = match_call(
        [cue(600_000, "calm_first", "anger")], exp(quiet=((0, 1_800_000),), max_cues=0), 1_800_000
    )
    by_cat = {r.group: r for r in summarize([("en", call_en), ("it", call_it)], "category")}
    abuse = by_cat["abuse"]
    assert (abuse.expected, abuse.hits, abuse.misses, abuse.false_cues) == (3, 2, 1, 0)
    assert abuse.precision == 1.0 and abuse.recall == pytest.approx(0.6667)
    assert abuse.f1 == pytest.approx(0.8)
    assert abuse.latency_median_ms == 600.0 and abuse.latency_p95_ms == 1000
    assert by_cat["flirting"].false_cues == 1 and by_cat["flirting"].quiet_false == 1
    assert by_cat["anger"].false_cues == 1 and by_cat["anger"].precision == 0.0
    everything = by_cat["all"]
    assert (everything.hits, everything.expected, everything.false_cues) == (2, 3, 2)
    assert everything.precision == 0.5
    # quiet audio: 20 s + 30 min; two false cues in it
    assert everything.quiet_false == 2
    assert everything.false_per_hour == pytest.approx(2 / ((20_000 + 1_800_000) / 3_600_000), abs=0.01)

    by_lang = {r.group: r for r in summarize([("en", call_en), ("it", call_it)], "lang")}
    assert by_lang["it"].false_per_hour == 2.0  # one false cue in half an hour of quiet audio
    assert by_lang["it"].recall is None and by_lang["it"].precision == 0.0
    assert by_lang["en"].recall == pytest.approx(0.6667)
    assert list(by_lang) == ["en", "it", "all"]


def test_word_error_rate_ignores_case_and_punctuation() -> None:
    assert word_error_rate(["Hello, there! I'm fine."], ["hello there im fine"]) == 0.0
    assert word_error_rate(["one two three four"], ["one too three"]) == 0.5
    assert word_error_rate(["a b", "c d"], ["a b", ""]) == 0.5
    assert word_error_rate([""], ["x"]) is None


def test_latency_counts_from_when_the_cue_was_decided() -> None:
    from dataclasses import replace

    e = exp(Expected("state_boundary", 10_000, 14_000, anchor_ms=10_500))
    late = replace(cue(11_000, "state_boundary"), decided_ms=11_480)
    m = match_call([late], e, 60_000)
    assert m.cues[0].latency_ms == 980, "480 ms waiting for audio after the word count"
