"""Where the product keeps its files: user data, cache and config dirs (platformdirs), and the
shipped rule and data folders (inside the wheel, or beside the package in a source checkout).

Environment overrides (handy for tests and for IT): ``VOICEASSIST_DATA_DIR``,
``VOICEASSIST_CACHE_DIR``, ``VOICEASSIST_CONFIG_DIR``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP = "voiceassist"
PACKAGE_DIR = Path(__file__).resolve().parent
#: Source checkout root (only meaningful when not installed from a wheel).
SOURCE_ROOT = PACKAGE_DIR.parent


def _env_dir(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path(default)


def user_data_dir() -> Path:
    """Call logs, the SQLite store, user-installed models."""
    return _env_dir("VOICEASSIST_DATA_DIR", platformdirs.user_data_dir(APP))


def user_cache_dir() -> Path:
    """Rendered cue audio and other things that can be rebuilt."""
    return _env_dir("VOICEASSIST_CACHE_DIR", platformdirs.user_cache_dir(APP))


def user_config_dir() -> Path:
    """The per-user config file lives here (``config.toml``)."""
    return _env_dir("VOICEASSIST_CONFIG_DIR", platformdirs.user_config_dir(APP))


def shipped_rules_dir() -> Path:
    """The rule folder shipped with the product (``rules/`` in the repo, ``voiceassist/_rules``
    in an installed wheel)."""
    installed = PACKAGE_DIR / "_rules"
    if installed.is_dir():
        return installed
    return SOURCE_ROOT / "rules"


def shipped_data_dir() -> Path:
    """Bundled data (demo calls) inside the package."""
    return PACKAGE_DIR / "data"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents readable by the owner only (0700); returns it.

    Only folders created here get that mode: an existing folder (the user's ``$HOME``, a folder
    IT chose for ``log.file``) keeps its own, whatever it is."""
    missing: list[Path] = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in missing:
        with contextlib.suppress(OSError):
            folder.chmod(0o700)  # mkdir's mode is reduced by the umask
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` readable and writable by the owner only (0600), also
    when the file already existed with a wider mode. Raises ``OSError``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fd, 0o600)
        fh.write(text)
