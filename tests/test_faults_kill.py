"""Fault injection, kill -9: a child process records calls through the call store (the
recorder, as ``run`` drives it) and is killed at a random moment (fixed seeds); the next start
must find every acknowledged record, a sound SQLite file, no duplicate, and the call that was cut
closed as ``interrupted`` (before the fix it stayed open forever: ``ended_at`` NULL).
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from faults_helpers import report
from test_store_helpers import pg_url_fixture  # noqa: F401

from voiceassist.store import Store
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import CallRecorder

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from voiceassist.events import Cue
    from voiceassist.store.config import StoreConfig
    from voiceassist.store.recorder import CallRecorder
    url, spool = sys.argv[1], Path(sys.argv[2])
    r = CallRecorder.open(StoreConfig(url=url, spool_dir=spool, retry_s=0.05), workstation="ws-kill")
    n = 0
    call = 0
    while True:
        r.start_call(f"c{call}", lang="en", agent="dana")
        for k in range(20):
            r.on_event(Cue(at_ms=1000 * k, cue=f"k{n:07d}", category="abuse", form="insult", rung=1,
                           severity="warn", say="Set the boundary", script="Keep it respectful."))
            n += 1
            if k % 5 == 4:
                r.writer.flush(30)  # every cue so far is committed or fsync'ed in the spool
                print(n, flush=True)
        r.end_call(20_000, reason="hangup")
        call += 1
""")


def _kill_at_random(url: str, spool: Path, seed: int) -> int:
    """Run the child until a seeded random moment, kill -9 it; returns the cues acknowledged."""
    wait = random.Random(seed).uniform(0.5, 2.5)
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(spool)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert proc.stdout is not None
    done = 0
    start = time.monotonic()
    for line in proc.stdout:
        done = int(line)
        if time.monotonic() - start >= wait and done > 0:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_at_a_random_moment_loses_nothing_acknowledged_and_closes_the_cut_call(
    tmp_path: Path, seed: int
) -> None:
    url = f"sqlite://{tmp_path / 'k.db'}"
    Store.open(url).close()
    acked = _kill_at_random(url, tmp_path / "spool", seed)
    # The next start on the same workstation: replays the dead process's spool, closes its calls.
    rec = CallRecorder.open(StoreConfig(url=url, spool_dir=tmp_path / "spool", retry_s=0.05),
                            workstation="ws-kill")
    assert rec.writer.wait_replayed(30), rec.writer.last_error
    rec.close()
    con = sqlite3.connect(tmp_path / "k.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        cues = [r[0] for r in con.execute("SELECT cue FROM cue_events")]
        open_calls = con.execute("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL").fetchone()[0]
        interrupted = con.execute("SELECT COUNT(*) FROM calls WHERE end_reason = 'interrupted'").fetchone()[0]
    finally:
        con.close()
    missing = {f"k{i:07d}" for i in range(acked)} - set(cues)
    report("kill_9_sqlite", seed=seed, acknowledged=acked, stored=len(cues), lost=len(missing),
           duplicated=len(cues) - len(set(cues)), interrupted_calls_closed=interrupted)
    assert acked > 0 and not missing and len(cues) == len(set(cues))
    assert open_calls == 0 and interrupted >= 1


def test_open_calls_of_a_dead_process_are_closed_on_postgres(pg_url: str, tmp_path: Path) -> None:
    with Store.open(pg_url, upgrade="none") as store:
        store.upgrade()
    cfg = StoreConfig(url=pg_url, spool_dir=tmp_path / "spool", retry_s=0.05)
    dead = CallRecorder.open(cfg, workstation="ws-pg")
    dead.start_call("cut", lang="en", agent="dana")
    assert dead.writer.flush(10)
    dead.writer.close()  # the process dies: no call_end is ever written
    other = CallRecorder.open(cfg, workstation="ws-other")  # another workstation's start: not its call
    other.close()
    with Store.open(pg_url) as store:
        assert store.conn.query("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL")[0][0] == 1
    nxt = CallRecorder.open(cfg, workstation="ws-pg")
    assert nxt.writer.wait_replayed(10)
    nxt.close()
    with Store.open(pg_url) as store:
        assert store.conn.query("SELECT end_reason FROM calls") == [("interrupted",)]
