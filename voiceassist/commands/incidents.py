"""``voiceassist incidents list | show ID | export ID --format json|html``: threat reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceassist.commands.output import print_json
from voiceassist.errors import ExitCode
from voiceassist.store.cli import add_db_option, fmt_call_ms, fmt_time, open_store, positive, write_output
from voiceassist.store.report import incident_html, incident_json
from voiceassist.store.store import incident_prefix


def register(sub: Any) -> None:
    parser = sub.add_parser("incidents", help="threat incidents: list, show, export for the legal team")
    isub = parser.add_subparsers(dest="incidents_command", metavar="ACTION", required=True)
    ls = isub.add_parser("list", help="incidents, newest first")
    add_db_option(ls)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    show = isub.add_parser("show", help="one incident with its transcript")
    add_db_option(show)
    show.add_argument("id", help="incident id or its first characters (at least 4)")
    show.set_defaults(func=run_show)
    export = isub.add_parser("export", help="a report file: JSON or self-contained HTML")
    add_db_option(export)
    export.add_argument("id")
    export.add_argument("--format", choices=("json", "html"), default="html")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    export.set_defaults(func=run_export)


def run_list(args: argparse.Namespace) -> int:
    limit = positive(args.limit, "--limit")
    with open_store(args) as store:
        rows = store.incidents(limit=limit)
    if args.json:
        print_json(rows)
        return int(ExitCode.OK)
    if not rows:
        print("no incidents")
        return int(ExitCode.OK)
    print(f"{'id':<10} {'recorded':<16} {'category':<16} {'caller':<16} {'agent':<12} {'status':<9} words")
    for r in rows:
        words = ", ".join(w for t in r["triggers"] for w in t.get("words", []))
        print(f"{r['id'][:8]:<10} {fmt_time(r['opened_at']):<16} {r['category'] + '/' + r['form']:<16} "
              f"{r['caller_id'] or '-':<16} {r['agent'] or '-':<12} {r['status']:<9} {words}")
    return int(ExitCode.OK)


def run_show(args: argparse.Namespace) -> int:
    incident_prefix(args.id)  # bad input first, before any store is opened
    with open_store(args) as store:
        inc = store.incident(args.id)
    print(f"incident {inc['id']}  ({inc['status']})")
    print(f"  recorded   {fmt_time(inc['opened_at'])} at {fmt_call_ms(inc['at_ms'])} of the call")
    print(f"  category   {inc['category']}/{inc['form']} (cue {inc['cue']})")
    print(f"  caller     {inc['caller_id'] or 'not given'}   agent {inc['agent'] or '-'}"
          f"   workstation {inc['workstation']}")
    for t in inc["triggers"]:
        print(f"  trigger    {fmt_call_ms(t['at_ms'])} {t['cue']}: {', '.join(t.get('words', []))}")
    print(f"  transcript {fmt_call_ms(inc['window_start_ms'])} - {fmt_call_ms(inc['window_end_ms'])}")
    for s in inc["transcript"]:
        print(f"    {fmt_call_ms(s['start_ms'])} {s['speaker']:<7} {s['text']}")
    print(f"  audio      {inc.get('audio_clip') or 'none (call not recorded)'}")
    return int(ExitCode.OK)


def run_export(args: argparse.Namespace) -> int:
    incident_prefix(args.id)
    with open_store(args) as store:
        inc = store.incident(args.id)
    text = incident_json(inc) if args.format == "json" else incident_html(inc)
    if args.output:
        write_output(args.output, text)
        print(f"incident {inc['id'][:8]} written to {args.output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return int(ExitCode.OK)
