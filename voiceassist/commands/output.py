"""The printers of command output: one shape for every ``--json`` document and for line lists.

``--json`` documents are indented by 2, UTF-8 text (not ``\\u`` escapes), and values JSON has no
type for (dates, paths) are written as strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO


def json_text(value: Any) -> str:
    """``value`` as a command's ``--json`` document."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def print_json(value: Any, out: TextIO | None = None) -> None:
    """Print ``value`` as a ``--json`` document on ``out`` (default stdout)."""
    print(json_text(value), file=out or sys.stdout)


def print_lines(lines: Iterable[str], out: TextIO | None = None) -> None:
    """Print each line of ``lines`` on ``out`` (default stdout)."""
    for line in lines:
        print(line, file=out or sys.stdout)


__all__ = ["json_text", "print_json", "print_lines"]
