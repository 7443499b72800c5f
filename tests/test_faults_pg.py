"""Fault injection, PostgreSQL: a server that stops answering (SIGSTOP of the postmaster and its
backends: the TCP connections stay open and nothing answers, no timeout fires) and a server that
is stopped and started again, both during ``run``'s call loop on fake devices.

Before the store's reads went off the pipeline thread, the first test hung for good in the call
start's flag lookup (the issue saw ``run`` still stuck 120 s later, later calls without cues).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import live_call, pg_paused, report, stored_cues
from test_store_helpers import PG_CTL_ENV, pg_url_fixture  # noqa: F401

from voiceassist.store import Store
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder
from voiceassist.store.spool import read_spool_file, spool_files

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

CALLER = "+39 02 1234 5678"


def _recorder(url: str, tmp_path: Path) -> CallRecorder:
    with Store.open(url, upgrade="none") as store:
        store.upgrade()
    cfg = StoreConfig(url=url, spool_dir=tmp_path / "spool", retry_s=0.2, read_deadline_ms=300,
                      write_deadline_s=1.0)
    return CallRecorder.open(cfg)


def _db_counts(url: str) -> dict[str, Any]:
    with Store.open(url) as store:
        q = store.conn.query
        return {
            "calls": store.count("calls"),
            "open_calls": int(q("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL")[0][0]),
            "cue_events": store.count("cue_events"),
            "distinct_cue_events": int(q("SELECT COUNT(DISTINCT id) FROM cue_events")[0][0]),
            "flag_count": int((q("SELECT MAX(count) FROM caller_flags")[0][0]) or 0),
        }


def test_a_paused_postgres_never_stalls_the_call_loop_and_loses_nothing(pg_url: str, tmp_path: Path) -> None:
    rec = _recorder(pg_url, tmp_path)
    logs = []
    try:
        _, first = live_call(tmp_path, rec, caller_id=CALLER)
        logs.append(first)
        assert rec.writer.flush(20)
        later: list[list[dict[str, Any]]] = []
        on_disk = 0
        with pg_paused():
            runner = threading.Thread(target=lambda: later.extend(
                live_call(tmp_path, rec, caller_id=CALLER)[1] for _ in range(2)), daemon=True)
            runner.start()
            runner.join(120)  # a guard, not a timing: before the fix it never finished
            finished_while_paused = not runner.is_alive()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and on_disk == 0:  # the writer gives up on the hung write
                on_disk = sum(len(read_spool_file(p)) for p in spool_files(tmp_path / "spool"))
                time.sleep(0.1)
        runner.join(60)
        assert finished_while_paused, "the call loop waited for the paused database"
        assert len(later) == 2 and all(stored_cues(log) > 0 for log in later), "later calls got no cues"
        assert on_disk > 0, "records of the paused time were only in RAM"
        logs += later
        assert rec.writer.wait_replayed(60), rec.writer.last_error
    finally:
        rec.close()
    stats = rec.writer.stats
    db = _db_counts(pg_url)
    expected = sum(stored_cues(log) for log in logs)
    report("postgres_sigstop", calls=3, acknowledged=stats.enqueued, spooled=stats.spooled,
           replayed=stats.replayed, cues_shown=sum(1 for log in logs for e in log if e["type"] == "cue"),
           cue_events_stored=db["cue_events"], lost=expected - db["cue_events"],
           reads_missed=rec.reads.missed)
    assert stats.dropped == 0 and stats.lost == 0
    assert db["calls"] == 3 and db["open_calls"] == 0
    assert db["cue_events"] == db["distinct_cue_events"] == expected
    # The abusive caller was flagged once per call: the replay bumped nothing twice.
    assert db["flag_count"] == 3
