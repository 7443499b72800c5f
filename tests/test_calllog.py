"""The per-call JSONL log: owner-only, every line complete, log.dir as IT writes it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from voiceassist.calllog import CallLog, read_log


def test_log_dir_with_a_tilde_goes_to_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       ) -> None:
    """``log.dir = "~/calls"`` in a config file means the agent's home, not a folder named ``~``
    in whatever directory the service happens to start in."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    with CallLog(Path("~/va-calls"), "20250101-000000-abcd") as log:
        log.write({"type": "call_started"})
    expected = tmp_path / "home" / "va-calls" / "20250101-000000-abcd.jsonl"
    assert log.path == expected and not (tmp_path / "~").exists()
    assert read_log(expected) == [{"type": "call_started"}]
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    assert stat.S_IMODE(expected.parent.stat().st_mode) == 0o700
