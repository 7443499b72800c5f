"""Fault injection, full disk: the store's spool cannot be written (ENOSPC, simulated at the
spool's ``os.write``, the first write of a batch cut halfway) while the database is unavailable.

Before the fix the writer thread died inside the handler that spools (the batch in flight lost,
later records waiting in RAM for good, the log claiming "kept in the spool"); the first test then
failed (thread dead, records missing after space returned).
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest
from faults_helpers import report

from voiceassist.store import Store
from voiceassist.store import records as rec
from voiceassist.store import spool as spool_mod
from voiceassist.store.spool import read_spool_file, spool_files
from voiceassist.store.writer import Writer

pytestmark = pytest.mark.faults


def _alert(i: int) -> rec.Record:
    return rec.make("alert", {"id": f"d{i:04d}", "created_at": i, "call_id": "c", "at_ms": i, "kind": "cue",
                              "cue": "end_call", "category": "abuse", "severity": "urgent", "agent": "a",
                              "workstation": "w", "caller_id": None, "message": "m"})


class FullDisk:
    """``os.write`` that fails with ENOSPC on spool files while ``full`` (the first failing
    write gets half of its bytes out first, like a disk filling mid-write)."""

    def __init__(self) -> None:
        self.full = True
        self.failures = 0
        self._real = os.write

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.full and "spool-" in os.readlink(f"/proc/self/fd/{fd}"):
            self.failures += 1
            if self.failures == 1 and len(data) > 1:
                self._real(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._real(fd, data)


def _ids(url: str) -> list[str]:
    with Store.open(url) as store:
        return [r[0] for r in store.conn.query("SELECT id FROM alerts ORDER BY id")]


def test_writer_survives_an_unwritable_spool_and_loses_no_acknowledged_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite://{tmp_path / 'full.db'}"
    Store.open(url).close()
    locker = sqlite3.connect(str(tmp_path / "full.db"), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # the database is unavailable: records must go to the spool
    disk = FullDisk()
    monkeypatch.setattr(spool_mod.os, "write", disk)
    w = Writer(url, tmp_path / "spool", retry_s=0.05, write_deadline_s=2.0).start()
    acked = 0
    with caplog.at_level(logging.WARNING, logger="voiceassist.store.writer"):
        for i in range(18):
            acked += w.submit(_alert(i))
        assert w.flush(20)
        for _ in range(400):  # the writer keeps retrying the spool while the disk is full
            if disk.failures >= 3:
                break
            time.sleep(0.05)
        assert w._thread is not None and w._thread.is_alive(), "the writer thread died"
        assert w.stats.unwritten == 18
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "could not be written" in errors[0].getMessage()
        for i in range(18, 20):  # later records are still taken
            acked += w.submit(_alert(i))
        disk.full = False  # space returns: the held records reach the spool, whole lines only
        assert w.flush(20)
        on_disk = []
        for _ in range(200):
            on_disk = [r.data["id"] for p in spool_files(tmp_path / "spool") for r in read_spool_file(p)]
            if len(on_disk) == 20:
                break
            time.sleep(0.05)
        assert on_disk == [f"d{i:04d}" for i in range(20)]
        locker.execute("ROLLBACK")
        locker.close()
        assert w.wait_replayed(30), w.last_error
    w.close()
    ids = _ids(url)
    report("spool_enospc", acknowledged=acked, stored=len(ids), lost=acked - len(ids),
           duplicated=len(ids) - len(set(ids)), spool_failures=disk.failures)
    assert acked == 20 and ids == [f"d{i:04d}" for i in range(20)]


def test_closing_while_disk_and_database_fail_reports_the_records_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing can take the records at exit: they are counted and said, never silently dropped."""
    url = f"sqlite://{tmp_path / 'full.db'}"
    Store.open(url).close()
    locker = sqlite3.connect(str(tmp_path / "full.db"), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(spool_mod.os, "write", FullDisk())
    w = Writer(url, tmp_path / "spool", retry_s=0.05, write_deadline_s=0.5).start()
    for i in range(5):
        w.submit(_alert(i))
    w.flush(10)
    with caplog.at_level(logging.ERROR, logger="voiceassist.store.writer"):
        w.close(timeout_s=1.0)
    locker.close()
    assert w.stats.lost == 5
    assert any("5 records LOST" in r.getMessage() for r in caplog.records)
