"""The wheel carries every subpackage and the rules; the CLI lists its commands."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from voiceassist import __version__
from voiceassist.cli import COMMAND_MODULES, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "voiceassist").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    # Data folders (demo calls, rule packs) are packages of their own, or the build warns and may drop them.
    found |= {
        ".".join(d.relative_to(ROOT).parts)
        for d in (ROOT / "voiceassist" / "data").rglob("*")
        if d.is_dir() and any(f.is_file() for f in d.iterdir())
    } | {"voiceassist.data"}
    found |= {
        "voiceassist._rules." + ".".join(d.relative_to(ROOT / "rules").parts)
        for d in (ROOT / "rules").rglob("*")
        if d.is_dir() and any(f.is_file() for f in d.iterdir())
    }
    missing = found - listed
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_version_flag(capsys) -> None:
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"voiceassist {__version__}"


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "voiceassist", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"voiceassist {__version__}"


def test_every_command_module_is_present_and_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    registered = set(sub.choices)  # type: ignore[arg-type]
    missing = [name for name in COMMAND_MODULES if name not in registered]
    assert not missing, f"commands not built yet: {missing}"


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    assert "usage: voiceassist" in capsys.readouterr().out
