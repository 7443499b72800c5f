"""``voiceassist doctor [--json] [--no-load]``: what works, and what to do about what doesn't."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ExitCode
from voiceassist.ops.doctor import run_checks, to_json
from voiceassist.settings import load_settings

MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def register(sub: Any) -> None:
    parser = sub.add_parser("doctor", help="check that this workstation can run a call")
    parser.add_argument("--config", type=Path, help="config file to check with (default: the usual ones)")
    parser.add_argument("--lang", help="caller language to check (default: from config)")
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.add_argument("--no-load", action="store_true", help="find the models but do not load them")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(config_file=args.config, flags={"call.lang": args.lang})
    results = run_checks(settings, load_models=not args.no_load)
    failed = [r for r in results if r.status == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": to_json(results)}, indent=2, ensure_ascii=False))
    else:
        width = max(len(r.name) for r in results)
        for r in results:
            print(f"[{MARK[r.status]}] {r.name:<{width}}  {r.detail}")
            if r.status != "ok" and r.fix:
                print(f"       {'':<{width}}  fix: {r.fix}  (docs/troubleshooting.md#{r.code})")
        if failed:
            print(f"\n{len(failed)} problem(s): this workstation cannot run a call yet.", file=sys.stderr)
        else:
            print("\nReady: this workstation can run a call.")
    return int(ExitCode.CHECK_FAILED if failed else ExitCode.OK)
