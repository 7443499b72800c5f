"""Files an erased caller's calls left on this workstation: call logs (``<ref>.jsonl``) and
incident audio clips (``<incident id>.wav``), removed for ``flags forget``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ErasedFiles:
    """How many files :func:`erase_files` removed."""

    logs: int
    clips: int


def _safe_name(name: str) -> bool:
    return bool(name) and Path(name).name == name and not name.startswith(".")


def _unlink(path: Path) -> bool:
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        path.unlink()
        return True
    return False


def erase_files(forgotten: Iterable[tuple[str, str, str]], *, refs: Iterable[str] = (),
                clips: Iterable[str] = (), log_dir: Path, clip_dir: Path) -> ErasedFiles:
    """Remove the call logs and clips of erased calls found on this machine.

    ``forgotten``: ``(id, kind, ref)`` rows of the store's ``forgotten`` table (every caller ever
    erased: a workstation that was not reachable when the request was handled is cleaned the next
    time forget runs there); ``refs``: more call log ids (calls only in a spool); ``clips``: clip
    paths the store or spool named. Returns the counts removed."""
    names = set(refs)
    clip_paths = {Path(c) for c in clips if c}
    for ident, kind, ref in forgotten:
        if kind == "call" and ref:
            names.add(ref)
        elif kind == "incident" and _safe_name(ident):
            clip_paths.add(clip_dir / f"{ident}.wav")
    logs = sum(1 for n in sorted(names) if _safe_name(n) and _unlink(log_dir / f"{n}.jsonl"))
    removed = sum(1 for p in sorted(clip_paths) if p.suffix == ".wav" and _unlink(p))
    return ErasedFiles(logs, removed)
