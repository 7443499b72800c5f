"""``voiceassist supervise``: live terminal view of supervisor alerts for the team lead.

Polls the alerts table (PostgreSQL for a contact centre) every ``--interval`` seconds and redraws;
``--once`` prints one snapshot and exits (scripts, tests). Ctrl-C ends the view.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from voiceassist.errors import ExitCode
from voiceassist.store.backend import StoreUnavailable
from voiceassist.store.cli import add_db_option, fmt_call_ms, open_store, positive
from voiceassist.store.store import Store, now_ms


def register(sub: Any) -> None:
    parser = sub.add_parser("supervise", help="live view of supervisor alerts (urgent cues, end_call)")
    add_db_option(parser)
    parser.add_argument("--once", action="store_true", help="print the current alerts and exit")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    parser.add_argument("--minutes", type=int, default=60, help="show alerts of the last N minutes")
    parser.add_argument("--limit", type=int, default=30, help="at most this many alerts")
    parser.set_defaults(func=run)


def render(store: Store, minutes: int, limit: int, now: int | None = None) -> str:
    now = now_ms() if now is None else now
    rows = store.alerts(now - minutes * 60_000, limit)
    lines = [f"voiceassist supervise: {store.target.display}: {len(rows)} alert(s) in the last {minutes} min"]
    if not rows:
        lines.append("  (no alerts)")
    for r in rows:
        ago = max(0, (now - int(r["created_at"])) // 1000)
        age = f"{ago // 60}m{ago % 60:02d}s ago" if ago < 3600 else f"{ago // 3600}h ago"
        lines.append(
            f"  {age:>10}  {r['severity'].upper():<6} {r['cue']:<16} {r['category']:<10} "
            f"{r['agent'] or '-':<12} {r['workstation']:<14} {r['caller_id'] or '-':<16} "
            f"call {fmt_call_ms(r['at_ms'])}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    positive(args.minutes, "--minutes")
    positive(args.limit, "--limit")
    store: Store | None = open_store(args)  # a bad URL or a missing store fails here, at once
    assert store is not None
    if args.once:
        with store:
            print(render(store, args.minutes, args.limit))
        return int(ExitCode.OK)
    interval = max(0.2, args.interval)
    try:
        while True:
            try:
                if store is None:
                    store = open_store(args)
                screen = render(store, args.minutes, args.limit)
            except StoreUnavailable as exc:  # a restart or a network drop: keep the view up
                if store is not None:
                    store.close()
                    store = None
                screen = (f"voiceassist supervise: database unreachable ({exc.message}); "
                          f"retrying every {interval:g} s")
            if sys.stdout.isatty():
                sys.stdout.write("\x1b[H\x1b[2J")
            print(screen, flush=True)
            time.sleep(interval)
    except KeyboardInterrupt:
        return int(ExitCode.OK)
    finally:
        if store is not None:
            store.close()
