"""Helpers shared by the store's sub-commands (db, flags, incidents, supervise, shift)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any, Literal

from voiceassist.errors import InputFileError, UsageError
from voiceassist.paths import write_private_text
from voiceassist.store.config import StoreConfig
from voiceassist.store.store import Store


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL",
                        help="store URL (sqlite:///path or postgresql://...); default: store.url "
                             "from the config, else SQLite in the user data dir")
    parser.add_argument("--config", help="config file to use instead of the per-user one")


def config_from_args(args: argparse.Namespace) -> StoreConfig:
    """Store settings from the config files/environment, with ``--db`` on top."""
    from voiceassist.settings import load_settings

    settings = load_settings(config_file=Path(args.config) if getattr(args, "config", None) else None)
    config = StoreConfig.from_settings(settings)
    if getattr(args, "db", None):
        config = config.with_(url=args.db)
    return config


def open_store(args: argparse.Namespace, *, upgrade: Literal["auto", "check", "none"] = "auto",
               create: bool = False) -> Store:
    """The store the command's options name. Commands that only read or change existing records
    keep ``create=False``: a missing SQLite file is an error, never a new empty database."""
    return Store.open(config_from_args(args).effective_url, upgrade=upgrade, create=create)


def write_output(path: Path, text: str) -> None:
    """Write an export file (``-o``); a folder, a missing parent or no permission is exit 3."""
    try:
        write_private_text(path, text)
    except OSError as exc:
        raise InputFileError(f"cannot write {path}: {exc.strerror or exc}",
                             hint="give a file path in a folder that exists and is writable") from None


def positive(value: int, option: str) -> int:
    """``value`` when it is 1 or more, else a usage error naming ``option``."""
    if value < 1:
        raise UsageError(f"{option} must be 1 or more, not {value}")
    return value


def fmt_time(epoch_ms: Any) -> str:
    """Local date and time of a wall-clock epoch ms ('-' for none)."""
    if epoch_ms is None:
        return "-"
    return dt.datetime.fromtimestamp(int(epoch_ms) / 1000).strftime("%Y-%m-%d %H:%M")


def fmt_call_ms(ms: Any) -> str:
    """mm:ss.s of call time."""
    value = int(ms or 0)
    return f"{value // 60000:02d}:{(value % 60000) / 1000:04.1f}"
