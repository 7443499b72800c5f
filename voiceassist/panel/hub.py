"""Fan-out of JSON messages to the panel's browsers (one queue per server-sent-events client).

:class:`Hub` is thread-safe: ``publish`` is called from the call loop and the player's monitor
(never blocks: a client that falls behind by :data:`QUEUE_MAX` messages is dropped and
reconnects, getting a fresh snapshot), ``subscribe`` from a server thread per browser.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

#: Messages a slow client may fall behind before it is dropped.
QUEUE_MAX = 500


class Subscription:
    """One client's queue; iterate :meth:`get` until it returns None (closed)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=QUEUE_MAX)
        self.closed = False

    def get(self, timeout_s: float) -> dict[str, Any] | None:
        """The next message; ``{}`` after ``timeout_s`` without one; None once closed."""
        if self.closed:
            return None
        try:
            msg = self.queue.get(timeout=timeout_s)
        except queue.Empty:
            return {}
        if msg is None:
            self.closed = True
        return msg

    def offer(self, msg: dict[str, Any] | None) -> bool:
        try:
            self.queue.put_nowait(msg)
            return True
        except queue.Full:
            self.closed = True
            return False

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """Publishes messages (``{"type": ..., "seq": n, "sent": wall s, ...}``) to every subscriber.

    ``snapshot`` (called under the hub's lock) gives the first message of a new subscriber, so a
    browser that connects late or reconnects sees the current state at once.
    """

    def __init__(self, snapshot: Callable[[], dict[str, Any]] | None = None) -> None:
        self._snapshot = snapshot or (lambda: {"type": "snapshot"})
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._seq = itertools.count(1)
        self._closed = False

    def publish(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send ``msg`` (a copy with ``seq`` and ``sent`` added) to every subscriber; returns it."""
        with self._lock:
            out = {**msg, "seq": next(self._seq), "sent": time.time()}
            for sub in list(self._subs):
                if not sub.offer(out):
                    self._subs.remove(sub)
            return out

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        with self._lock:
            if self._closed:
                sub.closed = True
                return sub
            sub.offer({**self._snapshot(), "type": "snapshot", "seq": next(self._seq), "sent": time.time()})
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subs)

    def close(self) -> None:
        """Every subscriber's stream ends (server shutdown)."""
        with self._lock:
            self._closed = True
            for sub in self._subs:
                sub.offer(None)
            self._subs.clear()


__all__ = ["QUEUE_MAX", "Hub", "Subscription"]
