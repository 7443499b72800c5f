"""The one job loop of the TTS owner thread and the store's off-thread worker: results and
exceptions reach the asker's Future, a cancelled job is skipped, a failing job does not end the
loop (only exceptions outside ``catch`` do), ``None`` ends it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from voiceassist.jobloop import serve_jobs


def boom() -> None:
    raise ValueError("bad job")


def test_results_and_errors_go_to_the_futures_and_the_loop_goes_on() -> None:
    jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
    ran: list[str] = []
    futs = [Future() for _ in range(4)]
    futs[2].cancel()
    for fut, job in zip(futs, (lambda: 1, boom, lambda: ran.append("cancelled"), lambda: 4), strict=True):
        jobs.put((job, fut))
    jobs.put(None)
    serve_jobs(jobs, lambda func: func())  # returns at the None
    assert futs[0].result() == 1 and futs[3].result() == 4
    with pytest.raises(ValueError, match="bad job"):
        futs[1].result()
    assert futs[2].cancelled() and ran == []


def test_exceptions_outside_catch_end_the_loop() -> None:
    jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()

    def leave() -> None:
        raise KeyboardInterrupt

    later: Future[Any] = Future()
    jobs.put((leave, Future()))
    jobs.put((lambda: 2, later))
    ended: list[str] = []

    def worker() -> None:
        with pytest.raises(KeyboardInterrupt):
            serve_jobs(jobs, lambda f: f(), catch=Exception)
        ended.append("raised")

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert ended == ["raised"] and not later.done()
