#!/usr/bin/env python3
"""Benchmarks, one sub-command each; results are appended to BENCHMARKS.md by each benchmark.

    python scripts/bench.py replay    # voiceassist replay vs vosk-transcriber (issue 3)
    python scripts/bench.py engine    # escalation engine vs naive regex loop (issue 4)
    python scripts/bench.py latency   # cue latency, real-time demo replay (issue 5)
    python scripts/bench.py store     # store enqueue p99 and rows/s (issue 7)
    python scripts/bench.py scorer    # scorer p95 per 12-word utterance, engine with vs without (issue 15)
    python scripts/bench.py panel     # panel event-to-screen p95, Chromium vs Python SSE client (issue 14)
    python scripts/bench.py detect    # detect RSS over 1 M lines: 10,000 calls, ended, one call (issue 13)

Each sub-command lives in ``scripts/bench_<name>.py`` with ``main(argv: list[str]) -> int``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

NAMES = ("replay", "engine", "latency", "store", "scorer", "panel", "detect")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in NAMES:
        print(__doc__)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    module = importlib.import_module(f"bench_{argv[0]}")
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
