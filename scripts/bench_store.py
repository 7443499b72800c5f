#!/usr/bin/env python3
"""Store benchmark (``python scripts/bench.py store``) and the load-generating worker used by the
concurrency test (``python scripts/bench_store.py worker ...``).

Measures
1. the cost of ``CallRecorder.on_event`` on the audio path (p50/p99/max enqueue time, us);
2. sustained rows/s of the writer thread into SQLite and PostgreSQL;
3. 20 worker processes ("20 workstations") writing whole calls into PostgreSQL for 60 s, then
   checking that no row is lost or duplicated;
and compares the rows/s with the need of 500 concurrent calls. Appends a section to BENCHMARKS.md
(``--no-write`` to only print). PostgreSQL comes from ``$VOICEASSIST_TEST_PG_URL``
(``source scripts/pg_ci.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceassist.events import Cue, Transcript  # noqa: E402
from voiceassist.session.after_call import AfterCallPolicy, decide_after_call  # noqa: E402
from voiceassist.store import CallRecorder, Store, StoreConfig  # noqa: E402
from voiceassist.store import records as rec  # noqa: E402
from voiceassist.store.writer import Writer  # noqa: E402

#: Rows a hard call writes per call-minute with transcripts on (see docs/store.md for the count):
#: 2 call rows (start + end update) spread over a 4 min call, ~24 final transcripts (both
#: speakers, one every ~5 s), ~4 cues, ~1 alert, ~0.25 incident rows, ~0.25 flag rows.
ROWS_PER_CALL_MINUTE = 30


def _cue(at_ms: int, i: int) -> Cue:
    return Cue(at_ms=at_ms, cue="state_boundary" if i % 3 else "calm_first", category="abuse",
               form="insult", rung=1 + i % 6, severity="urgent" if i % 50 == 0 else "warn",
               say="Set the boundary", script="I want to help you, and I can once we keep this respectful.",
               matched=("idiot",), rule="en/lexicon/abuse.toml:12", utterance=i)


def simulate_call(r: CallRecorder, ref: str, caller: str | None, cues: int = 4) -> None:
    """One call: start, caller/agent finals, ``cues`` cues (the last an end_call), end."""
    r.start_call(ref, lang="en", agent="bench", caller_id=caller)
    t = 0
    seen: list[Cue] = []
    for i in range(cues):
        t += 5000
        r.on_event(Transcript(speaker="caller", kind="final", text="you are an idiot fix it now",
                              start_ms=t - 3000, end_ms=t - 500, utterance=i))
        name = "end_call" if i == cues - 1 else "state_boundary"
        cue = Cue(at_ms=t, cue=name, category="abuse", form="insult", rung=3 + i, severity="warn",
                  say="Set the boundary", script="Keep it respectful.", matched=("idiot",))
        seen.append(cue)
        r.on_event(cue)
    # The after-call decision, as the call assembly makes it; the store records it.
    decision = decide_after_call(seen, AfterCallPolicy(flag_categories=("abuse",)), lambda cue_id: None,
                                 at_ms=t + 2000)
    r.end_call(t + 2000, reason="hangup", decision=decision)


# -- worker (one "workstation") ------------------------------------------------------------------
def worker(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_store.py worker")
    p.add_argument("--url", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--start-at", type=float, default=0.0, help="epoch s to start writing")
    p.add_argument("--name", required=True)
    p.add_argument("--caller", default="+390000000001")
    p.add_argument("--spool", required=True)
    args = p.parse_args(argv)
    cfg = StoreConfig(url=args.url, spool_dir=Path(args.spool), transcripts=True, retry_s=0.2)
    r = CallRecorder.open(cfg, workstation=args.name)
    r.flag_heads_up(args.caller)  # warm the read connection like a real call start
    while time.time() < args.start_at:
        time.sleep(0.01)
    deadline = time.time() + args.seconds
    calls = 0
    while time.time() < deadline:
        simulate_call(r, f"{args.name}-{calls}", args.caller)
        calls += 1
        # Real calls produce events at speaking pace; this loop produces them as fast as the CPU
        # allows, so it waits when its writer falls behind instead of overflowing the queue.
        while r.writer.backlog > cfg.queue_max // 2:
            time.sleep(0.01)
    r.close(timeout_s=60)
    s = r.writer.stats
    print(json.dumps({"name": args.name, "calls": calls, "enqueued": s.enqueued, "committed": s.committed,
                      "dropped": s.dropped, "spooled": s.spooled, "rejected": s.rejected,
                      "last_error": r.writer.last_error}))
    return 0 if s.dropped == 0 and s.rejected == 0 else 1


def run_workers(url: str, n: int, seconds: float, spool: Path) -> dict[str, object]:
    """Start ``n`` worker processes writing for ``seconds``; check the rows; return the numbers."""
    start_at = time.time() + 2.0 + 0.2 * n  # let the interpreters start first
    procs = [subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "worker", "--url", url, "--seconds", str(seconds),
         "--start-at", str(start_at), "--name", f"ws{i:02d}", "--spool", str(spool)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=seconds + 180)
            if proc.returncode != 0:
                raise RuntimeError(f"worker failed ({proc.returncode}): {err[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.time() - start_at
    calls = sum(int(r["calls"]) for r in results)
    records = sum(int(r["enqueued"]) for r in results)
    with Store.open(url, upgrade="none") as store:
        q = store.conn.query
        counts = {
            "calls": int(q("SELECT COUNT(*) FROM calls")[0][0]),
            "distinct_calls": int(q("SELECT COUNT(DISTINCT call_ref) FROM calls")[0][0]),
            "ended_calls": int(q("SELECT COUNT(*) FROM calls WHERE ended_at IS NOT NULL")[0][0]),
            "cue_events": int(q("SELECT COUNT(*) FROM cue_events")[0][0]),
            "transcripts": int(q("SELECT COUNT(*) FROM transcripts")[0][0]),
            "flag_count": int(q("SELECT COALESCE(SUM(count), 0) FROM caller_flags")[0][0]),
            "flag_hits": int(q("SELECT COUNT(*) FROM flag_hits")[0][0]),
        }
    return {"workers": n, "seconds": seconds, "elapsed_s": elapsed, "calls": calls, "records": records,
            "results": results, "db": counts}


# -- benchmark -----------------------------------------------------------------------------------
def bench_enqueue(tmp: Path, n: int) -> dict[str, float]:
    cfg = StoreConfig(url=f"sqlite://{tmp / 'enqueue.db'}", spool_dir=tmp / "spool", transcripts=True,
                      queue_max=max(10_000, 2 * n))
    r = CallRecorder.open(cfg, workstation="bench")
    r.start_call("enqueue", lang="en", agent="bench", caller_id="+390000000002")
    times = []
    events = []
    for i in range(n):
        if i % 2:
            events.append(_cue(i * 10, i))
        else:
            events.append(Transcript(speaker="caller", kind="final", text="you are an idiot fix it now",
                                     start_ms=i * 10, end_ms=i * 10 + 5, utterance=i))
    clock = time.perf_counter_ns
    for ev in events:
        t0 = clock()
        r.on_event(ev)
        times.append(clock() - t0)
    r.close(timeout_s=120)
    times.sort()
    us = [t / 1000 for t in times]
    return {"events": n, "p50_us": us[len(us) // 2], "p99_us": us[int(len(us) * 0.99)], "max_us": us[-1],
            "mean_us": statistics.fmean(us), "dropped": r.writer.stats.dropped}


def bench_rows(url: str, tmp: Path, n: int) -> dict[str, float]:
    writer = Writer(url, tmp / "spool-rows", queue_max=n + 10, batch_max=500).start()
    call = uuid.uuid4().hex
    records = [rec.make("cue", {
        "id": uuid.uuid4().hex, "call_id": call, "at_ms": i, "cue": "state_boundary", "category": "abuse",
        "form": "insult", "rung": 3, "severity": "warn", "say": "Set the boundary",
        "script": "Keep it respectful.", "matched": "[\"idiot\"]", "rule": "r", "utterance": i,
        "speaker": "caller", "why": ""}) for i in range(n)]
    assert writer.wait_replayed(30)
    t0 = time.perf_counter()
    for r in records:
        writer.submit(r)
    ok = writer.flush(600)
    elapsed = time.perf_counter() - t0
    writer.close()
    return {"rows": n, "seconds": elapsed, "rows_per_s": n / elapsed, "ok": float(ok)}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "worker":
        return worker(argv[1:])
    p = argparse.ArgumentParser(prog="bench.py store")
    p.add_argument("--events", type=int, default=200_000, help="events for the enqueue timing")
    p.add_argument("--rows", type=int, default=50_000, help="rows for the rows/s runs")
    p.add_argument("--workers", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0, help="length of the concurrent-writer run")
    p.add_argument("--no-write", action="store_true", help="do not append to BENCHMARKS.md")
    args = p.parse_args(argv)
    pg = os.environ.get("VOICEASSIST_TEST_PG_URL")
    need = 500 * ROWS_PER_CALL_MINUTE / 60
    out: dict[str, object] = {"need_rows_per_s_500_calls": need, "rows_per_call_minute": ROWS_PER_CALL_MINUTE}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        out["enqueue"] = bench_enqueue(tmp, args.events)
        print("enqueue:", out["enqueue"], flush=True)
        out["sqlite"] = bench_rows(f"sqlite://{tmp / 'rows.db'}", tmp, args.rows)
        print("sqlite:", out["sqlite"], flush=True)
        if pg:
            schema = "bench_" + uuid.uuid4().hex[:8]
            import psycopg

            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
            try:
                with Store.open(url, upgrade="none") as s:
                    s.upgrade()
                out["postgresql"] = bench_rows(url, tmp, args.rows)
                print("postgresql:", out["postgresql"], flush=True)
                with psycopg.connect(pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
                    conn.execute(f"CREATE SCHEMA {schema}")
                with Store.open(url, upgrade="none") as s:
                    s.upgrade()
                conc = run_workers(url, args.workers, args.seconds, tmp / "spool-workers")
                conc.pop("results")
                out["concurrent"] = conc
                print("concurrent:", conc, flush=True)
            finally:
                with psycopg.connect(pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        else:
            print("VOICEASSIST_TEST_PG_URL not set: PostgreSQL parts skipped", file=sys.stderr)
    print(json.dumps(out, indent=2))
    if not args.no_write:
        _append(out, args)
    return 0


def _append(out: dict[str, object], args: argparse.Namespace) -> None:
    e = out["enqueue"]
    sq = out["sqlite"]
    assert isinstance(e, dict) and isinstance(sq, dict)
    need = float(out["need_rows_per_s_500_calls"])  # type: ignore[arg-type]
    lines = [
        "", f"## Store (issue 7), {time.strftime('%Y-%m-%d')}", "",
        f"Machine: {os.cpu_count()} cores, shared. `python scripts/bench.py store` "
        f"(events {args.events}, rows {args.rows}).", "",
        f"- Audio path: `CallRecorder.on_event` over {e['events']} cue/transcript events: p50 "
        f"{e['p50_us']:.1f} us, **p99 {e['p99_us']:.1f} us**, max {e['max_us']:.0f} us "
        f"(a 20 ms audio block is 20 000 us); dropped {e['dropped']:.0f}.",
        f"- Need: ~{ROWS_PER_CALL_MINUTE} rows per call-minute (hard call, transcripts on) x 500 calls "
        f"= **{need:.0f} rows/s**.",
        f"- SQLite (WAL, synchronous=FULL, batches of 500): **{sq['rows_per_s']:.0f} rows/s** "
        f"({sq['rows_per_s'] / need:.0f}x the need).",
    ]
    pgr = out.get("postgresql")
    if isinstance(pgr, dict):
        lines.append(f"- PostgreSQL 15 (local, fsync on, one writer): **{pgr['rows_per_s']:.0f} rows/s** "
                     f"({pgr['rows_per_s'] / need:.0f}x the need).")
    conc = out.get("concurrent")
    if isinstance(conc, dict):
        db = conc["db"]
        rate = conc["records"] / conc["elapsed_s"]
        lines.append(
            f"- {conc['workers']} writer processes x {conc['seconds']:.0f} s into PostgreSQL (whole calls: "
            f"start, 4 finals, 4 cues, alert, flag, end): {conc['calls']} calls, {conc['records']} records, "
            f"**{rate:.0f} records/s** aggregate ({rate / need:.1f}x the need, CPU-bound on 2 shared cores); "
            f"rows in the DB: calls {db['calls']} (distinct {db['distinct_calls']}, "
            f"ended {db['ended_calls']}), "
            f"cue_events {db['cue_events']}, transcripts {db['transcripts']}, flag count {db['flag_count']} "
            f"= flag hits {db['flag_hits']}: no row lost or duplicated."
            if db["calls"] == db["distinct_calls"] == db["ended_calls"] == conc["calls"]
            and db["flag_count"] == db["flag_hits"] == conc["calls"]
            else f"- CONCURRENT RUN MISMATCH: {json.dumps(conc)}")
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
