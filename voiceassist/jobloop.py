"""The job loop of a worker thread that owns something slow or fragile (the text-to-speech engine,
a database connection): jobs come from a queue one at a time, each with a
:class:`~concurrent.futures.Future` that gets its result or its exception, so the thread that
asked decides how long to wait and a failing job never kills the worker.

Used by :class:`voiceassist.cues.tts.TtsRenderer` (the pyttsx3 owner thread) and
:class:`voiceassist.store.offthread.OffThread` (database reads and writes with deadlines).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

F = TypeVar("F")
#: A job: what to run (given to ``execute``) and the Future of its outcome; ``None`` ends the loop.
Job = tuple[F, "Future[Any]"]


def serve_jobs(jobs: queue.Queue[tuple[F, Future[Any]] | None], execute: Callable[[F], Any], *,
               catch: type[BaseException] = BaseException) -> None:
    """Run ``execute(job)`` for every job of ``jobs`` in order, until a ``None``; the result or a
    ``catch`` exception goes to the job's Future (a cancelled Future is skipped). Exceptions
    outside ``catch`` end the loop (and the thread)."""
    while True:
        item = jobs.get()
        if item is None:
            return
        job, fut = item
        if not fut.set_running_or_notify_cancel():
            continue
        try:
            fut.set_result(execute(job))
        except catch as exc:  # handed to the caller, never kills the thread
            fut.set_exception(exc)


__all__ = ["Job", "serve_jobs"]
