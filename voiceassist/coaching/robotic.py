"""Robotic openings: the agent opens every call with the same script, word for word.

The pure core compares this call's opening (the first ``opening_words`` normalised tokens the
agent says) with the openings of the agent's last calls. :class:`FileOpenings` is the thin
adapter that keeps those openings between calls in the user data dir: one JSON file, readable by
the user only, and the words are stored as short one-way digests (enough to compare, not to read).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Protocol

from voiceassist import paths
from voiceassist.coaching.policy import RoboticPolicy

Opening = tuple[str, ...]


def digest(tokens: Sequence[str]) -> Opening:
    """One-way 8-hex-digit digests of normalised tokens (stored instead of the words)."""
    return tuple(hashlib.blake2b(t.encode("utf-8"), digest_size=4).hexdigest() for t in tokens)


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Word-level similarity 0..1 of two openings (1 = word for word)."""
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, list(a), list(b), autojunk=False).ratio()


def is_repeated(opening: Opening, history: Sequence[Opening], policy: RoboticPolicy) -> bool:
    """True when ``opening`` matches at least ``min_repeats`` of the last ``history`` openings.

    Openings shorter than half of ``opening_words`` ("Hello?") are never scripted."""
    if len(opening) < max(3, policy.opening_words // 2):
        return False
    recent = list(history)[-policy.history :]
    same = sum(1 for h in recent if similarity(opening, h) >= policy.similarity)
    return same >= policy.min_repeats


class OpeningHistory(Protocol):
    """Where an agent's last openings are kept between calls."""

    def recent(self) -> list[Opening]: ...

    def add(self, opening: Opening) -> None: ...


class MemoryOpenings:
    """Openings in memory (tests, ``eval``): nothing is written."""

    def __init__(self, openings: Sequence[Opening] = (), keep: int = 5) -> None:
        self.keep = keep
        self.openings: list[Opening] = list(openings)[-keep:]

    def recent(self) -> list[Opening]:
        return list(self.openings)

    def add(self, opening: Opening) -> None:
        self.openings = [*self.openings, opening][-self.keep :]


class FileOpenings:
    """Openings of one agent in ``<user data dir>/coaching/openings.json`` (0600)."""

    def __init__(self, agent: str = "", path: Path | None = None, keep: int = 5) -> None:
        self.agent = agent or "default"
        self.path = path or paths.user_data_dir() / "coaching" / "openings.json"
        self.keep = keep

    def _read(self) -> dict[str, list[list[str]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        agents = data.get("agents") if isinstance(data, dict) else None
        if not isinstance(agents, dict):
            return {}
        return {
            str(k): [list(map(str, o)) for o in v if isinstance(o, list)]
            for k, v in agents.items()
            if isinstance(v, list)
        }

    def recent(self) -> list[Opening]:
        """The agent's kept openings, oldest first (an unreadable file counts as empty)."""
        return [tuple(o) for o in self._read().get(self.agent, [])][-self.keep :]

    def add(self, opening: Opening) -> None:
        """Keep ``opening`` (digests) as the agent's newest; failures to write are ignored."""
        agents = self._read()
        agents[self.agent] = ([*agents.get(self.agent, []), list(opening)])[-self.keep :]
        try:
            paths.ensure_private_dir(self.path.parent)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "agents": agents}, fh)
            os.replace(tmp, self.path)
        except OSError:
            pass


__all__ = [
    "FileOpenings",
    "MemoryOpenings",
    "Opening",
    "OpeningHistory",
    "digest",
    "is_repeated",
    "similarity",
]
