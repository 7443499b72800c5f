"""``voiceassist eval``: run recorded calls through the call assembly and check the cues against
their expectation files (``CALL.expect.toml``). Format and metrics: ``docs/testing.md``.

Exit 0 when every check passes, 1 when any fails (or a call could not be evaluated), 9 when an
expectation file is invalid (reported before any audio is decoded). The runner is
:mod:`voiceassist.session.eval_runner`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from voiceassist.langs import LANGS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval",
        help="check cues on recorded calls against their expectation files",
        description="Run calls through the replay pipeline, match cues to CALL.expect.toml, print "
        "precision/recall/latency per language and category. Format: docs/testing.md.",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="audio files or folders (searched for *.wav/*.flac/*.ogg)"
    )
    p.add_argument(
        "--lang", help=f"language of calls whose expectation file and folder do not say ({'|'.join(LANGS)})"
    )
    p.add_argument(
        "--transcripts",
        choices=("auto", "only", "off"),
        default="auto",
        help="only: reference transcript CALL.vtt; off: speech recognition; auto (default): "
        "whatever is available, both when both are",
    )
    p.add_argument("--model", type=Path, help="vosk model folder for speech recognition")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="files evaluated in N parallel processes")
    p.add_argument(
        "--junit", type=Path, metavar="FILE", help="write JUnit XML (one test case per expectation)"
    )
    p.add_argument("--report", type=Path, metavar="FILE.html", help="write a self-contained HTML report")
    p.add_argument("--json", type=Path, metavar="FILE", help="write all results as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voiceassist.session.eval_runner import main

    return main(args)
