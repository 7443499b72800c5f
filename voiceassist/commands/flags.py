"""``voiceassist flags list | show | clear | forget | export``: caller flags."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from voiceassist.calllog import default_log_dir
from voiceassist.commands.output import print_json
from voiceassist.errors import ExitCode, UsageError
from voiceassist.store.cli import add_db_option, config_from_args, fmt_time, open_store, write_output
from voiceassist.store.spool import caller_in_spools, scrub_caller
from voiceassist.store.validate import normalize_caller_id


def register(sub: Any) -> None:
    parser = sub.add_parser("flags", help="caller flags: list, show, clear, forget, export")
    fsub = parser.add_subparsers(dest="flags_command", metavar="ACTION", required=True)
    ls = fsub.add_parser("list", help="active flags, newest first")
    add_db_option(ls)
    ls.add_argument("--all", action="store_true", help="include expired flags")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)
    show = fsub.add_parser("show", help="one caller's flags")
    add_db_option(show)
    show.add_argument("caller")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)
    clear = fsub.add_parser("clear", help="remove a caller's flags (past calls are kept)")
    add_db_option(clear)
    clear.add_argument("caller")
    clear.add_argument("--category", help="only this category (abuse, threat ...)")
    clear.set_defaults(func=run_clear)
    forget = fsub.add_parser("forget", help="erase every trace of a caller id: store, spool, incident "
                             "clips, call logs on this machine (data-protection request; docs/store.md)")
    add_db_option(forget)
    forget.add_argument("caller")
    forget.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    forget.set_defaults(func=run_forget)
    export = fsub.add_parser("export", help="export flags as CSV")
    add_db_option(export)
    export.add_argument("--csv", action="store_true", required=True, help="CSV output (the only format)")
    export.add_argument("--all", action="store_true", help="include expired flags")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(func=run_export)


def _print_flags(flags: list[Any]) -> None:
    if not flags:
        print("no flags")
        return
    print(f"{'caller':<20} {'category':<10} {'calls':>5}  {'last seen':<16}  {'expires':<16}  reason")
    for f in flags:
        print(f"{f.caller_id:<20} {f.category:<10} {f.count:>5}  {fmt_time(f.last_seen):<16}  "
              f"{fmt_time(f.expires_at):<16}  {f.last_reason}")


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        flags = store.flags(include_expired=args.all)
    if args.json:
        print_json([f.as_dict() for f in flags])
    else:
        _print_flags(flags)
    return int(ExitCode.OK)


def run_show(args: argparse.Namespace) -> int:
    cid = normalize_caller_id(args.caller)
    with open_store(args) as store:
        flags = store.flags(cid, include_expired=True)
    if args.json:
        print_json([f.as_dict() for f in flags])
        return int(ExitCode.OK)
    if not flags:
        print(f"{cid}: not flagged")
        return int(ExitCode.OK)
    _print_flags(flags)
    return int(ExitCode.OK)


def run_clear(args: argparse.Namespace) -> int:
    cid = normalize_caller_id(args.caller)
    with open_store(args) as store:
        removed = store.clear_flags(cid, args.category)
    print(f"{cid}: {removed} flag(s) cleared" if removed else f"{cid}: no flags to clear")
    return int(ExitCode.OK)


def run_forget(args: argparse.Namespace) -> int:
    cid = normalize_caller_id(args.caller)
    if not args.yes:
        raise UsageError(f"forget erases every record of {cid} (calls, cues, transcripts, incidents, "
                         "alerts, flags, spooled records, incident audio clips, call logs) and cannot "
                         "be undone", hint="repeat with --yes to do it")
    from voiceassist.settings import load_settings
    from voiceassist.store.erase import erase_files

    config = config_from_args(args)
    spool_root = config.effective_spool_dir
    with open_store(args) as store:
        known = [str(r[0]) for r in store.conn.query("SELECT id FROM calls WHERE caller_id = ?", [cid])]
        spooled = caller_in_spools(spool_root, cid, known)
        result = store.forget(cid, calls=sorted(spooled.call_ids), incidents=sorted(spooled.incident_ids))
        scrubbed, held = scrub_caller(spool_root, cid, [*result.call_ids, *result.incident_ids])
        settings = load_settings(config_file=Path(args.config) if getattr(args, "config", None) else None)
        log_dir = (Path(str(settings["log.dir"])).expanduser() if settings.get("log.dir")
                   else default_log_dir())
        files = erase_files(store.forgotten_files(), refs=spooled.call_refs,
                            clips=[*result.clips, *spooled.clips], log_dir=log_dir,
                            clip_dir=spool_root.parent / "incidents")
        left = store.caller_trace_count(cid, call_ids=result.call_ids)
    detail = ", ".join(f"{t} {n}" for t, n in result.counts.items() if n)
    parts = [f"{result.rows} store row(s)" + (f" ({detail})" if detail else "")]
    parts += [f"{scrubbed} spooled record(s)"] if scrubbed else []
    parts += [f"{files.clips} incident audio clip(s)"] if files.clips else []
    parts += [f"{files.logs} call log(s)"] if files.logs else []
    if result.rows or scrubbed or files.clips or files.logs:
        print(f"{cid}: erased " + ", ".join(parts))
    else:
        print(f"{cid}: nothing to erase (forget keeps no list of erased callers, so an earlier "
              "erasure cannot be shown)")
    if held:
        print(f"{held} spooled record(s) of {cid} are in spool files held by running voiceassist "
              "processes: the store drops them when they are written")
    if left:
        print(f"warning: {left} row(s) still mention {cid} inside free text", file=sys.stderr)
        return int(ExitCode.CHECK_FAILED)
    print(f"{cid}: nothing is left in the store, the spool, the incident clips or the call logs of "
          "this machine (other workstations: run this command there too)")
    return int(ExitCode.OK)


def run_export(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        flags = store.flags(include_expired=args.all)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["caller_id", "category", "count", "first_seen", "last_seen", "expires_at",
                     "last_reason"])
    for f in flags:
        writer.writerow([f.caller_id, f.category, f.count, _iso(f.first_seen), _iso(f.last_seen),
                         _iso(f.expires_at), f.last_reason])
    if args.output:
        write_output(args.output, buf.getvalue())
        print(f"{len(flags)} flag(s) written to {args.output}")
    else:
        sys.stdout.write(buf.getvalue())
    return int(ExitCode.OK)


def _iso(epoch_ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
