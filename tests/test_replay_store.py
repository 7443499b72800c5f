"""``replay --store --caller-id``: a recording makes the same flags and heads-up as a live call.

The English demo call (abuse up to ending the call) replayed twice for the same number: the
first replay flags the caller in the store, the second starts with the whispered heads-up, and
`voiceassist flags show` lists the flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.errors import ExitCode
from voiceassist.session.demo import demo_dir

CALL = demo_dir() / "en" / "abuse_to_end_call.wav"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICEASSIST_STORE_URL", raising=False)
    return tmp_path


def replay(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    code = main(["replay", str(CALL), "--transcript", "auto", "--lang", "en", "--json", *extra])
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_a_replayed_abusive_call_flags_the_caller_for_the_next_call(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = [e["cue"] for e in replay(capsys, "--store", "--caller-id", "+39 02 1234 5678")
             if e["type"] == "cue"]
    assert "end_call" in first and first[-2:] == ["caller_flagged", "take_a_breath"]
    assert main(["flags", "show", "+390212345678", "--json"]) == 0
    shown = capsys.readouterr().out
    assert "abuse" in shown

    second = [e for e in replay(capsys, "--store", "--caller-id", "+390212345678") if e["type"] == "cue"]
    assert second[0]["cue"] == "caller_flagged" and second[0]["at_ms"] == 0
    assert "abusive, 1 call" in second[0]["why"]

    # Without --store nothing is looked up or recorded: no heads-up.
    third = [e["cue"] for e in replay(capsys) if e["type"] == "cue"]
    assert third[0] != "caller_flagged"


def test_caller_id_without_store_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(CALL), "--transcript", "auto", "--caller-id", "+390212345678"])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("voiceassist: error: --caller-id needs --store") and "Traceback" not in err
    assert not list(data_dir.rglob("*.db")), "nothing was recorded"
