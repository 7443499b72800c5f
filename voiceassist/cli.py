"""The ``voiceassist`` command line: builds the sub-commands and turns errors into exit codes.

Each sub-command lives in ``voiceassist/commands/<name>.py`` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code). No product logic lives here.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from voiceassist import __version__
from voiceassist.errors import ExitCode, VoiceAssistError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "replay",
    "run",
    "panel",
    "demo",
    "detect",
    "rules",
    "eval",
    "devices",
    "models",
    "cues",
    "doctor",
    "config",
    "service",
    "db",
    "flags",
    "incidents",
    "supervise",
    "shift",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="voiceassist",
        description="Offline de-escalation coach for phone agents.",
    )
    parser.add_argument("--version", action="version", version=f"voiceassist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (also vosk's own)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        modname = f"voiceassist.commands.{name}"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name == modname:
                continue
            raise
        module.register(sub)
    return parser


def _log_fatal(text: str) -> None:
    """The fatal error in ``log.file`` too (a service's only record); stderr already has it."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(logging.LogRecord("voiceassist", logging.ERROR, __file__, 0, text, None, None))


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _sigterm_as_interrupt() -> Callable[[], None]:
    """SIGTERM ends a command as Ctrl-C does (its ``KeyboardInterrupt`` handling closes the call
    and the store, exit 130) instead of killing it on the spot; returns the undo. Commands that
    stop on signals themselves (``run``) install their own handler inside this one."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    try:
        before = signal.signal(signal.SIGTERM, _raise_interrupt)
    except (ValueError, OSError):
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if before is None else before)

    return restore


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    restore = _sigterm_as_interrupt()
    try:
        return int(func(args))
    except VoiceAssistError as exc:
        print(f"voiceassist: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"voiceassist: hint: {exc.hint}", file=sys.stderr)
        _log_fatal(f"fatal: {exc.message} (exit {int(exc.code)})")
        return int(exc.code)
    except KeyboardInterrupt:
        print("voiceassist: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # Output piped into `head` etc.: not an error worth a traceback.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return int(ExitCode.OK)
    finally:
        restore()
