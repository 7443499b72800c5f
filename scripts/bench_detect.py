#!/usr/bin/env python3
"""``detect`` memory benchmark (``python scripts/bench.py detect``, issue 13 item 12).

Streams generated lines through ``voiceassist detect``'s loop (``process_stream``) in a child
process and reads its resident set size (VmRSS) after the first 10 % of the lines (the baseline,
measured in the same run: rules loaded, the open-call cap reached) and at the end. Scenarios:

- ``calls``: the lines spread round-robin over 10,000 calls (all open at once: the 1,000-call cap
  releases the one idle longest);
- ``ended``: the same, each call ending with ``"end": true`` and a new call id taking its place;
- ``one call``: every line in one call (a long hostile call: the cue history stays bounded).

The learned scorer is switched off in the child (it holds no per-call state and costs ~16 ms a
line on this machine, which would make 1 M lines take hours); the per-call engine state is what
is measured. Appends a section to BENCHMARKS.md (``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import time
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES = ["you idiot", "what is my balance", "I will sue you", "thank you for your help",
         "this is ridiculous", "I want to speak to a manager", "you are useless", "ok fine"]


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _Lines(io.TextIOBase):
    """The generated input, produced line by line (never held whole)."""

    def __init__(self, scenario: str, n: int, calls: int, on_line) -> None:
        self.scenario, self.n, self.calls, self.i, self.on_line = scenario, n, calls, 0, on_line

    def readline(self, size: int = -1) -> str:  # type: ignore[override]
        if self.i >= self.n:
            return ""
        i = self.i
        self.i += 1
        self.on_line(i)
        text = LINES[i % len(LINES)]
        if self.scenario == "one call":
            return json.dumps({"call": "long", "text": text}) + "\n"
        per_call = self.n // self.calls
        k = i % self.calls  # round-robin: every call open at once
        rnd = i // self.calls
        if self.scenario == "ended":
            # each call's id changes every per_call // 10 lines, ending with "end": true
            span = max(1, per_call // 10)
            gen = rnd // span
            last = rnd % span == span - 1
            obj: dict[str, object] = {"call": f"c{k}-{gen}", "text": text}
            if last:
                obj["end"] = True
            return json.dumps(obj) + "\n"
        return json.dumps({"call": f"c{k}", "text": text}) + "\n"


def child(scenario: str, n: int, calls: int) -> None:
    sys.path.insert(0, str(ROOT))
    import voiceassist.escalation.scorer as scorer

    scorer.load_scorer = lambda settings=None: None  # type: ignore[assignment]
    from voiceassist.commands.detect import process_stream

    marks: dict[str, int] = {}
    first = max(1, n // 10)

    def on_line(i: int) -> None:
        if i == first:
            marks["baseline_kb"] = _rss_kb()

    out = open(os.devnull, "w")  # noqa: SIM115
    t0 = time.monotonic()
    process_stream(Namespace(lang="en", agent_lang=None, rule_dirs=[]), _Lines(scenario, n, calls, on_line),
                   out, io.StringIO())
    marks["end_kb"] = _rss_kb()
    marks["seconds"] = round(time.monotonic() - t0)
    print(json.dumps(marks))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.py detect")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--scenarios", default="calls,ended,one call")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.lines, args.calls)
        return 0
    rows = []
    for scenario in args.scenarios.split(","):
        res = subprocess.run([sys.executable, __file__, "--child", scenario, "--lines", str(args.lines),
                              "--calls", str(args.calls)], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(f"{scenario}: the child failed (exit {res.returncode}): {res.stderr[-2000:]}",
                  file=sys.stderr)
            return 1
        m = json.loads(res.stdout.strip().splitlines()[-1])
        rows.append((scenario, m))
        print(scenario, m, flush=True)
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
               f"Python {platform.python_version()}")
    lines = [f"## detect: memory over a long stream (`python scripts/bench.py detect`), {now}", "",
             f"Machine: {machine} (shared with other jobs). {args.lines:,} lines through "
             "`detect --lang en`'s loop in one process (learned scorer off: it keeps no per-call state); "
             "RSS after the first 10 % of the lines (the baseline of the same run) and at the end.", "",
             "| scenario | calls | RSS baseline MB | RSS end MB | end / baseline | run s |",
             "|---|---|---|---|---|---|"]
    for scenario, m in rows:
        calls = "1" if scenario == "one call" else f"{args.calls:,}"
        lines.append(f"| {scenario} | {calls} | {m['baseline_kb'] / 1024:.0f} | {m['end_kb'] / 1024:.0f} | "
                     f"{m['end_kb'] / m['baseline_kb']:.2f} | {m['seconds']} |")
    lines += ["", "Issue 13 item 12 saw 170 -> 400 MB (x2.35) over 1 M lines across 10,000 calls before the "
              "1,000-call cap and the bounded in-call history.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
