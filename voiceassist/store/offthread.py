"""One daemon thread that runs database jobs one at a time, so whoever asks can stop waiting.

A database that stops answering (a SIGSTOPped server, a dead network with the TCP connection
still open) blocks the thread in the driver, with no timeout that fires. The thread that asked
waits only up to its own deadline and goes on without the answer; the stuck job finishes when the
server answers again (or never: the thread is a daemon and does not keep the process alive).
While a job is stuck, later ones are refused at once (``busy``) instead of piling up behind it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from voiceassist.jobloop import serve_jobs

T = TypeVar("T")


class Busy(Exception):
    """The thread is still running an earlier job that passed its deadline."""


class OffThread:
    """Runs jobs on one daemon thread (started on first use). ``max_pending``: jobs that may wait
    or run at once; a further :meth:`submit` raises :class:`Busy` without waiting."""

    def __init__(self, name: str, *, max_pending: int = 4) -> None:
        self.name = name
        self.max_pending = max_pending
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._pending: list[Future[Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while any job has not finished."""
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()]
            return bool(self._pending)

    def submit(self, func: Callable[[], T]) -> Future[T]:
        """Queue ``func``; its Future carries the result or exception. Raises :class:`Busy` when
        ``max_pending`` jobs have not finished."""
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()]
            if self._closed:
                raise Busy(f"{self.name}: closed")
            if len(self._pending) >= self.max_pending:
                raise Busy(f"{self.name}: {len(self._pending)} earlier job(s) still running")
            fut: Future[T] = Future()
            self._pending.append(fut)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._jobs.put((func, fut))
        return fut

    def call(self, func: Callable[[], T], timeout_s: float) -> T:
        """Run ``func`` on the thread and wait at most ``timeout_s`` s. Raises :class:`Busy`,
        ``TimeoutError`` (the job goes on running) or the job's own exception."""
        fut = self.submit(func)
        return fut.result(timeout=timeout_s)

    def _loop(self) -> None:
        serve_jobs(self._jobs, lambda func: func())  # any exception goes to the caller

    def close(self) -> None:
        """Let the thread end after the jobs queued so far (it never blocks the caller)."""
        with self._lock:
            self._closed = True
            self._jobs.put(None)


__all__ = ["Busy", "OffThread"]
