"""Expectation files: parsing, seconds -> ms, and validation errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceassist.errors import ExitCode
from voiceassist.qa.expectations import (
    ExpectationError,
    Expectations,
    Expected,
    dump_expectations,
    load_expectations,
    parse_expectations,
    sidecar_path,
)

GOOD = """\
lang = "en"
max_cues = 4
forbid = ["end_call"]
quiet = [[0, 30.5], [95.25, 120]]

[[expect]]
cue = "state_boundary"
between = [12.0, 16.0]
category = "abuse"
anchor = 12.8
name = "first insult"

[[expect]]
cue = "last_warning"
between = [40, 48.5]
"""


def test_good_file_parses_to_ms() -> None:
    exp = parse_expectations(GOOD, "call.expect.toml")
    assert exp.lang == "en"
    assert exp.max_cues == 4
    assert exp.forbid == ("end_call",)
    assert exp.quiet == ((0, 30500), (95250, 120000))
    first, second = exp.expected
    assert (first.cue, first.start_ms, first.end_ms, first.anchor_ms) == (
        "state_boundary",
        12000,
        16000,
        12800,
    )
    assert first.category == "abuse" and first.name == "first insult"
    assert first.line == 6 and second.line == 13
    assert second.anchor_ms is None and second.category is None
    assert second.end_ms == 48500


def problems(text: str) -> list[str]:
    with pytest.raises(ExpectationError) as info:
        parse_expectations(text, "calls/a.expect.toml")
    assert info.value.code == ExitCode.CONFIG
    return info.value.problems


def test_unknown_key_names_its_line() -> None:
    text = GOOD.replace('name = "first insult"', 'nmae = "first insult"')
    assert problems(text) == [
        "calls/a.expect.toml:11: unknown key 'nmae' in [[expect]] "
        "(allowed: anchor, between, category, cue, name)"
    ]


def test_every_problem_is_reported_with_its_own_line() -> None:
    text = """\
lang = "english"
max_cues = -1
quiet = [[10, 5]]
colour = "red"

[[expect]]
cue = "state_boundry"
between = [16.0, 12.0]

[[expect]]
between = [1, 2]
category = "rudeness"
"""
    got = problems(text)
    lines = sorted(int(p.split(":")[1]) for p in got)
    assert lines == [1, 2, 3, 4, 7, 8, 10, 12], got
    assert any("unknown cue id 'state_boundry'" in p for p in got)
    assert any(p.startswith("calls/a.expect.toml:8: between needs 0 <= start <= end") for p in got)
    assert any(p.startswith("calls/a.expect.toml:10: [[expect]] needs cue") for p in got)


def test_anchor_far_outside_the_window_is_an_error() -> None:
    text = GOOD.replace("anchor = 12.8", "anchor = 30.0")
    (msg,) = problems(text)
    assert msg.startswith("calls/a.expect.toml:10: anchor 30.0 is outside the window")


def test_bad_toml_reports_the_parser_line() -> None:
    (msg,) = problems('lang = "en"\n\n[[expect]]\ncue = state_boundary\n')
    assert msg.startswith("calls/a.expect.toml:4: not valid TOML")


def test_wrong_types() -> None:
    got = problems('forbid = "end_call"\nstrict = "yes"\n[[expect]]\ncue = "end_call"\nbetween = ["a", 2]\n')
    assert got == [
        "calls/a.expect.toml:2: strict must be true or false",
        "calls/a.expect.toml:1: forbid must be a list of cue ids",
        "calls/a.expect.toml:5: between must be [start, end] in seconds",
    ]


def test_multiline_arrays_do_not_confuse_line_numbers() -> None:
    text = 'quiet = [\n  [0, 1],\n  [2, 3],\n]\n\n[[expect]]\ncue = "x_cue"\nbetween = [1, 2]\n'
    assert problems(text) == ["calls/a.expect.toml:7: unknown cue id 'x_cue' (see docs/rules-format.md)"]


def test_dump_round_trips() -> None:
    exp = parse_expectations(GOOD, "x")
    again = parse_expectations(dump_expectations(exp), "x")
    assert again.expected == tuple(
        Expected(e.cue, e.start_ms, e.end_ms, e.category, e.anchor_ms, e.name, line=a.line)
        for e, a in zip(exp.expected, again.expected, strict=True)
    )
    assert (again.quiet, again.forbid, again.max_cues, again.lang) == (
        exp.quiet,
        exp.forbid,
        exp.max_cues,
        exp.lang,
    )


def test_load_from_disk_and_sidecar_name(tmp_path: Path) -> None:
    audio = tmp_path / "call.wav"
    assert sidecar_path(audio) == tmp_path / "call.expect.toml"
    sidecar_path(audio).write_text(GOOD)
    exp = load_expectations(sidecar_path(audio))
    assert isinstance(exp, Expectations) and exp.source == str(tmp_path / "call.expect.toml")
    with pytest.raises(Exception) as info:
        load_expectations(tmp_path / "missing.expect.toml")
    assert getattr(info.value, "code", None) == ExitCode.FILE_NOT_FOUND


def test_schema_lists_the_same_keys_as_the_loader() -> None:
    import json

    schema = json.loads((Path(__file__).resolve().parents[1] / "schemas/expect.schema.json").read_text())
    from voiceassist.qa.expectations import _TOP_KEYS

    assert set(schema["properties"]) == _TOP_KEYS
    assert {"lang", "max_cues", "forbid", "quiet", "strict", "coaching", "expect"} == _TOP_KEYS
    assert schema["additionalProperties"] is False
    item = schema["properties"]["expect"]["items"]
    assert set(item["properties"]) == {"cue", "between", "category", "anchor", "name"}
    assert set(item["required"]) == {"cue", "between"}
    from voiceassist.qa.expectations import KNOWN_CUES

    assert set(item["properties"]["cue"]["enum"]) == set(KNOWN_CUES)


def test_coaching_cues_are_judged_only_in_coaching_calls() -> None:
    from voiceassist.events import Cue
    from voiceassist.qa.evalrun import CallRun
    from voiceassist.qa.expectations import Expectations

    cue = Cue(at_ms=5_000, cue="dont_interrupt", category="coaching", form="talkover", rung=1,
              severity="info", say="Let them finish", script="", speaker="agent")  # fmt: skip
    quiet = Expectations(quiet=((0, 60_000),))
    escalation_call = CallRun(
        call="a.wav", lang="en", mode="ref", duration_ms=60_000, cues=(cue,), expectations=quiet
    )
    assert escalation_call.passed, "a coaching cue is not a false caller-side cue"
    coaching_call = CallRun(
        call="b.wav", lang="en", mode="ref", duration_ms=60_000, cues=(cue,),
        expectations=Expectations(quiet=((0, 60_000),), coaching=True),
    )  # fmt: skip
    assert not coaching_call.passed, "in a coaching dialogue it is judged"
