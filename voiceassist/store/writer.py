"""The writer thread: takes records from a bounded queue and stores them, so the audio path never
waits for a database.

``submit`` only does ``put_nowait`` (a full queue counts the record as dropped and returns False:
the caller never blocks). The thread writes batches of up to ``batch_max`` records per
transaction. When the database is unreachable the batch, and every later one, is appended to the
spool (fsync'ed) so order is kept; every ``retry_s`` seconds the thread reconnects, replays
orphaned spool files of dead processes and then its own spool, oldest first, and goes back to
direct writes. Records carry their own keys, so a replay never duplicates anything.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceassist.errors import StoreError
from voiceassist.store.backend import LIVE_WAIT_S, StoreUnavailable
from voiceassist.store.records import Record
from voiceassist.store.spool import Spool, read_spool_file, spool_dir_for
from voiceassist.store.store import Store
from voiceassist.store.validate import RecordRejected

log = logging.getLogger(__name__)
_STOP = Record("__stop__", {})


@dataclass
class WriterStats:
    """Counters since the writer started (records)."""

    enqueued: int = 0
    committed: int = 0
    spooled: int = 0
    replayed: int = 0
    dropped: int = 0
    rejected: int = 0
    #: Failed connection attempts while the database was down.
    outages: int = 0


class Writer:
    """Background writer for one store URL."""

    def __init__(
        self,
        url: str,
        spool_root: Path,
        *,
        queue_max: int = 10_000,
        batch_max: int = 500,
        retry_s: float = 2.0,
        on_committed: Callable[[Sequence[Record]], None] | None = None,
    ):
        self.url = url
        self.spool = Spool(spool_dir_for(spool_root, url))
        self.batch_max = batch_max
        self.retry_s = retry_s
        self.on_committed = on_committed
        self.stats = WriterStats()
        self._queue: queue.Queue[Record] = queue.Queue(maxsize=queue_max)
        self._store: Store | None = None
        self._down = True  # until the first connection succeeds
        self._last_try = float("-inf")
        self._spool_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: The batch the thread is writing now (None between batches), guarded by _spool_lock.
        self._inflight: list[Record] | None = None
        #: Set by close() when the thread did not finish in time: it has spooled the batch in
        #: flight and everything queued after it, and the thread must not spool anything again.
        self._abandoned = False
        self._warned_full = False
        self.last_error = ""

    # -- API used by the audio path -------------------------------------------------------------
    def submit(self, record: Record) -> bool:
        """Queue one record without ever blocking; False if the queue is full (record dropped)."""
        if self._closed:
            self.stats.dropped += 1
            return False
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.stats.dropped += 1
            if not self._warned_full:
                self._warned_full = True
                log.warning("store queue full (%d records): dropping records", self._queue.maxsize)
            return False
        self.stats.enqueued += 1
        return True

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Writer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voiceassist-store-writer", daemon=True)
            self._thread.start()
            atexit.register(self.close)
        return self

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued record is committed or spooled; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return self._queue.unfinished_tasks == 0

    @property
    def backlog(self) -> int:
        """Records queued and not yet taken by the thread."""
        return self._queue.qsize()

    @property
    def is_down(self) -> bool:
        """True while records go to the spool."""
        return self._down or self.spool.pending > 0

    def wait_replayed(self, timeout_s: float = 10.0) -> bool:
        """Wait until the queue is empty and the spool replayed (for tests and ``db replay``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0 and not self.is_down:
                return True
            time.sleep(0.02)
        return False

    def close(self, timeout_s: float = 5.0) -> None:
        """Flush, stop the thread and release the spool. Records the thread could not take in
        time are appended to the spool from here, so Ctrl-C loses nothing."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        leftover: list[Record] = []
        if self._thread is not None:
            self.flush(timeout_s)
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=0.5)
            self._thread.join(timeout=max(0.5, timeout_s / 2))
            if self._thread.is_alive():
                # Stuck in a write that does not return (a database that stopped answering): the
                # process may end before it does, so the batch it holds goes to the spool now,
                # ahead of what was queued after it (a replay is idempotent if it did commit).
                with self._spool_lock:
                    self._abandoned = True
                    leftover.extend(self._inflight or ())
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                leftover.append(item)
        with self._spool_lock:
            if leftover:
                self.spool.append(leftover)
                self.stats.spooled += len(leftover)
            self.spool.close()
        if self._store is not None and (self._thread is None or not self._thread.is_alive()):
            self._store.close()
            self._store = None

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        self._recover()
        idle = max(0.02, min(self.retry_s, 0.5))
        while True:
            try:
                first = self._queue.get(timeout=idle)
            except queue.Empty:
                if self._down or self.spool.pending:
                    self._maybe_recover()
                continue
            batch = [first]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(r is _STOP for r in batch)
            records = [r for r in batch if r is not _STOP]
            with self._spool_lock:
                self._inflight = records
            try:
                self._process(records)
            except Exception:  # never let the thread die: keep the records
                log.exception("store writer failed; records kept in the spool")
                self._to_spool(records)
            finally:
                with self._spool_lock:
                    self._inflight = None
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _process(self, records: list[Record]) -> None:
        if not records:
            return
        if self._down or self.spool.pending:
            self._maybe_recover()
        if self._down or self.spool.pending:
            self._to_spool(records)
            return
        try:
            self._write(records)
        except (StoreUnavailable, StoreError) as exc:
            self._went_down(exc)
            self._to_spool(records)

    def _write(self, records: Sequence[Record]) -> None:
        """Write in transactions of ``batch_max``; a rejected record is written alone and skipped."""
        store = self._connect()
        for start in range(0, len(records), self.batch_max):
            chunk = records[start:start + self.batch_max]
            try:
                store.apply(chunk)
            except RecordRejected:
                for record in chunk:
                    try:
                        store.apply([record])
                    except RecordRejected as exc:
                        self.stats.rejected += 1
                        log.error("store: record %s rejected and skipped: %s", record.kind, exc.message)
            self.stats.committed += len(chunk)
            if self.on_committed is not None:
                self.on_committed(chunk)

    def _connect(self) -> Store:
        if self._store is None:
            store = Store.open(self.url, upgrade="auto", busy_s=LIVE_WAIT_S)
            self._store = store
        return self._store

    def _went_down(self, exc: StoreError) -> None:
        if not self._down:
            log.warning("store unavailable, spooling records locally: %s", exc.message)
        self.last_error = exc.message
        self._down = True
        self.stats.outages += 1
        if self._store is not None:
            self._store.close()
            self._store = None

    def _to_spool(self, records: Sequence[Record]) -> None:
        with self._spool_lock:
            if self._abandoned:  # close() already spooled them, in order
                return
            self.spool.append(records)
        self.stats.spooled += len(records)

    def _maybe_recover(self) -> None:
        if time.monotonic() - self._last_try >= self.retry_s:
            self._recover()

    def _recover(self) -> None:
        """Reconnect, replay orphaned spools then our own, and resume direct writes."""
        self._last_try = time.monotonic()
        try:
            with self.spool.orphans() as orphans:
                for path, _fd in orphans:
                    records = read_spool_file(path)
                    self._write(records)
                    self.stats.replayed += len(records)
                    self.spool.remove_orphan(path)
            with self._spool_lock:
                own = self.spool.own_records()
            if own:
                self._write(own)
                self.stats.replayed += len(own)
                with self._spool_lock:
                    self.spool.mark_replayed()
            if self._store is None:
                self._connect()
            if self._down:
                log.info("store reachable again; spool replayed")
            self._down = False
        except (StoreUnavailable, StoreError) as exc:
            self._went_down(exc)
