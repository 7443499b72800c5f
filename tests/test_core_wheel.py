"""IT installs from a wheel: it carries the rules and the demo calls, and runs in a clean venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(the wheel, everything the build printed)."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = list(out.glob("voiceassist-*.whl"))
    assert len(wheels) == 1
    return wheels[0], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(built: tuple[Path, str]) -> Path:
    return built[0]


def test_the_build_is_quiet(built: tuple[Path, str]) -> None:
    """A newcomer's first command must not drown in setuptools warnings (issue 13 item 17)."""
    log = built[1]
    for noise in ("would be ignored", "is deprecated", "SetuptoolsDeprecationWarning"):
        assert noise not in log, f"the build warns: {noise!r}"


def test_wheel_carries_rules_and_demo_calls(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "voiceassist/_rules/policy.toml" in names
    for lang in ("it", "pl", "es", "en", "ko"):
        assert f"voiceassist/_rules/{lang}/cues.toml" in names, lang
    assert any(n.startswith("voiceassist/data/demo/") and n.endswith(".wav") for n in names)
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)
    assert "voiceassist/data/scorer/heads.npz" in names
    assert "voiceassist/data/scorer/MODEL_CARD.md" in names
    for asset in ("agent.html", "agent.js", "floor.html", "floor.js", "panel.css"):  # the panel, offline
        assert f"voiceassist/panel/assets/{asset}" in names, asset


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv_and_runs_the_demo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=900,
    )
    exe = env_dir / "bin" / "voiceassist"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEASSIST_", "VOSK_"))}
    clean_env["HOME"] = str(tmp_path / "home")
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, env=clean_env, timeout=60
    )
    assert version.returncode == 0 and version.stdout.startswith("voiceassist ")
    # The scorer's encoder (a pinned dependency) installed and its heads ship in the wheel.
    scored = subprocess.run(
        [str(py), "-c", "from voiceassist.escalation.scorer import scorer_status; print(scorer_status())"],
        capture_output=True, text=True, env=clean_env, timeout=120,
    )  # fmt: skip
    assert scored.returncode == 0 and "(True, 'scorer model " in scored.stdout, scored.stdout + scored.stderr
    demo = subprocess.run(
        [str(exe), "demo", "--fast", "--out", str(tmp_path / "demo.wav")],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=tmp_path,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert (tmp_path / "demo.wav").stat().st_size > 10_000
