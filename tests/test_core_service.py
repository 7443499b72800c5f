"""The per-user systemd unit: valid for systemd, restarts on failure, installs without root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from voiceassist.cli import main
from voiceassist.ops import service


def test_unit_runs_voiceassist_with_the_config_and_restarts(tmp_path: Path) -> None:
    cfg = tmp_path / "agent.toml"
    text = service.unit_text(config=cfg, python="/usr/bin/python3")
    lines = text.splitlines()
    assert f"ExecStart=/usr/bin/python3 -m voiceassist run --config {cfg}" in lines
    assert "Restart=on-failure" in lines
    assert "KillSignal=SIGTERM" in lines
    assert "WantedBy=default.target" in lines


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # systemd-analyze comes with Debian's systemd package, which scripts/setup.sh installs.
    assert shutil.which("systemd-analyze"), "systemd-analyze missing: run scripts/setup.sh"
    unit = tmp_path / "voiceassist.ops.service"
    unit.write_text(service.unit_text(python=shutil.which("python3") or "/usr/bin/python3"))
    out = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Unknown" not in out.stderr and "ignoring" not in out.stderr, out.stderr


def test_install_writes_user_unit_without_systemd(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    # The unit is written, but nothing enables it: exit 1 with what to run (before: exit 0).
    assert main(["service", "install"]) == 1
    unit = tmp_path / ".config" / "systemd" / "user" / "voiceassist.ops.service"
    assert unit.is_file()
    err = capsys.readouterr().err
    assert "not enabled" in err and "systemctl --user daemon-reload" in err
    assert main(["service", "uninstall"]) == 0
    assert not unit.exists()


def test_install_that_cannot_enable_the_unit_fails(tmp_path: Path, monkeypatch, capsys) -> None:
    """systemctl is there but refuses (no user session bus): exit 1 and the reason, not 0."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(service.shutil, "which", lambda name: "/bin/systemctl")

    def refuse(cmd, **kwargs):  # type: ignore[no-untyped-def]
        ok = "daemon-reload" in cmd
        return subprocess.CompletedProcess(cmd, 0 if ok else 1, "", "" if ok else "Failed to connect to bus")

    monkeypatch.setattr(service.subprocess, "run", refuse)
    assert main(["service", "install"]) == 1
    err = capsys.readouterr().err
    assert "enabling failed" in err and "Failed to connect to bus" in err


def test_install_with_missing_config_is_a_config_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["service", "install", "--config", str(tmp_path / "nope.toml")]) == 9
    assert "does not exist" in capsys.readouterr().err


def test_stop_is_a_clean_exit_for_systemd() -> None:
    """``run`` exits 130 after the SIGTERM of ``systemctl --user stop`` (call log flushed); the
    unit must count that as success, or every stop leaves the unit 'failed'."""
    lines = service.unit_text(python="/usr/bin/python3").splitlines()
    assert "SuccessExitStatus=130" in lines


def test_install_with_an_invalid_config_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    """A service started with a broken config would only crash-loop: refuse it with file:line."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    cfg = tmp_path / "agent.toml"
    cfg.write_text('[call]\nlang = "fr"\n', encoding="utf-8")
    assert main(["service", "install", "--config", str(cfg)]) == 9
    err = capsys.readouterr().err
    assert f"{cfg}:2: call.lang must be one of" in err and "config check" in err
    assert not (tmp_path / ".config" / "systemd" / "user" / "voiceassist.ops.service").exists()
