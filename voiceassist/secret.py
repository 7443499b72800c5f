"""The per-install secret: 32 random bytes in ``<user data dir>/install.key`` (owner-only 0600),
created on first use and never printed. It keys digests that must not be reversible by someone
who reads the data folder without it (the agent's opening words: ``coaching/robotic.py``)."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from voiceassist.paths import ensure_private_dir, user_data_dir

#: Bytes of key material.
KEY_BYTES = 32


def default_secret_path() -> Path:
    return user_data_dir() / "install.key"


def install_secret(path: Path | None = None) -> bytes:
    """The secret at ``path`` (default :func:`default_secret_path`), created when missing.

    Creation is atomic (a temporary file linked into place, so two processes starting at once
    agree on one key); a file readable by others is narrowed to 0600. Raises ``OSError`` when the
    folder cannot be written or the file is unreadable or malformed."""
    path = path or default_secret_path()
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return _read(path)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "r", encoding="ascii") as fh:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
        text = fh.read().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise OSError(f"{path}: not a voiceassist install key") from None
    if len(key) != KEY_BYTES:
        raise OSError(f"{path}: not a voiceassist install key")
    return key


__all__ = ["KEY_BYTES", "default_secret_path", "install_secret"]
