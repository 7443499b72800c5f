"""``voiceassist shift [--agent NAME] [--date YYYY-MM-DD]`` summarises an agent's day;
``voiceassist shift break --minutes N`` records a break taken (resets the hard-call count)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from voiceassist.commands.output import print_json
from voiceassist.errors import ExitCode, UsageError
from voiceassist.store import records as rec
from voiceassist.store.cli import add_db_option, fmt_time, open_store
from voiceassist.store.identity import default_agent
from voiceassist.store.store import now_ms
from voiceassist.store.validate import check_field


def register(sub: Any) -> None:
    parser = sub.add_parser("shift", help="the agent's day: calls, hard calls, breaks")
    add_db_option(parser)
    parser.add_argument("action", nargs="?", choices=("summary", "break"), default="summary",
                        help="summary (default) or break: record a break taken now")
    parser.add_argument("--agent", help="agent name (default: $VOICEASSIST_AGENT or the login name)")
    parser.add_argument("--date", help="day to summarise, YYYY-MM-DD (default: today)")
    parser.add_argument("--minutes", type=int, default=5, help="length of the break taken, minutes")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    agent = check_field("agent", args.agent or default_agent())
    if args.action == "break":
        if not 1 <= args.minutes <= 240:
            raise UsageError(f"--minutes must be between 1 and 240, not {args.minutes}")
        with open_store(args, create=True) as store:
            store.apply([rec.make("break", {"id": rec.new_id(), "agent": agent, "at": now_ms(),
                                            "kind": "taken", "minutes": args.minutes, "hard_calls": 0})])
        print(f"{agent}: {args.minutes}-minute break recorded")
        return int(ExitCode.OK)
    try:
        day = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        raise UsageError(f"--date must be YYYY-MM-DD, not {args.date!r}") from None
    start = dt.datetime.combine(day, dt.time()).astimezone()
    end = start + dt.timedelta(days=1)
    with open_store(args) as store:
        summary = store.shift_summary(agent, int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    if args.json:
        print_json(summary)
        return int(ExitCode.OK)
    talk_min = summary["talk_ms"] / 60000
    print(f"{agent}, {day.isoformat()}")
    print(f"  calls          {summary['calls']} ({talk_min:.0f} min on the phone)")
    print(f"  hard calls     {summary['hard_calls']}")
    print(f"  incidents      {summary['incidents']}")
    print(f"  breaks taken   {summary['breaks_taken']} ({summary['break_minutes_taken']} min), "
          f"suggested {summary['breaks_suggested']}")
    if summary["cues_by_category"]:
        print("  cues           " + ", ".join(f"{k} {v}" for k, v in summary["cues_by_category"].items()))
    if summary["call_list"]:
        first, last = summary["call_list"][0], summary["call_list"][-1]
        print(f"  first call     {fmt_time(first['started_at'])}, last {fmt_time(last['started_at'])}")
    return int(ExitCode.OK)
