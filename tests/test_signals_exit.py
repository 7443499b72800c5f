"""SIGTERM and Ctrl-C end `replay` and `supervise` cleanly with exit 130 (issue 13 item 15): the
replayed call is ended (call_ended on stdout, the store's call closed), the view's store closed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import silence, tone, write_wav

VTT = """WEBVTT

00:00:00.600 --> 00:00:01.500
<v caller>you idiot

00:00:20.000 --> 00:00:21.000
<v caller>where is my refund
"""


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "voiceassist", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEASSIST_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    return env


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_replay_with_call_ended_the_store_closed_and_exit_130(tmp_path: Path,
                                                                            signum: int) -> None:
    wav = write_wav(tmp_path / "call.wav", np.concatenate([silence(500), tone(1200), silence(28_300)]))
    (tmp_path / "call.vtt").write_text(VTT)
    db = tmp_path / "calls.db"
    proc = _cli("replay", str(wav), "--transcript", str(tmp_path / "call.vtt"), "--json", "--realtime",
                "--lang", "en", "--store", env={**_env(tmp_path), "VOICEASSIST_STORE_URL": f"sqlite://{db}"})
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # wait for the first cue: the call is under way
        lines.append(json.loads(line))
        if lines[-1].get("type") == "cue":
            break
    proc.send_signal(signum)
    rest, err = proc.communicate(timeout=60)
    lines += [json.loads(x) for x in rest.splitlines()]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert lines[-1]["type"] == "call_ended" and lines[-1]["reason"] == "interrupted"
    assert lines[-1]["at_ms"] < 20_000, "the call was cut, not played to its end"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT ended_at FROM calls").fetchall()
    assert len(rows) == 1 and rows[0][0] is not None, "the store closed the call"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_supervise_with_exit_130(tmp_path: Path, signum: int) -> None:
    db = tmp_path / "calls.db"
    subprocess.run([sys.executable, "-m", "voiceassist", "db", "upgrade", "--db", f"sqlite://{db}"],
                   check=True, env=_env(tmp_path), capture_output=True)
    proc = _cli("supervise", "--db", f"sqlite://{db}", "--interval", "0.2", env=_env(tmp_path))
    assert proc.stdout is not None
    proc.stdout.readline()  # the first screen is up
    time.sleep(0.3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
