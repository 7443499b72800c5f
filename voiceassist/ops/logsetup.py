"""Diagnostic logging for long-running commands (``run``, the user service).

Levels and destination come from settings (``log.level``, ``log.file``, ``log.max_bytes``,
``log.backups``). Under systemd (``JOURNAL_STREAM`` set) records go to stderr without timestamps,
so the journal adds its own; with ``log.file`` they go to a size-capped rotating file readable by
the owner only. Call logs of calls (JSONL events) are separate: see ``voiceassist/calllog.py``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError
from voiceassist.paths import ensure_private_dir


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files (the first one and every one after a rotation) are
    created readable and writable by the owner only (0600)."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Mapping[str, Any], *, verbose: bool = False) -> logging.Handler:
    """Install one handler on the root logger according to ``settings``; returns it.

    ``verbose`` forces DEBUG. Raises :class:`ConfigError` when the log file cannot be written.
    """
    level = logging.DEBUG if verbose else getattr(logging, str(settings["log.level"]).upper())
    handler: logging.Handler
    path = str(settings["log.file"])
    if path:
        log_path = Path(path).expanduser()
        try:
            ensure_private_dir(log_path.parent)
            handler = PrivateRotatingFileHandler(
                log_path,
                maxBytes=int(settings["log.max_bytes"]),
                backupCount=int(settings["log.backups"]),
                encoding="utf-8",
            )
        except OSError as exc:
            raise ConfigError(
                f"cannot write the log file {log_path}: {exc.strerror or exc}",
                hint="set log.file to a writable path, or leave it empty to log to stderr",
            ) from None
        handler.setFormatter(logging.Formatter(FORMAT))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(JOURNAL_FORMAT if "JOURNAL_STREAM" in os.environ else FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
