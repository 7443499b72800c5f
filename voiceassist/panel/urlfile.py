"""Where a running ``run`` (or the service) leaves its panel address for ``voiceassist panel``.

The file holds the URL with the token, so it is owner-only (0600) in an owner-only folder: the
user runtime dir (``$XDG_RUNTIME_DIR/voiceassist``, gone at logout) when the session has one, else
the user state dir; ``VOICEASSIST_RUNTIME_DIR`` overrides both (tests, IT). Removed on exit.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

from voiceassist.paths import APP, ensure_private_dir, write_private_text


def runtime_dir() -> Path:
    """The folder of the address files (not created here)."""
    override = os.environ.get("VOICEASSIST_RUNTIME_DIR")
    if override:
        return Path(override)
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(platformdirs.user_runtime_dir(APP))
    return Path(platformdirs.user_state_dir(APP))


def url_file(name: str = "panel") -> Path:
    """``<runtime dir>/<name>.url``."""
    return runtime_dir() / f"{name}.url"


def write_url(url: str, name: str = "panel") -> Path:
    """Write ``url`` owner-only; returns the file. Raises OSError."""
    path = url_file(name)
    ensure_private_dir(path.parent)
    write_private_text(path, url + "\n")
    return path


def read_url(name: str = "panel") -> str | None:
    """The address a running panel left, or None."""
    try:
        text = url_file(name).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def remove_url(url: str, name: str = "panel") -> None:
    """Remove the file if it still holds ``url`` (a newer run may have replaced it)."""
    if read_url(name) == url:
        with contextlib.suppress(OSError):
            url_file(name).unlink()


__all__ = ["read_url", "remove_url", "runtime_dir", "url_file", "write_url"]
