"""``voiceassist db upgrade | status | replay``: schema migrations and the local spool."""

from __future__ import annotations

import argparse
from typing import Any

from voiceassist.commands.output import print_json
from voiceassist.errors import ExitCode, StoreError
from voiceassist.store.cli import add_db_option, config_from_args, fmt_time
from voiceassist.store.schema import LATEST, MIGRATIONS
from voiceassist.store.spool import read_spool_file, spool_dir_for, spool_files
from voiceassist.store.store import Store


def register(sub: Any) -> None:
    parser = sub.add_parser("db", help="call store: schema upgrade, status, spool replay")
    dsub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the store schema to this version")
    add_db_option(up)
    up.add_argument("--to", type=int, default=LATEST, help=f"target schema version (default {LATEST})")
    up.set_defaults(func=run_upgrade)
    st = dsub.add_parser("status", help="schema version, pending migrations, rows, spooled records")
    add_db_option(st)
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(func=run_status)
    rp = dsub.add_parser("replay", help="write records spooled while the database was down")
    add_db_option(rp)
    rp.set_defaults(func=run_replay)


def run_upgrade(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with Store.open(config.effective_url, upgrade="none") as store:
        before = store.schema_version()
        done = store.upgrade(args.to)
        after = store.schema_version()
    if done:
        print(f"{store.target.display}: schema {before} -> {after} (applied {', '.join(map(str, done))})")
    else:
        print(f"{store.target.display}: schema already at version {after}")
    return int(ExitCode.OK)


def run_status(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    folder = spool_dir_for(config.effective_spool_dir, config.effective_url)
    files = sorted(folder.glob("spool-*.jsonl")) if folder.is_dir() else []
    spooled = sum(len(read_spool_file(p)) for p in files)
    with Store.open(config.effective_url, upgrade="none") as store:
        version = store.schema_version()
        applied = store.applied_migrations()
        counts = ({t: store.count(t) for t in ("calls", "cue_events", "transcripts", "caller_flags",
                                                 "incidents", "alerts", "agent_breaks")}
                  if version >= 1 else {})
    pending = [m.version for m in MIGRATIONS if m.version > version]
    status = {
        "url": store.target.display, "dialect": store.target.dialect, "version": version,
        "latest": LATEST, "pending": pending, "applied": [
            {"version": v, "description": d, "applied_at": a} for v, d, a in applied],
        "rows": counts, "spooled_records": spooled,
    }
    if args.json:
        print_json(status)
    else:
        print(f"store:    {status['url']} ({status['dialect']})")
        todo = f", pending {', '.join(map(str, pending))}: run `voiceassist db upgrade`" if pending else ""
        print(f"schema:   version {version} of {LATEST}{todo}")
        for v, d, a in applied:
            print(f"  v{v}  {fmt_time(a)}  {d}")
        if counts:
            print("rows:     " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        print(f"spooled:  {spooled} record(s) waiting to be written")
    return int(ExitCode.CHECK_FAILED if pending else ExitCode.OK)


def run_replay(args: argparse.Namespace) -> int:
    from voiceassist.store.writer import Writer

    config = config_from_args(args)
    writer = Writer(config.effective_url, config.effective_spool_dir, retry_s=0.2).start()
    ok = writer.wait_replayed(timeout_s=30.0)
    stats = writer.stats
    writer.close()
    if not ok:
        raise StoreError(f"could not replay the spool: {writer.last_error or 'database unreachable'}",
                         hint="check `voiceassist db status` and that the database runs")
    print(f"replayed {stats.replayed} spooled record(s)")
    left = [p for p in spool_files(config.effective_spool_dir) if p.stat().st_size]
    if left:
        print(f"{len(left)} spool file(s) still held by running voiceassist processes or other stores")
    return int(ExitCode.OK)
