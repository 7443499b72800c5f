"""The live call's reads of the store (flag heads-up, last break, hard calls), off the pipeline
thread and each with a deadline.

Reads run on one daemon thread (:class:`~voiceassist.store.offthread.OffThread`) that owns its own
connection. The call asks ahead (:meth:`StoreReads.ask` at call start returns a Future at once)
and takes the answer when it needs it (:meth:`StoreReads.answer`), waiting at most
``deadline_ms``; no answer by then means the call goes on without it, said once in the log until
the store answers again. While a read is stuck (a server that stopped answering), later ones are
refused at once instead of queueing behind it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from voiceassist.errors import StoreError
from voiceassist.store.backend import LIVE_WAIT_S
from voiceassist.store.offthread import Busy, OffThread
from voiceassist.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Default wait for one call-start/-end read, ms.
READ_DEADLINE_MS = 500


class StoreReads:
    """Bounded off-thread reads of one store URL (see module docstring)."""

    def __init__(self, url: str, *, deadline_ms: int = READ_DEADLINE_MS) -> None:
        self.url = url
        self.deadline_ms = deadline_ms
        #: Reads that got no answer in time (or were refused while one was stuck).
        self.missed = 0
        self._thread = OffThread("voiceassist-store-reader", max_pending=4)
        self._store: Store | None = None  # used on the reader thread only
        self._warned = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Open the connection ahead of the first call (returns at once)."""
        self.ask(lambda store: None)

    def ask(self, func: Callable[[Store], T]) -> Future[T] | None:
        """Start a read now (returns at once); None when the reader is stuck."""

        def job() -> T:
            if self._store is None:
                self._store = Store.open(self.url, upgrade="auto", busy_s=LIVE_WAIT_S)
            try:
                return func(self._store)
            except StoreError:
                self._drop()
                raise

        try:
            return self._thread.submit(job)
        except Busy:
            self._missed("an earlier read is still waiting for the store")
            return None

    def answer(self, fut: Future[T] | None, what: str) -> T | None:
        """The read's result, waiting at most ``deadline_ms`` from now; None when it did not come
        (the call goes on without it) or failed."""
        if fut is None:
            return None
        try:
            value = fut.result(timeout=self.deadline_ms / 1000)
        except TimeoutError:
            self._missed(f"the store did not answer the {what} within {self.deadline_ms} ms")
            return None
        except StoreError as exc:
            log.warning("store: %s failed: %s", what, exc.message)
            return None
        with self._lock:
            if self._warned:
                log.info("store: reads answered again")
            self._warned = False
        return value

    def _missed(self, why: str) -> None:
        with self._lock:
            self.missed += 1
            first = not self._warned
            self._warned = True
        if first:
            log.warning("store: %s; the call goes on without it (said once until it answers)", why)

    def _drop(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self, timeout_s: float = 1.0) -> None:
        """Close the connection (when the thread is free) and let the thread end."""
        with contextlib.suppress(Busy, TimeoutError):
            self._thread.call(self._drop, timeout_s)
        self._thread.close()


__all__ = ["READ_DEADLINE_MS", "StoreReads"]
