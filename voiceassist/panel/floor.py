"""The supervisor's floor page (``voiceassist supervise --web``): agents on the floor, open
alerts and hard calls of today from the shared store, re-read every few seconds and pushed to
the page over server-sent events when something changed.

Times in the messages are wall-clock epoch ms (the store's cross-call times) or ms of call time
(``at_ms``, ``duration_ms``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from voiceassist.panel.agent import today_ms
from voiceassist.panel.hub import Hub
from voiceassist.panel.strings import strings_for
from voiceassist.store.store import Store, now_ms

log = logging.getLogger(__name__)

#: A call with no end older than this is not "on a call" any more (a crashed workstation), ms.
OPEN_CALL_MAX_MS = 4 * 3600_000


def floor_view(store: Store, *, minutes: int = 60, limit: int = 30, now: int | None = None) -> dict[str, Any]:
    """What the page shows, read from ``store``: ``agents``, ``alerts``, ``hard_calls``."""
    now = now_ms() if now is None else now
    start, _end = today_ms()
    calls = store.conn.query_dicts(
        "SELECT agent, workstation, started_at, ended_at, hard FROM calls WHERE started_at >= ?"
        " ORDER BY started_at", [min(start, now - OPEN_CALL_MAX_MS)])
    agents: dict[str, dict[str, Any]] = {}
    for c in calls:
        a = agents.setdefault(str(c["agent"]), {"agent": c["agent"], "workstation": c["workstation"],
                                                 "calls": 0, "hard_calls": 0, "on_call": False,
                                                 "last_at": 0})
        if int(c["started_at"]) >= start:
            a["calls"] += 1
            a["hard_calls"] += int(c["hard"] or 0)
        a["workstation"] = c["workstation"]
        a["last_at"] = max(a["last_at"], int(c["ended_at"] or c["started_at"]))
        a["on_call"] = c["ended_at"] is None and now - int(c["started_at"]) < OPEN_CALL_MAX_MS
    hard = store.conn.query_dicts(
        "SELECT agent, workstation, started_at, duration_ms, highest_cue, caller_id FROM calls"
        " WHERE hard = 1 AND started_at >= ? ORDER BY started_at DESC LIMIT ?", [start, limit])
    alerts = store.alerts(now - minutes * 60_000, limit)
    return {"agents": sorted(agents.values(), key=lambda a: (not a["on_call"], a["agent"])),
            "alerts": alerts, "hard_calls": hard, "minutes": minutes, "store": store.target.display}


class FloorFeed:
    """Re-reads the floor every ``interval_s`` on a thread; publishes ``floor`` messages."""

    def __init__(self, open_store: Callable[[], Store], *, lang: str = "en", minutes: int = 60,
                 limit: int = 30, interval_s: float = 2.0) -> None:
        self.open_store = open_store
        self.lang = lang
        self.minutes = minutes
        self.limit = limit
        self.interval_s = interval_s
        self.hub = Hub(self.snapshot)
        self._floor: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"type": "snapshot", "lang": self.lang, "strings": strings_for(self.lang),
                    "floor": self._floor}

    def refresh(self) -> None:
        """Read the floor once; publish when it changed (an unreachable store is shown, and retried)."""
        from voiceassist.errors import VoiceAssistError

        try:
            if self._store is None:
                self._store = self.open_store()
            view = floor_view(self._store, minutes=self.minutes, limit=self.limit)
        except VoiceAssistError as exc:
            if self._store is not None:
                self._store.close()
                self._store = None
            view = {"error": f"database unreachable ({exc.message}); retrying every {self.interval_s:g} s"}
        with self._lock:
            if view == self._floor:
                return
            self._floor = view
        self.hub.publish({"type": "floor", "floor": view})

    def start(self) -> FloorFeed:
        """Read on a thread of its own (the store's connection stays on that thread)."""
        self._thread = threading.Thread(target=self._loop, name="floor", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:  # keep the page up whatever the store does
                log.exception("floor refresh failed")
            if self._stop.wait(self.interval_s):
                break
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)


__all__ = ["FloorFeed", "floor_view"]
