"""Files with caller data are the owner's only, and voiceassist never changes the mode of a folder
it did not create (issue 13 item 10: `log.file` turned a 755 $HOME into 700)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceassist.paths import ensure_private_dir, write_private_text


@pytest.fixture(autouse=True)
def open_umask():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_existing_parent_keeps_its_mode(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    ensure_private_dir(home / "logs" / "voiceassist")
    assert home.stat().st_mode & 0o777 == 0o755
    assert (home / "logs").stat().st_mode & 0o777 == 0o700
    assert (home / "logs" / "voiceassist").stat().st_mode & 0o777 == 0o700


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)
    ensure_private_dir(shared)
    assert shared.stat().st_mode & 0o777 == 0o750


def test_private_text_is_0600_even_over_a_world_readable_file(tmp_path: Path) -> None:
    out = tmp_path / "flags.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    write_private_text(out, "caller,+391234567\n")
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text(encoding="utf-8") == "caller,+391234567\n"


def test_log_file_setting_does_not_touch_home(tmp_path: Path) -> None:
    import logging

    from voiceassist.ops.logsetup import configure_logging

    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    handler = configure_logging({"log.level": "warning", "log.file": str(home / "va.log"),
                                 "log.max_bytes": 100_000, "log.backups": 1})
    logging.getLogger().removeHandler(handler)
    handler.close()
    assert home.stat().st_mode & 0o777 == 0o755
    assert (home / "va.log").stat().st_mode & 0o777 == 0o600
