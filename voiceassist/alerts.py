"""Supervisor alert webhook: POST each alert as JSON from a background thread.

``send`` only queues (never blocks the call). The thread POSTs with a per-request timeout and
retries with exponential backoff (``backoff_s``, doubled each time) on connection errors,
timeouts, HTTP 408, 429 and 5xx; other 4xx answers are not retried (the payload will not get
better). A full queue drops the alert and counts it. Nothing is sent anywhere else.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceassist.errors import ConfigError

log = logging.getLogger(__name__)
_STOP: dict[str, Any] = {}


@dataclass
class WebhookStats:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    #: HTTP attempts, retries included.
    attempts: int = 0


class WebhookSink:
    """Background JSON POSTer for supervisor alerts."""

    def __init__(self, url: str, *, timeout_s: float = 3.0, retries: int = 3, backoff_s: float = 0.5,
                 queue_max: int = 1000):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"webhook URL must start with http:// or https://, not {url!r}")
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.stats = WebhookStats()
        self._queue: queue.Queue[Mapping[str, Any]] = queue.Queue(maxsize=queue_max)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> WebhookSink:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voiceassist-webhook", daemon=True)
            self._thread.start()
            atexit.register(self.close)
        return self

    def send(self, payload: Mapping[str, Any]) -> bool:
        """Queue one alert; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(dict(payload))
        except queue.Full:
            self.stats.dropped += 1
            return False
        return True

    def flush(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._queue.unfinished_tasks == 0

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued within ``timeout_s``, then stop (retries are cut short)."""
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        if self._thread is None:
            return
        self.flush(timeout_s)
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=0.2)
        self._thread.join(timeout=self.timeout_s + 1.0)
        self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._post_with_retries(item):
                    self.stats.sent += 1
                else:
                    self.stats.failed += 1
            finally:
                self._queue.task_done()

    def _post_with_retries(self, payload: Mapping[str, Any]) -> bool:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            self.stats.attempts += 1
            retry = self._post(body)
            if retry is None:
                return True
            if not retry or attempt == self.retries or self._stopping.is_set():
                break
            if self._stopping.wait(delay):
                break
            delay *= 2
        log.warning("alert webhook %s: giving up on one alert", self.url)
        return False

    def _post(self, body: bytes) -> bool | None:
        """One POST: None on success, True if worth retrying, False if not."""
        req = urllib.request.Request(self.url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "voiceassist-alerts"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                resp.read()
                return None
        except urllib.error.HTTPError as exc:
            log.info("alert webhook answered %s", exc.code)
            return exc.code in (408, 429) or exc.code >= 500
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.info("alert webhook unreachable: %s", exc)
            return True
