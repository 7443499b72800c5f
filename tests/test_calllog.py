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


def test_a_full_disk_skips_lines_whole_and_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """ENOSPC simulated at the OS seam (``os.write`` writes part of the line, then raises): the
    log keeps only complete lines, warns once, and writes again when the disk has room. Before
    the fix ``write`` let the OSError out (run crashed, 0 cues shown) and left a torn line."""
    import errno
    import os as _os

    import voiceassist.calllog as calllog

    real_write = _os.write
    full = {"on": False}

    def write(fd: int, data: bytes) -> int:
        if full["on"]:
            if len(data) > 5:
                return real_write(fd, data[:5])  # the disk takes a few bytes, then is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(calllog.os, "write", write)
    with CallLog(tmp_path, "20250101-000000-full") as log:
        log.write({"type": "call_started"})
        full["on"] = True
        for n in range(5):
            log.write({"type": "cue", "n": n})
        full["on"] = False
        log.write({"type": "call_ended"})
    assert read_log(log.path) == [{"type": "call_started"}, {"type": "call_ended"}]
    assert log.skipped == 5 and log.degraded
    assert sum("skipped whole" in r.getMessage() for r in caplog.records) == 1


def test_a_read_only_log_folder_degrades_the_live_log(tmp_path: Path) -> None:
    """A log folder that cannot be written: the live call's log (``degrade=True``) warns and
    stays off instead of refusing to start (was exit 10)."""
    import os as _os

    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    if _os.access(folder, _os.W_OK):  # root ignores the mode
        pytest.skip("running as root: the folder is writable anyway")
    log = CallLog(folder, "20250101-000000-ro", degrade=True)
    log.write({"type": "call_started"})
    log.close()
    assert log.degraded and log.skipped == 1 and not log.path.exists()
