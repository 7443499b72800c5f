"""``voiceassist rules check [DIR...]`` and ``voiceassist rules explain --lang xx "text"...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ExitCode, UsageError
from voiceassist.langs import LANGS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("rules", help="check rule files, explain what a text triggers")
    sub = p.add_subparsers(dest="rules_command", metavar="ACTION")
    c = sub.add_parser("check", help="validate rule files (shipped rules plus DIRs); exit 1 on problems")
    c.add_argument(
        "dirs", nargs="*", type=Path, metavar="DIR", help="extra rule folders layered on the shipped rules"
    )
    c.add_argument("--alone", action="store_true", help="check the DIRs without the shipped rules underneath")
    c.set_defaults(func=run_check)
    e = sub.add_parser("explain", help="show matches, guards and the resulting cues for a text")
    e.add_argument("--lang", required=True, help=f"caller language ({', '.join(LANGS)})")
    e.add_argument("--agent-lang", default=None, help="language of the cue texts (default: --lang)")
    e.add_argument("--rules", dest="rule_dirs", action="append", type=Path, default=[], metavar="DIR",
                   help="extra rule folder (repeatable)")  # fmt: skip
    e.add_argument("texts", nargs="+", metavar="TEXT", help="caller utterances, one call, 4000 ms apart")
    e.set_defaults(func=run_explain)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return int(ExitCode.USAGE)


def run_check(args: argparse.Namespace) -> int:
    from voiceassist.coaching.loader import check_coaching
    from voiceassist.escalation.loader import check_rules, load_rules

    if args.alone and not args.dirs:
        raise UsageError("--alone needs at least one DIR")
    problems = sorted(
        [
            *check_rules(args.dirs, include_shipped=not args.alone),
            *check_coaching(args.dirs, include_shipped=not args.alone),
        ],
        key=lambda p: (p.file, p.line, p.message),
    )
    for p in problems:
        print(p)
    rs = load_rules(args.dirs, include_shipped=not args.alone)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return int(ExitCode.CHECK_FAILED)
    n = sum(len(p.entries) for p in rs.packs.values())
    print(f"ok: {len(rs.packs)} language(s) ({', '.join(sorted(rs.packs))}), {n} entries", file=sys.stderr)
    return int(ExitCode.OK)


def run_explain(args: argparse.Namespace) -> int:
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.explain import explain
    from voiceassist.escalation.scorer import load_scorer
    from voiceassist.settings import load_settings

    engine = load_engine(args.lang, agent_lang=args.agent_lang, rule_dirs=args.rule_dirs, trace=True,
                         scorer=load_scorer(load_settings()))
    for line in explain(engine, args.texts):
        print(line)
    return int(ExitCode.OK)
