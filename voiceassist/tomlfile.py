"""The one TOML reader of every file the product reads (config files, rule packs, the coaching
policy and lexicon, expectation files, dialogue scripts): stdlib ``tomllib`` plus ``file:line``.

:func:`parse_toml` turns every way a text can fail to be TOML data into one
:class:`TomlSyntaxError` with the 1-based line to report: a syntax error, and data nested deeper
than :data:`MAX_NESTING` levels (``tomllib`` itself recurses: very deep arrays raised a
``RecursionError`` traceback). :class:`TomlLocator` finds the line of a key path in the parsed
text, for messages about values.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from typing import Any

from voiceassist.escalation.tomlpos import TomlLocator

#: Deepest nesting of tables/arrays a file may have (rule files need 4; deeper data is reported
#: as a problem instead of being walked).
MAX_NESTING = 32
TOO_DEEP = f"tables or arrays nested too deep (more than {MAX_NESTING} levels)"
_AT_LINE = re.compile(r"at line (\d+)")
_POSITION = re.compile(r"\s*\(at line \d+, column \d+\)")


class TomlSyntaxError(ValueError):
    """A text that is not TOML data: ``line`` (1-based) to report, ``reason`` without the
    position; ``str()`` is tomllib's own message (with its ``(at line L, column C)``)."""

    def __init__(self, message: str, line: int, reason: str) -> None:
        super().__init__(message)
        self.line = line
        self.reason = reason


def parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``; raises :class:`TomlSyntaxError` for bad syntax or nesting deeper
    than :data:`MAX_NESTING`."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise TomlSyntaxError(TOO_DEEP, deep_line(text), TOO_DEEP) from None
    except tomllib.TOMLDecodeError as exc:
        m = _AT_LINE.search(str(exc))
        raise TomlSyntaxError(str(exc), int(m.group(1)) if m else 1, _POSITION.sub("", str(exc))) from None
    if depth(data) > MAX_NESTING:
        raise TomlSyntaxError(TOO_DEEP, deep_line(text), TOO_DEEP)
    return data


def depth(value: Any) -> int:
    """Nesting depth of parsed TOML data (a scalar is 0), without recursion; stops counting past
    :data:`MAX_NESTING`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Iterable[Any] = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        deepest = max(deepest, d + 1)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((c, d + 1) for c in children)
    return deepest


def deep_line(text: str) -> int:
    """1-based line where brackets/braces first open deeper than :data:`MAX_NESTING` (an
    estimate that skips quoted strings and comments; 1 when not found)."""
    level, line, quote = 0, 1, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            line += 1
        elif quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        elif ch in "[{":
            level += 1
            if level > MAX_NESTING:
                return line
        elif ch in "]}":
            level = max(0, level - 1)
        i += 1
    return 1


__all__ = ["MAX_NESTING", "TOO_DEEP", "TomlLocator", "TomlSyntaxError", "deep_line", "depth", "parse_toml"]
