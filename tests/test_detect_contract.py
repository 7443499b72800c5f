"""`voiceassist detect --lang xx`: the exact stdin/stdout contract of issue 4."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from argparse import Namespace

from voiceassist.commands.detect import process_stream

#: The issue-4 contract plus ``decided_ms`` (issue 12: additive, like on every other cue event).
KEYS = {"call", "line", "start_ms", "cue", "category", "form", "rung", "severity", "matched", "rule",
        "decided_ms"}


def detect(text: str) -> tuple[list[dict[str, object]], str, int]:
    out, err = io.StringIO(), io.StringIO()
    rc = process_stream(Namespace(lang="en", agent_lang=None, rule_dirs=[]), io.StringIO(text), out, err)
    return [json.loads(x) for x in out.getvalue().splitlines()], err.getvalue(), rc


def test_plain_text_lines_are_one_call_4000_ms_apart() -> None:
    rows, err, rc = detect("hello there\nyou idiot\n\nyou moron\n")
    assert rc == 0 and err == ""
    assert [(r["call"], r["line"], r["start_ms"], r["cue"]) for r in rows] == [
        ("default", 2, 4000, "use_their_name"),
        ("default", 4, 8000, "state_boundary"),
    ]
    assert all(set(r) == KEYS for r in rows)
    assert rows[0]["matched"] == ["idiot"] and str(rows[0]["rule"]).startswith("rules/en/lexicon/abuse.toml:")


def test_json_lines_keep_per_call_state_and_times() -> None:
    lines = [
        {"call": "a", "text": "you idiot", "start_ms": 1000, "end_ms": 2000},
        {"call": "b", "text": "you idiot"},
        {"call": "a", "text": "you moron", "start_ms": 5000},
        {"call": "a", "text": "you idiot", "speaker": "agent"},
    ]
    rows, err, rc = detect("\n".join(json.dumps(x) for x in lines) + "\n")
    assert rc == 0 and err == ""
    assert [(r["call"], r["line"], r["start_ms"], r["cue"], r["rung"]) for r in rows] == [
        ("a", 1, 1000, "use_their_name", 2),
        ("b", 2, 0, "use_their_name", 2),
        ("a", 3, 5000, "state_boundary", 3),
    ]
    # decided when the line's final arrived: its end (given, or 300 ms a word)
    assert [r["decided_ms"] for r in rows] == [2000, 600, 5600]


def test_malformed_json_is_reported_and_skipped() -> None:
    rows, err, rc = detect('{"call": "a", "text": \nI will kill you\n{"text": 5}\n')
    assert rc == 0
    assert "line 1" in err and "line 3" in err
    assert [(r["line"], r["cue"], r["severity"]) for r in rows] == [
        (2, "call_security", "urgent"),
        (2, "report_threat", "urgent"),
    ]


def test_subprocess_flushes_each_cue_and_exits_zero() -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "voiceassist", "detect", "--lang", "en"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write("I know where you live\n")
    p.stdin.flush()
    first = json.loads(p.stdout.readline())  # arrives before end of input
    assert first["cue"] == "call_security" and first["line"] == 1
    second = json.loads(p.stdout.readline())
    assert second["cue"] == "report_threat"
    out, _err = p.communicate("nothing to see\n", timeout=60)
    assert p.returncode == 0 and out == ""


def test_unknown_language_is_a_config_error() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "voiceassist", "detect", "--lang", "xx"],
        input="",
        capture_output=True,
        text=True,
    )
    assert r.returncode == 9 and "no rules for language 'xx'" in r.stderr and "Traceback" not in r.stderr


def test_non_finite_times_are_reported_and_skipped() -> None:
    # JSON allows 1e400 (infinity) and NaN; neither is a time in ms.
    rows, err, rc = detect(
        '{"text": "you idiot", "start_ms": 1e400}\n{"text": "you idiot", "end_ms": NaN}\nyou moron\n'
    )
    assert rc == 0
    assert "line 1" in err and "line 2" in err and '"start_ms"' in err and '"end_ms"' in err
    assert [(r["line"], r["cue"]) for r in rows] == [(3, "use_their_name")]


def test_lone_surrogates_in_json_text_still_give_encodable_output() -> None:
    # "\ud800" is valid JSON but no Unicode character: the cue line must still be UTF-8.
    rows, err, rc = detect('{"call": "c\\udfff", "text": "you idiot\\ud800"}\n')
    assert rc == 0 and err == ""
    assert [r["cue"] for r in rows] == ["use_their_name"]
    for r in rows:
        json.dumps(r, ensure_ascii=False).encode("utf-8")


def test_deeply_nested_json_line_is_skipped_and_the_stream_goes_on() -> None:
    """Issue 13 item 12: a line nested 30,000 deep raised RecursionError and killed the stream."""
    rows, err, rc = detect('{"text": ' + "[" * 30_000 + "]" * 30_000 + "}\nyou idiot\n")
    assert rc == 0
    assert "line 1: malformed JSON (nested too deep); skipped" in err
    assert [(r["line"], r["cue"]) for r in rows] == [(2, "use_their_name")]


def test_over_long_line_is_skipped_with_a_message() -> None:
    from voiceassist.commands import detect as detect_mod

    long = "you idiot " * (detect_mod.MAX_LINE_CHARS // 10 + 5)
    rows, err, rc = detect(long + "\nyou idiot\n")
    assert rc == 0
    assert f"line 1: longer than {detect_mod.MAX_LINE_CHARS} characters; skipped" in err
    assert [(r["line"], r["cue"]) for r in rows] == [(2, "use_their_name")]


def test_open_calls_are_bounded_and_a_released_call_starts_afresh(monkeypatch) -> None:
    from voiceassist.commands import detect as detect_mod

    monkeypatch.setattr(detect_mod, "MAX_OPEN_CALLS", 2)
    lines = [{"call": "a", "text": "you idiot"}, {"call": "b", "text": "hello"},
             {"call": "c", "text": "hello"}, {"call": "a", "text": "you moron"}]
    rows, err, rc = detect("\n".join(json.dumps(x) for x in lines) + "\n")
    assert rc == 0 and err == ""
    # "a" was idle longest when "c" arrived: released, so its second insult starts a fresh ladder.
    assert [(r["call"], r["line"], r["cue"]) for r in rows] == [
        ("a", 1, "use_their_name"), ("a", 4, "use_their_name")
    ]


def test_end_true_releases_the_call_and_its_next_line_starts_afresh() -> None:
    lines = [
        {"call": "a", "text": "you idiot"},
        {"call": "a", "text": "you moron", "end": True},
        {"call": "a", "text": "you idiot"},  # a new call "a": first strike, times from 0 again
        {"call": "b", "text": "you idiot"},
        {"call": "b", "end": True},  # no text: only the release
        {"call": "b", "text": "you idiot"},
        {"call": "b", "text": "hello", "end": "yes"},
    ]
    rows, err, rc = detect("\n".join(json.dumps(x) for x in lines) + "\n")
    assert rc == 0
    assert [(r["call"], r["line"], r["start_ms"], r["cue"], r["rung"]) for r in rows] == [
        ("a", 1, 0, "use_their_name", 2),
        ("a", 2, 4000, "state_boundary", 3),
        ("a", 3, 0, "use_their_name", 2),
        ("b", 4, 0, "use_their_name", 2),
        ("b", 6, 0, "use_their_name", 2),
    ]
    assert err.strip() == 'voiceassist detect: line 7: "end" must be true or false; skipped'
