"""Per-call JSONL event log: one event per line, owner-only files in the user data dir.

Every line is a complete JSON object written and flushed at once, so a call stopped by Ctrl-C,
SIGTERM or a crash leaves a log whose every line parses. Files are created ``0600`` inside a
``0700`` folder (``<user data dir>/calls`` unless the config says otherwise).

``redact=True`` keeps cues (ids, phrases, scripts, times) and device events but replaces every
transcript word with ``***`` (the word count and times stay, so timing analysis still works);
the matched words and the free-text ``why`` of cues are replaced the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from voiceassist.errors import StoreError
from voiceassist.events import Cue, Event, Transcript
from voiceassist.paths import ensure_private_dir, user_data_dir

REDACTED = "***"

_log = logging.getLogger("voiceassist.calllog")


def default_log_dir() -> Path:
    """``<user data dir>/calls``."""
    return user_data_dir() / "calls"


def new_call_id(now: float | None = None) -> str:
    """A sortable call id from the local time plus a short random suffix, e.g.
    ``20250114-093012-4f2a``."""
    t = time.localtime(now if now is not None else time.time())
    return time.strftime("%Y%m%d-%H%M%S", t) + "-" + os.urandom(2).hex()


def _redact_text(text: str) -> str:
    return " ".join(REDACTED for _ in text.split())


def redact_event(event: Event) -> Event:
    """``event`` with transcript words replaced (cues and everything else unchanged)."""
    if isinstance(event, Transcript):
        words = tuple(replace(w, text=REDACTED) for w in event.words)
        return replace(event, text=_redact_text(event.text), words=words)
    if isinstance(event, Cue):
        return replace(event, matched=tuple(REDACTED for _ in event.matched),
                       why=REDACTED if event.why else "")
    return event


class CallLog:
    """Appends events of one call to ``<directory>/<call_id>.jsonl``.

    ``write`` takes an :class:`~voiceassist.events.Event` or a plain mapping with a ``"type"``
    key (e.g. cue playback records). Raises :class:`StoreError` when the file cannot be created,
    unless ``degrade=True`` (the live call): then the log warns once and stays off.

    A line that cannot be written whole (disk full, I/O error) is skipped whole: the file is cut
    back to the end of the last complete line, ``skipped`` counts it, one warning is logged, and
    later lines are tried again (the disk may have room by then). Never raises from ``write``.
    """

    def __init__(self, directory: Path | None, call_id: str, *, redact: bool = False,
                 degrade: bool = False) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else default_log_dir()
        self.call_id = call_id
        self.redact = redact
        self.path = self.directory / f"{call_id}.jsonl"
        self.lines = 0
        #: Lines not written (the file could not be opened, or a write failed).
        self.skipped = 0
        self._warned = False
        self._fd: int | None = None
        try:
            ensure_private_dir(self.directory)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(fd, 0o600)
        except OSError as exc:
            if not degrade:
                raise StoreError(f"cannot write the call log {self.path}: {exc.strerror}",
                                 hint="set log.dir in the config to a writable folder, or use --no-log",
                                 ) from None
            self._warn(f"cannot write the call log {self.path}: {exc.strerror}; "
                       "coaching goes on without it")
            return
        self._fd = fd
        self._end = os.lseek(fd, 0, os.SEEK_END)

    @property
    def degraded(self) -> bool:
        """True once a line could not be written (or the file never opened)."""
        return self._warned

    def _warn(self, text: str) -> None:
        if not self._warned:
            self._warned = True
            _log.warning("%s", text)

    def write(self, item: Event | Mapping[str, Any]) -> None:
        """Append one whole line (or none of it)."""
        if isinstance(item, Event):
            data = (redact_event(item) if self.redact else item).to_dict()
        else:
            data = dict(item)
        if self._fd is None:
            self.skipped += 1
            return
        line = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            done = 0
            while done < len(line):
                n = os.write(self._fd, line[done:])
                if n <= 0:
                    raise OSError(28, "short write")
                done += n
        except OSError as exc:
            self.skipped += 1
            with contextlib.suppress(OSError):  # never leave a torn line behind
                os.ftruncate(self._fd, self._end)
            self._warn(f"call log {self.path}: {exc.strerror or exc}; lines are skipped whole "
                       "until it can be written, coaching goes on")
            return
        self._end += len(line)
        self.lines += 1

    def close(self) -> None:
        """Flush to disk and close (idempotent)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CallLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_log(path: Path) -> list[dict[str, Any]]:
    """All lines of a call log as dicts (raises ``ValueError`` on a malformed line)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from None
    return out


__all__ = ["REDACTED", "CallLog", "default_log_dir", "new_call_id", "read_log", "redact_event"]
