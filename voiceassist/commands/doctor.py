"""``voiceassist doctor [--json] [--no-load]``: what works, and what to do about what doesn't."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError, ExitCode
from voiceassist.ops.doctor import CheckResult, run_checks, to_json
from voiceassist.settings import Settings, load_settings

MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def register(sub: Any) -> None:
    parser = sub.add_parser("doctor", help="check that this workstation can run a call")
    parser.add_argument("--config", type=Path, help="config file to check with (default: the usual ones)")
    parser.add_argument("--lang", help="caller language to check (default: from config)")
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.add_argument("--no-load", action="store_true", help="find the models but do not load them")
    parser.set_defaults(func=run)


def load_for_doctor(config: Path | None, flags: dict[str, Any]) -> tuple[Settings, CheckResult | None]:
    """The settings to check with, and a failed ``config`` check when a config file or
    environment value is broken: the other checks then run on the settings without the broken
    layer (user file, then system file, then the environment), so the report is still whole.
    A bad command-line flag stays a usage error (exit 2)."""
    try:
        return load_settings(config_file=config, flags=flags), None
    except ConfigError as exc:
        broken = exc.message
    fallbacks: list[dict[str, Any]] = [{"use_user": False}, {"use_user": False, "use_system": False},
                                       {"use_user": False, "use_system": False, "env": {}}]  # fmt: skip
    settings = None
    for kw in fallbacks:
        try:
            settings = load_settings(flags=flags, **kw)
            break
        except ConfigError:
            continue
    assert settings is not None  # defaults alone always load
    return settings, CheckResult("config", "fail", f"{broken}; the other checks ran without it",
                                 "config-invalid", "voiceassist config check lists every problem "
                                 "with its file and line")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    settings, config_check = load_for_doctor(args.config, {"call.lang": args.lang})
    results = ([config_check] if config_check else []) + run_checks(settings, load_models=not args.no_load)
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
