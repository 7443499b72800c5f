"""Line numbers for TOML data (stdlib ``tomllib`` gives none): a light scan of the raw text that
maps key paths (``("entry", 3, "patterns")``, ``("categories", "abuse", "ladder")``) to the line
where they are written, and array values to their line span.

It understands the TOML written in rule files (tables, arrays of tables, dotted keys, multi-line
arrays and strings); when a path cannot be located, the nearest enclosing table's line is used.
"""

from __future__ import annotations

import re

Path_ = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_dotted(text: str) -> list[str]:
    parts: list[str] = []
    buf = ""
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


class TomlLocator:
    """Where keys and values of one TOML document are written (1-based lines)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._keys: dict[Path_, int] = {}
        self._spans: dict[Path_, tuple[int, int]] = {}
        self._scan()

    def _scan(self) -> None:
        table: Path_ = ()
        counts: dict[Path_, int] = {}
        depth = 0
        ml_quote = ""
        open_path: Path_ | None = None
        open_line = 0
        for lineno, line in enumerate(self.lines, 1):
            if ml_quote:
                if ml_quote in line:
                    ml_quote = ""
                continue
            if depth == 0:
                m = _HEADER.match(line)
                if m and line.lstrip().startswith("["):
                    name = tuple(_split_dotted(m.group(2)))
                    if m.group(1) == "[[":
                        k = counts.get(name, 0)
                        counts[name] = k + 1
                        table = (*name, k)
                    else:
                        table = name
                    self._keys.setdefault(table, lineno)
                    continue
                km = _KEY.match(line)
                if km:
                    path = (*table, *_split_dotted(km.group(1)))
                    self._keys.setdefault(path, lineno)
                    open_path, open_line = path, lineno
                    rest = line[km.end() :]
                else:
                    rest = line
            else:
                rest = line
            depth, ml_quote = self._depth(rest, depth)
            if depth == 0 and open_path is not None:
                self._spans.setdefault(open_path, (open_line, lineno))
                open_path = None

    @staticmethod
    def _depth(text: str, depth: int) -> tuple[int, str]:
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == "#":
                break
            if ch in "\"'":
                triple = text[i : i + 3]
                if triple in ('"""', "'''"):
                    end = text.find(triple, i + 3)
                    if end < 0:
                        return depth, triple
                    i = end + 3
                    continue
                j = i + 1
                while j < n and text[j] != ch:
                    j += 2 if (ch == '"' and text[j] == "\\") else 1
                i = j + 1
                continue
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth = max(0, depth - 1)
            i += 1
        return depth, ""

    def line(self, path: Path_) -> int:
        """Line of ``path``, else of its nearest located ancestor, else 1."""
        p = tuple(path)
        while p:
            if p in self._keys:
                return self._keys[p]
            p = p[:-1]
        return 1

    def value_line(self, path: Path_, needle: str) -> int:
        """Line inside the value of ``path`` where the string ``needle`` is written."""
        span = self._spans.get(tuple(path))
        start = self.line(path)
        lo, hi = span if span else (start, start)
        for quoted in (f'"{needle}"', f"'{needle}'", needle):
            for ln in range(lo, hi + 1):
                if quoted in self.lines[ln - 1]:
                    return ln
        return start


__all__ = ["TomlLocator"]
