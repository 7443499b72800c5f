"""Robotic openings: the agent opens every call with the same script, word for word.

The pure core compares this call's opening (the first ``opening_words`` normalised tokens the
agent says) with the openings of the agent's last calls. :class:`FileOpenings` is the thin
adapter that keeps those openings between calls in the user data dir: one JSON file, readable by
the user only, and the words are stored as short digests keyed with the per-install secret
(:mod:`voiceassist.secret`): enough to compare, and a dictionary of likely words cannot read them
back without the key. Files of the old unkeyed format (version 1) are deleted on first read: the
robotic check starts over (it needs ``min_repeats`` new calls before it can fire again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Protocol

from voiceassist import paths
from voiceassist.coaching.policy import RoboticPolicy

Opening = tuple[str, ...]

log = logging.getLogger(__name__)


#: Stored file format: 2 = digests keyed with the install secret (1 was unkeyed: discarded).
FORMAT = 2


def digest(tokens: Sequence[str], key: bytes) -> Opening:
    """8-hex-digit BLAKE2b digests of normalised tokens keyed with ``key`` (stored instead of
    the words; without the key no word list maps back to them)."""
    return tuple(hashlib.blake2b(t.encode("utf-8"), digest_size=4, key=key).hexdigest() for t in tokens)


def key_id(key: bytes) -> str:
    """A short fingerprint of ``key`` stored with the digests (a new key invalidates them)."""
    return hashlib.blake2b(b"voiceassist openings key", digest_size=4, key=key).hexdigest()


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

    def digest(self, tokens: Sequence[str]) -> Opening: ...


class MemoryOpenings:
    """Openings in memory (tests, ``eval``): nothing is written; digests use a key of its own
    (random unless given)."""

    def __init__(self, openings: Sequence[Opening] = (), keep: int = 5, key: bytes | None = None) -> None:
        self.keep = keep
        self.openings: list[Opening] = list(openings)[-keep:]
        self.key = key if key is not None else os.urandom(32)

    def digest(self, tokens: Sequence[str]) -> Opening:
        return digest(tokens, self.key)

    def recent(self) -> list[Opening]:
        return list(self.openings)

    def add(self, opening: Opening) -> None:
        self.openings = [*self.openings, opening][-self.keep :]


class FileOpenings:
    """Openings of one agent in ``<user data dir>/coaching/openings.json`` (0600), keyed with the
    install secret (``secret``: its file; default ``<user data dir>/install.key``, or beside the
    coaching folder when ``path`` is given). When the secret cannot be read or made (read-only
    data folder) a key for this process only is used: openings then match within the run only."""

    def __init__(self, agent: str = "", path: Path | None = None, keep: int = 5,
                 secret: Path | None = None) -> None:
        self.agent = agent or "default"
        self.path = path or paths.user_data_dir() / "coaching" / "openings.json"
        self.keep = keep
        self.secret = secret or (self.path.parent.parent / "install.key" if path else None)
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            from voiceassist.secret import install_secret

            try:
                self._key = install_secret(self.secret)
            except OSError as exc:
                log.warning("openings: install key unavailable (%s); openings match within this run only",
                            exc.strerror or exc)
                self._key = os.urandom(32)
        return self._key

    def digest(self, tokens: Sequence[str]) -> Opening:
        return digest(tokens, self.key)

    def _read(self) -> dict[str, list[list[str]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != FORMAT or data.get("key") != key_id(self.key):
            # Unkeyed digests of format 1 (readable with a word list), or another key's: useless
            # for comparing and not to be kept.
            with contextlib.suppress(OSError):
                self.path.unlink()
            return {}
        agents = data.get("agents")
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
                json.dump({"version": FORMAT, "key": key_id(self.key), "agents": agents}, fh)
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
    "key_id",
    "similarity",
]
