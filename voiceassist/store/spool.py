"""The local spool: records written while the database is unreachable, replayed in order later.

One JSONL file per writer process (``spool-<epoch ms>-<pid>.jsonl``), owner-only (0600) in an
owner-only folder per store URL, held under an exclusive ``flock`` while its writer lives. Every
append is ``fsync``'ed before the writer moves on, so a crash or Ctrl-C loses nothing that reached
the spool. A file whose lock is free belongs to a process that died: the next writer for the same
store replays it (records are idempotent, so a partly replayed file can be replayed again) and
deletes it. A torn last line (crash in the middle of a write) is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceassist.paths import ensure_private_dir
from voiceassist.store.records import Record, owner_key

log = logging.getLogger(__name__)


def spool_dir_for(root: Path, url: str) -> Path:
    """The spool folder of one store URL under ``root``."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return root / digest


class Spool:
    """This process's spool file plus access to orphaned ones in the same folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._fd: int | None = None
        self.path: Path | None = None
        self.pending = 0

    def _open(self) -> int:
        if self._fd is None:
            ensure_private_dir(self.folder)
            name = f"spool-{int(time.time() * 1000):015d}-{os.getpid()}.jsonl"
            self.path = self.folder / name
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
        return self._fd

    def append(self, records: Sequence[Record]) -> None:
        """Append records and fsync. Raises OSError when the disk fails (full, read-only); the
        file is then cut back to where it was, so a retry never leaves a torn line in front of
        the records it writes again."""
        if not records:
            return
        fd = self._open()
        data = "".join(r.to_json() + "\n" for r in records).encode("utf-8")
        start = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise
        self.pending += len(records)

    def own_records(self) -> list[Record]:
        return self.own_snapshot()[0]

    def own_snapshot(self) -> tuple[list[Record], int]:
        """This process's spooled records and the file size (bytes) they end at."""
        if self.path is None or self.pending == 0 or self._fd is None:
            return [], 0
        size = os.fstat(self._fd).st_size
        return _parse(self.path, os.pread(self._fd, size, 0)), size

    def drop_replayed(self, size: int, count: int) -> None:
        """The first ``size`` bytes (``count`` records) of this process's file are in the
        database: remove them, keeping whatever was appended since (raises OSError)."""
        if self._fd is None:
            return
        total = os.fstat(self._fd).st_size
        tail = os.pread(self._fd, total - size, size) if total > size else b""
        os.ftruncate(self._fd, 0)
        if tail:
            os.pwrite(self._fd, tail, 0)
        os.fsync(self._fd)
        self.pending = max(0, self.pending - count) if tail else 0

    def mark_replayed(self) -> None:
        """Everything in this process's file is in the database: empty it."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        self.pending = 0

    @contextlib.contextmanager
    def orphans(self) -> Iterator[list[tuple[Path, int]]]:
        """Spool files of dead processes, oldest first, each locked as ``(path, fd)`` while the
        caller replays them. The caller deletes the ones it replayed (``remove_orphan``)."""
        taken: list[tuple[Path, int]] = []
        try:
            if self.folder.is_dir():
                for path in sorted(self.folder.glob("spool-*.jsonl")):
                    if path == self.path:
                        continue
                    try:
                        fd = os.open(path, os.O_RDWR)
                    except OSError:
                        continue
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        os.close(fd)  # a live writer owns it
                        continue
                    taken.append((path, fd))
            yield taken
        finally:
            for _path, fd in taken:
                with contextlib.suppress(OSError):
                    os.close(fd)

    @staticmethod
    def remove_orphan(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def close(self) -> None:
        """Release the lock; an empty own file is deleted, a non-empty one stays for the next run."""
        if self._fd is not None:
            empty = os.fstat(self._fd).st_size == 0
            if empty and self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            os.close(self._fd)
            self._fd = None


def read_spool_file(path: Path) -> list[Record]:
    """All readable records of a spool file, in order; a torn or foreign line is skipped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> list[Record]:
    out: list[Record] = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            out.append(Record.from_json(line.decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            log.warning("spool %s:%d: unreadable line skipped (torn write?)", path, number)
    return out


def spool_files(root: Path) -> list[Path]:
    """Every spool file under ``root`` (all store URLs)."""
    if not root.is_dir():
        return []
    return sorted(root.glob("*/spool-*.jsonl"))


@dataclass(frozen=True)
class SpooledTrace:
    """A caller's calls and incidents as the spool files under one root know them."""

    call_ids: frozenset[str] = frozenset()
    call_refs: frozenset[str] = frozenset()
    incident_ids: frozenset[str] = frozenset()
    #: Audio clip paths named by spooled ``incident_clip`` records.
    clips: frozenset[str] = frozenset()


def caller_in_spools(root: Path, caller_id: str, call_ids: Iterable[str] = ()) -> SpooledTrace:
    """The caller's calls (``call_start`` with their id), incidents and clips in every spool
    file under ``root``, also files a running writer holds (they are only read). ``call_ids``:
    calls already known (from the store) whose incidents and clips are looked up too."""
    records = [r for path in spool_files(root) for r in read_spool_file(path)]
    calls = set(call_ids)
    refs: set[str] = set()
    for r in records:
        if r.kind == "call_start" and r.data.get("caller_id") == caller_id:
            calls.add(str(r.data.get("id")))
            refs.add(str(r.data.get("call_ref", "")))
    incidents = {str(r.data.get("id")) for r in records if r.kind == "incident_open"
                 and (r.data.get("caller_id") == caller_id or str(r.data.get("call_id")) in calls)}
    clips = {str(r.data.get("audio_clip")) for r in records
             if r.kind == "incident_clip" and str(r.data.get("id")) in incidents and r.data.get("audio_clip")}
    return SpooledTrace(frozenset(calls - set(call_ids)), frozenset(refs - {""}), frozenset(incidents),
                        frozenset(clips))


def _belongs(record: Record, caller_id: str, keys: set[str]) -> bool:
    if record.data.get("caller_id") == caller_id:
        return True
    if owner_key(record) in keys:
        return True
    return caller_id in json.dumps(dict(record.data), ensure_ascii=False)


def scrub_caller(root: Path, caller_id: str, keys: Iterable[str] = ()) -> tuple[int, int]:
    """Remove from every spool file under ``root`` the records of ``caller_id``: records naming
    the caller, and records of the calls / incidents whose ids are in ``keys`` (cue events and
    transcripts carry only the call id). Each file is rewritten atomically (temporary file,
    fsync, rename). Returns ``(removed, held)``: ``held`` records are in files a running writer
    locks; they are left there and dropped when written (the store lists their calls as
    forgotten)."""
    wanted = set(keys)
    removed = held = 0
    for path in spool_files(root):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                held += sum(1 for r in read_spool_file(path) if _belongs(r, caller_id, wanted))
                continue
            records = read_spool_file(path)
            keep = [r for r in records if not _belongs(r, caller_id, wanted)]
            if len(keep) != len(records):
                removed += len(records) - len(keep)
                tmp = path.with_suffix(".tmp")
                tfd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(tfd, "w", encoding="utf-8") as fh:
                    fh.write("".join(r.to_json() + "\n" for r in keep))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
        finally:
            os.close(fd)
    return removed, held
