"""Diagnostic logs: level from settings, a size-capped rotating file readable by the owner only."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from voiceassist.errors import ConfigError
from voiceassist.ops.logsetup import configure_logging
from voiceassist.settings import load_settings


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_rotating_file_is_capped_and_private(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "voiceassist.log"
    settings = load_settings(
        env={"VOICEASSIST_LOG_FILE": str(log_file), "VOICEASSIST_LOG_MAX_BYTES": "20000",
             "VOICEASSIST_LOG_BACKUPS": "2", "VOICEASSIST_LOG_LEVEL": "info"},
        use_system=False, use_user=False,
    )  # fmt: skip
    configure_logging(settings)
    log = logging.getLogger("voiceassist.test")
    for i in range(2000):
        log.info("line %d %s", i, "x" * 40)
    log.debug("not at info level")
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["voiceassist.log", "voiceassist.log.1", "voiceassist.log.2"]
    assert all(p.stat().st_size <= 20_000 for p in log_file.parent.iterdir())
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert "not at info level" not in log_file.read_text()


def test_unwritable_log_file_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = load_settings(
        env={"VOICEASSIST_LOG_FILE": str(blocker / "x.log")}, use_system=False, use_user=False
    )
    with pytest.raises(ConfigError, match="cannot write the log file"):
        configure_logging(settings)
