"""One exception family for every user-facing failure, each with a stable exit code.

The CLI catches :class:`VoiceAssistError`, prints ``voiceassist: error: <message>`` on one line
(plus the ``hint`` when there is one) and exits with ``exit_code``. Exit codes are a public
interface (tests and scripts outside the project use them): never renumber, only add.
See ``docs/exit-codes.md``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``voiceassist`` command."""

    OK = 0
    #: A check failed (``rules check``, ``eval`` expectation, ``doctor``): the tool ran fine.
    CHECK_FAILED = 1
    #: Bad command line (argparse uses 2 as well).
    USAGE = 2
    #: An input file does not exist or cannot be read.
    FILE_NOT_FOUND = 3
    #: The audio is not in a format the product can decode (text file, truncated, corrupt).
    BAD_AUDIO = 4
    #: The audio decodes but is outside what is supported (channels, sample rate, empty).
    UNSUPPORTED_AUDIO = 5
    #: No usable speech model (missing, not a vosk model, wrong language).
    MODEL = 6
    #: Audio device problems (none found, unknown name, lost mid-call).
    DEVICE = 7
    #: Network needed but unreachable (model download while offline), or download failed.
    NETWORK = 8
    #: Invalid configuration or rule files.
    CONFIG = 9
    #: The call store / database failed.
    STORE = 10
    #: A transcript file (WebVTT / JSONL) is malformed.
    BAD_TRANSCRIPT = 11
    #: Interrupted by Ctrl-C / SIGTERM after a clean flush.
    INTERRUPTED = 130


class VoiceAssistError(Exception):
    """Base class: a message for the user, an exit code, and optionally a hint on what to do."""

    code: ExitCode = ExitCode.CHECK_FAILED

    def __init__(self, message: str, *, hint: str | None = None, code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(VoiceAssistError):
    code = ExitCode.USAGE


class InputFileError(VoiceAssistError):
    code = ExitCode.FILE_NOT_FOUND


class BadAudioError(VoiceAssistError):
    code = ExitCode.BAD_AUDIO


class UnsupportedAudioError(VoiceAssistError):
    code = ExitCode.UNSUPPORTED_AUDIO


class ModelError(VoiceAssistError):
    code = ExitCode.MODEL


class DeviceError(VoiceAssistError):
    code = ExitCode.DEVICE


class NetworkError(VoiceAssistError):
    code = ExitCode.NETWORK


class ConfigError(VoiceAssistError):
    code = ExitCode.CONFIG


class StoreError(VoiceAssistError):
    code = ExitCode.STORE


class TranscriptError(VoiceAssistError):
    code = ExitCode.BAD_TRANSCRIPT
