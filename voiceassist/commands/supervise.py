"""``voiceassist supervise``: live terminal view of supervisor alerts for the team lead.

Polls the alerts table (PostgreSQL for a contact centre) every ``--interval`` seconds and redraws;
``--once`` prints one snapshot and exits (scripts, tests). Ctrl-C ends the view.
``--web`` serves the same floor as a live page (agents on the floor, open alerts, hard calls of
today) on 127.0.0.1 with a per-start token, and opens it in the browser (``--print``: prints the
address instead); see docs/panel.md.
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
    parser.add_argument("--web", action="store_true",
                        help="serve the floor as a live page in the browser (token-protected, local)")
    parser.add_argument("--print", action="store_true", help="with --web: print the address, open no browser")
    parser.add_argument("--port", type=int, default=0, help="with --web: port (default: a free one)")
    parser.add_argument("--lang", default=None, help="with --web: page language (default call.lang)")
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
    if args.web:
        store.close()
        return serve_floor(args)
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
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the view ends, the store is closed
        return int(ExitCode.INTERRUPTED)
    finally:
        if store is not None:
            store.close()


def serve_floor(args: argparse.Namespace) -> int:
    """``--web``: the floor page until Ctrl-C."""
    import webbrowser

    from voiceassist.errors import UsageError
    from voiceassist.panel.floor import FloorFeed
    from voiceassist.panel.server import PanelApp, PanelServer
    from voiceassist.panel.strings import STRINGS
    from voiceassist.settings import load_settings

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {args.port}")
    from pathlib import Path

    config = Path(args.config) if getattr(args, "config", None) else None
    lang = args.lang or str(load_settings(config_file=config)["call.lang"])
    if lang not in STRINGS:
        raise UsageError(f"--lang must be one of {', '.join(STRINGS)}, not {lang!r}")
    feed = FloorFeed(lambda: open_store(args), lang=lang, minutes=args.minutes, limit=args.limit,
                     interval_s=max(0.2, args.interval)).start()
    server = PanelServer(PanelApp("floor.html", feed.hub, lang=lang, title="voiceassist supervise"),
                         port=args.port).start()
    try:
        print(server.url if args.print else f"voiceassist supervise: floor page on "
              f"{server.url.split('?')[0]} (opened in the browser); Ctrl-C ends it", flush=True)
        if not args.print and not webbrowser.open(server.url):
            print(server.url, flush=True)
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the view ends, the store is closed
        return int(ExitCode.INTERRUPTED)
    finally:
        server.close()
        feed.close()
