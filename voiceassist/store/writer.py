"""The writer thread: takes records from a bounded queue and stores them, so the audio path never
waits for a database.

``submit`` only does ``put_nowait`` (a full queue counts the record as dropped and returns False:
the caller never blocks). The thread writes batches of up to ``batch_max`` records per
transaction. When the database is unreachable the batch, and every later one, is appended to the
spool (fsync'ed) so order is kept; every ``retry_s`` seconds the thread reconnects, replays
orphaned spool files of dead processes and then its own spool, oldest first, and goes back to
direct writes. Records carry their own keys, so a replay never duplicates anything.

Every database call runs on a second daemon thread (:class:`~voiceassist.store.offthread.OffThread`)
and the writer waits for it at most ``write_deadline_s``: a server that stops answering (SIGSTOP,
a network that drops packets with the TCP connection still open) turns into "down" after that
deadline, the batch goes to the spool and the records after it too, while the stuck call finishes
whenever the server answers again (its commit and the later replay write the same keys).

When the spool itself cannot be written (disk full, read-only) the thread never dies: the
records stay in RAM in order (``stats.unwritten``), the trouble is logged once as an error, and
every ``retry_s`` the thread tries the spool and the database again.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from voiceassist.errors import StoreError
from voiceassist.store.backend import LIVE_WAIT_S, StoreUnavailable
from voiceassist.store.offthread import Busy, OffThread
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
    #: Records now held in RAM because neither the database nor the spool could take them.
    unwritten: int = 0
    #: Records that could be written nowhere when the writer closed (reported as an error).
    lost: int = 0


#: Seconds the writer waits for one database call before calling the store down.
WRITE_DEADLINE_S = 30.0


class _Job:
    """One database call the writer thread waits for; ``abandoned`` once its deadline passed.
    ``progress`` (monotonic s) moves on with every committed transaction: a slow database that
    commits is waited for, one that answers nothing for the deadline is given up."""

    def __init__(self) -> None:
        self.abandoned = False
        self.progress = time.monotonic()


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
        write_deadline_s: float = WRITE_DEADLINE_S,
    ):
        self.url = url
        self.spool = Spool(spool_dir_for(spool_root, url))
        self.batch_max = batch_max
        self.retry_s = retry_s
        self.on_committed = on_committed
        self.write_deadline_s = write_deadline_s
        self.stats = WriterStats()
        #: Runs every database call (the connection lives on that thread only).
        self._db = OffThread("voiceassist-store-db", max_pending=1)
        #: Records neither the database nor the spool took yet, oldest first (_spool_lock).
        self._held: list[Record] = []
        self._warned_spool = False
        #: A replay still running past the write deadline (see _recover).
        self._recovering: Future[None] | None = None
        self._unreachable = False
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
        return self._down or self.spool.pending > 0 or bool(self._held)

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
        spool_error: OSError | None = None
        if self._thread is not None:
            end = time.monotonic() + timeout_s
            self.flush(timeout_s)
            # Records spooled during a short outage (a write past its deadline under load, a
            # replay still running) go to the database now if it answers, instead of waiting for
            # the next start; a server that refuses connections is not waited for.
            outages = self.stats.outages
            while self.is_down and time.monotonic() < end and not (
                    self.stats.outages != outages and self._unreachable):
                time.sleep(0.02)
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
            leftover = self._held + leftover
            self._held = []
            self._abandoned = True
            if leftover:
                try:
                    self.spool.append(leftover)
                    self.stats.spooled += len(leftover)
                    leftover = []
                except OSError as exc:
                    spool_error = exc
            with contextlib.suppress(OSError):
                self.spool.close()
        if leftover:  # the last chance: straight to the database, if it answers in time
            try:
                self._on_db(lambda job: self._write(leftover, job), deadline_s=min(2.0, timeout_s))
            except Exception as exc:
                self.stats.lost += len(leftover)
                log.error("store: %d records LOST: the spool could not be written (%s) and the "
                          "database did not take them (%s)", len(leftover), spool_error,
                          getattr(exc, "message", exc))
        self.stats.unwritten = 0
        with contextlib.suppress(Busy, TimeoutError):
            self._db.call(self._drop_store, timeout_s=1.0)
        self._db.close()

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        self._recover()
        idle = max(0.02, min(self.retry_s, 0.5))
        while True:
            try:
                first = self._queue.get(timeout=idle)
            except queue.Empty:
                if self.is_down:
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
                log.exception("store writer failed; records go to the spool")
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
        if self.is_down:
            self._maybe_recover()
        if self.is_down:
            self._to_spool(records)
            return
        try:
            self._on_db(lambda job: self._write(records, job))
        except (StoreUnavailable, StoreError) as exc:
            self._went_down(exc)
            self._to_spool(records)

    def _on_db(self, func: Callable[[_Job], None], *, deadline_s: float | None = None) -> None:
        """Run ``func`` on the database thread and wait at most the write deadline. Raises
        StoreUnavailable when it does not return in time (it goes on running, abandoned) or when
        an earlier call is still stuck; the job's own errors otherwise."""
        job = _Job()
        deadline = self.write_deadline_s if deadline_s is None else deadline_s
        try:
            fut = self._db.submit(lambda: func(job))
        except Busy:
            raise StoreUnavailable("the store has not answered an earlier request yet") from None
        while True:
            try:
                fut.result(timeout=max(0.01, job.progress + deadline - time.monotonic()))
                return
            except TimeoutError:
                if time.monotonic() - job.progress >= deadline:
                    job.abandoned = True
                    raise StoreUnavailable(f"the store did not answer within {deadline:g} s") from None

    def _write(self, records: Sequence[Record], job: _Job, *, ours: bool = True) -> None:
        """Write in transactions of ``batch_max``; a rejected record is written alone and skipped.
        Runs on the database thread; an abandoned job (its records are spooled) counts nothing,
        nor do other processes' records (``ours=False``: orphaned spools)."""
        try:
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
                            log.error("store: record %s rejected and skipped: %s", record.kind,
                                      exc.message)
                job.progress = time.monotonic()
                if job.abandoned or not ours:
                    continue
                self.stats.committed += len(chunk)
                if self.on_committed is not None:
                    self.on_committed(chunk)
        except (StoreUnavailable, StoreError):
            self._drop_store()
            raise
        finally:
            if job.abandoned:  # the writer stopped waiting: start afresh next time
                self._drop_store()

    def _connect(self) -> Store:
        if self._store is None:
            store = Store.open(self.url, upgrade="auto", busy_s=LIVE_WAIT_S)
            self._store = store
        return self._store

    def _drop_store(self) -> None:
        """Close the connection (on the database thread, the only one that uses it)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _went_down(self, exc: StoreError) -> None:
        if not self._down:
            log.warning("store unavailable, spooling records locally: %s", exc.message)
        self.last_error = exc.message
        self._unreachable = exc.message.startswith("cannot ")  # no connection (not: slow, busy)
        self._down = True
        self.stats.outages += 1

    def _to_spool(self, records: Sequence[Record]) -> None:
        """Append ``records`` (after any held ones) to the spool; never raises. When the spool
        cannot be written they stay in RAM, in order, and are retried."""
        with self._spool_lock:
            if self._abandoned:  # close() already spooled them, in order
                return
            self._held.extend(records)
            try:
                self.spool.append(self._held)
            except OSError as exc:
                self.stats.unwritten = len(self._held)
                if not self._warned_spool:
                    self._warned_spool = True
                    log.error("store: %d records could not be written to the database nor to the "
                              "spool (%s): kept in memory and retried every %g s; they are lost "
                              "if this process is killed", len(self._held), exc, self.retry_s)
                return
            done = len(self._held)
            self._held = []
            self.stats.unwritten = 0
            if self._warned_spool:
                self._warned_spool = False
                log.warning("store: the spool is writable again; %d held records spooled", done)
        self.stats.spooled += done

    def _maybe_recover(self) -> None:
        if time.monotonic() - self._last_try >= self.retry_s:
            self._recover()

    def _recover(self) -> None:
        """Reconnect, replay orphaned spools, our own, then records held in RAM, and resume
        direct writes. A replay that takes longer than the write deadline (a long spool, a slow
        database) is not given up: it goes on, records keep going to the spool meanwhile, and
        the writer resumes direct writes once it has finished. When the database stays down,
        held records are tried on the spool."""
        self._last_try = time.monotonic()
        try:
            if self._recovering is not None:
                if not self._recovering.done():
                    return
                fut, self._recovering = self._recovering, None
                fut.result()
            else:
                try:
                    fut = self._db.submit(lambda: self._replay(_Job()))
                except Busy:
                    raise StoreUnavailable("the store has not answered an earlier request yet") from None
                try:
                    fut.result(timeout=self.write_deadline_s)
                except TimeoutError:
                    self._recovering = fut
                    return
            if self._down:
                log.info("store reachable again; spool replayed")
            self._down = False
        except (StoreUnavailable, StoreError) as exc:
            self._went_down(exc)
            if self._held:
                self._to_spool(())

    def _replay(self, job: _Job) -> None:
        with self.spool.orphans() as orphans:
            for path, _fd in orphans:
                records = read_spool_file(path)
                self._write(records, job, ours=False)
                self.stats.replayed += len(records)
                self.spool.remove_orphan(path)
        with self._spool_lock:
            own, size = self.spool.own_snapshot()
        if own:
            self._write(own, job)
            self.stats.replayed += len(own)
            with self._spool_lock:
                try:
                    self.spool.drop_replayed(size, len(own))
                except OSError as exc:  # replayed again later: the keys make that harmless
                    log.warning("store: spool not emptied after replay: %s", exc)
        with self._spool_lock:
            held = list(self._held)
        if held:
            self._write(held, job)
            self.stats.replayed += len(held)
            with self._spool_lock:
                del self._held[:len(held)]
                self.stats.unwritten = len(self._held)
        if self._store is None:
            self._connect()
