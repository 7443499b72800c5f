"""The per-user systemd service: unit file text, install and uninstall.

The unit runs ``voiceassist run`` with the user's config, restarts it on failure, stops it with
SIGTERM (``run`` flushes the call log on SIGTERM) and logs to the journal. No admin rights: it is
a *user* unit in ``~/.config/systemd/user/``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from voiceassist.errors import ConfigError

UNIT_NAME = "voiceassist.ops.service"


def unit_dir() -> Path:
    """Where systemd looks for user units."""
    return Path.home() / ".config" / "systemd" / "user"


def unit_text(
    *, config: Path | None = None, extra_args: tuple[str, ...] = (), python: str | None = None
) -> str:
    """The unit file for ``voiceassist run``; ``config`` is passed as ``--config``."""
    cmd = [python or sys.executable, "-m", "voiceassist", "run"]
    if config is not None:
        cmd += ["--config", str(config)]
    cmd += list(extra_args)
    return "\n".join(
        [
            "[Unit]",
            "Description=voiceassist de-escalation coach (live call listener)",
            "After=sound.target pipewire.service pulseaudio.service",
            "StartLimitIntervalSec=300",
            "StartLimitBurst=10",
            "",
            "[Service]",
            "Type=simple",
            "ExecStart=" + shlex.join(cmd),
            "Restart=on-failure",
            "RestartSec=5",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=15",
            # run exits 130 after SIGTERM, once the call log is flushed: a clean stop, not a failure.
            "SuccessExitStatus=130",
            "Environment=PYTHONUNBUFFERED=1",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )


def _systemctl(*args: str) -> subprocess.CompletedProcess[str] | None:
    exe = shutil.which("systemctl")
    if exe is None:
        return None
    return subprocess.run([exe, "--user", *args], capture_output=True, text=True, timeout=30, check=False)


def _check_configs(config: Path | None) -> None:
    """Refuse to install a service that would only crash-loop on an invalid config file (the
    system file and ``config``, or the user file when there is no ``config``)."""
    from voiceassist.settings import check_config_file, system_config_file, user_config_file

    files = [system_config_file(), config if config is not None else user_config_file()]
    problems = [line for f in files if f.is_file() for line in check_config_file(f)]
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ConfigError("the service would not start: " + "; ".join(problems[:3]) + more,
                          hint="fix the file; `voiceassist config check FILE` lists every problem")


#: How the message of a unit that was written but not enabled starts.
NOT_ENABLED = "not enabled"


def enabled(message: str) -> bool:
    """False when :func:`install`'s ``message`` says the unit could not be enabled."""
    return not message.startswith(NOT_ENABLED)


def install(*, config: Path | None = None, enable: bool = True) -> tuple[Path, str]:
    """Write the unit file and, when a user systemd is reachable, enable and start it.

    Returns the unit path and a human message on what was done (or what to run by hand).
    Use :func:`enabled` on the message's outcome: a unit that could not be enabled is reported by
    ``service install`` with exit 1.
    """
    if config is not None and not config.is_file():
        raise ConfigError(f"config file {config} does not exist", hint="create it or leave out --config")
    _check_configs(config)
    path = unit_dir() / UNIT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit_text(config=config.resolve() if config else None), encoding="utf-8")
    if not enable:
        return path, f"wrote {path}; enable it with: systemctl --user enable --now {UNIT_NAME}"
    reload = _systemctl("daemon-reload")
    if reload is None or reload.returncode != 0:
        why = "systemctl not found" if reload is None else (reload.stderr.strip() or "no user session bus")
        return path, (
            f"{NOT_ENABLED}: wrote {path}, but could not reach the user's systemd ({why}); in the "
            f"agent's desktop session run: systemctl --user daemon-reload && "
            f"systemctl --user enable --now {UNIT_NAME}"
        )
    started = _systemctl("enable", "--now", UNIT_NAME)
    if started is None or started.returncode != 0:
        err = started.stderr.strip() if started else "systemctl not found"
        return path, f"{NOT_ENABLED}: wrote {path}, but enabling failed: {err}"
    return path, f"installed and started {UNIT_NAME} (logs: journalctl --user -u {UNIT_NAME})"


def uninstall() -> str:
    """Stop, disable and remove the unit; returns a human message."""
    path = unit_dir() / UNIT_NAME
    _systemctl("disable", "--now", UNIT_NAME)
    if path.exists():
        path.unlink()
        _systemctl("daemon-reload")
        return f"removed {path}"
    return f"{UNIT_NAME} was not installed ({path} does not exist)"
