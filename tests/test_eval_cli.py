"""`voiceassist eval` end to end on rendered calls: exit codes, JUnit structure, byte-identical
JSON for the same input, --jobs 2 == --jobs 1, bad expectation files stop before any audio.

The escalation engine is replaced here by the scripted fake engine (tests/fake_engine.py: a cue
when a final caller transcript has the word 'idiot') (``_new_engine`` is the seam), so
these tests check the harness; tests/test_eval_engine.py runs the real engine.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fake_engine import ScriptedEngine

from voiceassist.cli import main
from voiceassist.session import eval_runner as eval_cmd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_calls  # noqa: E402

ABUSE = """\
lang = "en"
title = "Insult then thanks"
category = "abuse"
script = \"\"\"
agent: Good morning, billing department, how can I help?
caller: You are an idiot and this bill is wrong. => state_boundary@idiot
agent: I would like to help you sort out the bill.
caller: Thank you, I appreciate it.
\"\"\"
"""
BENIGN = """\
lang = "en"
title = "Polite call that the fake engine gets wrong"
benign = true
script = \"\"\"
agent: Hello, how can I help today?
caller: My son called himself an idiot for losing the password.
agent: That happens to all of us, let us reset it.
\"\"\"
"""


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("evalcalls")
    (d / "abuse.toml").write_text(ABUSE)
    (d / "benign.toml").write_text(BENIGN)
    out = d / "en"
    assert (
        make_calls.main(
            [str(d / "abuse.toml"), str(d / "benign.toml"), "--out", str(out), "--cache", str(d / "c"), "-q"]
        )
        == 0
    )
    return out


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eval_cmd, "_new_engine", lambda lang: ScriptedEngine(("idiot",), finals_only=True))


def test_eval_reports_hit_and_false_cue_and_exits_1(
    calls: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "eval",
            str(calls),
            "--transcripts",
            "only",
            "--json",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "j.xml"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and "benign.expect.toml" in out and "quiet" in out
    doc = json.loads((tmp_path / "r.json").read_text())
    by_call = {Path(c["call"]).name: c for c in doc["calls"]}
    abuse, benign = by_call["abuse.wav"], by_call["benign.wav"]
    assert abuse["passed"] and [c["outcome"] for c in abuse["cues"]] == ["hit"]
    assert abuse["expectations"][0]["latency_ms"] is not None
    assert not benign["passed"] and [c["outcome"] for c in benign["cues"]] == ["false"]
    assert benign["cues"][0]["in_quiet"]
    rows = {r["group"]: r for r in doc["summary"]["modes"]["ref"]["by_lang"]}
    assert rows["en"]["hits"] == 1 and rows["en"]["false_cues"] == 1 and rows["en"]["quiet_false"] == 1

    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2"
    suites = {Path(s.get("name", "").split(" ")[0]).name: s for s in root.findall("testsuite")}
    cases = suites["abuse.wav"].findall("testcase")
    assert [c.get("name") for c in cases] == [cases[0].get("name")] and cases[0].find("failure") is None
    assert cases[0].get("name", "").startswith("state_boundary in [")
    assert cases[0].get("file", "").endswith("abuse.expect.toml") and cases[0].get("line")
    benign_cases = suites["benign.wav"].findall("testcase")
    assert sorted(c.get("name", "").split(" ")[0] for c in benign_cases) == ["at", "quiet"]
    assert all(c.find("failure") is not None for c in benign_cases)


def test_same_input_gives_byte_identical_output_with_any_jobs(calls: Path, tmp_path: Path) -> None:
    outs = []
    for n, jobs in enumerate(("1", "1", "2")):
        args = [
            "eval",
            str(calls),
            "--transcripts",
            "only",
            "--jobs",
            jobs,
            "--no-progress",
            "--json",
            str(tmp_path / f"{n}.json"),
            "--junit",
            str(tmp_path / f"{n}.xml"),
            "--report",
            str(tmp_path / f"{n}.html"),
        ]
        assert main(args) == 1
        outs.append([(tmp_path / f"{n}.{ext}").read_bytes() for ext in ("json", "xml", "html")])
        for ext in ("json", "xml", "html"):  # they quote what callers said: owner only
            assert (tmp_path / f"{n}.{ext}").stat().st_mode & 0o777 == 0o600, ext
    assert outs[0] == outs[1] == outs[2]


def test_passing_calls_exit_0(calls: Path) -> None:
    assert main(["eval", str(calls / "abuse.wav"), "--transcripts", "only", "--no-progress"]) == 0


def test_bad_expectation_file_stops_before_audio(
    calls: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"this is not audio")  # would be exit 4 if it were decoded
    (tmp_path / "x.expect.toml").write_text('[[expect]]\ncue = "state_boundary"\nbetween = [3, 1]\n')
    assert main(["eval", str(wav), "--lang", "en", "--transcripts", "only"]) == 9
    err = capsys.readouterr().err
    assert f"{tmp_path / 'x.expect.toml'}:3: between needs 0 <= start <= end" in err


def test_missing_reference_transcript_with_only(
    calls: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    shutil.copy(calls / "abuse.wav", tmp_path / "lonely.wav")
    assert main(["eval", str(tmp_path / "lonely.wav"), "--lang", "en", "--transcripts", "only"]) == 3
    assert "no reference transcript" in capsys.readouterr().err


def test_missing_report_package_stops_before_any_audio_naming_the_extra(
    calls: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13 item 17: without jinja2, ``eval --report`` used to fail after all the work."""
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 -> ImportError
    decoded: list[object] = []
    monkeypatch.setattr(eval_cmd, "evaluate_all", lambda *a, **k: decoded.append(a) or [])
    rc = main(["eval", str(calls / "abuse.wav"), "--transcripts", "only", "--no-progress",
               "--report", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert rc == 9 and not decoded
    assert "jinja2" in err and "voiceassist[eval]" in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_reference_only_run_does_not_need_jiwer(calls: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jiwer", None)
    assert main(["eval", str(calls / "abuse.wav"), "--transcripts", "only", "--no-progress"]) == 0
