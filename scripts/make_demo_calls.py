#!/usr/bin/env python3
"""Render the bundled demo calls: ``demo/<lang>/*.toml`` -> ``voiceassist/data/demo/<lang>/``.

    python scripts/make_demo_calls.py [--force]

Each dialogue is rendered by ``scripts/make_calls.py --mono --rate 16000`` (caller channel only,
espeak-ng voices; format in docs/testing.md) and the call's ``.wav`` (16 kHz mono PCM),
``.vtt`` (reference transcript, both speakers) and ``.expect.toml`` are copied into the package
data, where ``voiceassist demo`` finds them. Same sources give byte-identical files.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "demo"
TARGET = ROOT / "voiceassist" / "data" / "demo"
WORK = ROOT / "out" / "demo-render"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make_demo_calls.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="re-render even when unchanged")
    args = ap.parse_args(argv)
    langs = sorted(p.name for p in SOURCES.iterdir() if p.is_dir())
    for lang in langs:
        dialogues = sorted((SOURCES / lang).glob("*.toml"))
        if not dialogues:
            continue
        work = WORK / lang
        cmd = [sys.executable, str(ROOT / "scripts" / "make_calls.py"), *map(str, dialogues),
               "--out", str(work), "--mono", "--rate", "16000", "--cache", str(ROOT / "out" / ".tts-cache")]
        if args.force:
            cmd.append("--force")
        subprocess.run(cmd, check=True)
        dest = TARGET / lang
        dest.mkdir(parents=True, exist_ok=True)
        for dlg in dialogues:
            for suffix in (".wav", ".vtt", ".expect.toml"):
                src = work / f"{dlg.stem}{suffix}"
                shutil.copyfile(src, dest / src.name)
                if suffix == ".wav":
                    size = src.stat().st_size
                    print(f"{lang}/{src.name}: {size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
