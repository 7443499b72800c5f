"""Database connections for the two back-ends behind one small interface.

``sqlite:///abs/path.db`` (``sqlite://relative.db`` is relative to the working dir) opens an
embedded SQLite file in WAL mode; ``postgresql://...`` (or ``postgres://``) connects with psycopg 3
(imported lazily). SQL is written once with ``?`` placeholders; the PostgreSQL connection turns
them into ``%s``. Errors are mapped to :class:`StoreUnavailable` (the database cannot be reached
now: spool and retry), :class:`~voiceassist.store.validate.RecordRejected` (this data can never be
stored) or :class:`~voiceassist.errors.StoreError` (anything else).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from voiceassist.errors import StoreError
from voiceassist.paths import ensure_private_dir
from voiceassist.store.urlmask import mask_url
from voiceassist.store.validate import RecordRejected

Dialect = Literal["sqlite", "postgresql"]
#: Seconds to wait for a PostgreSQL connection before calling the database down.
CONNECT_TIMEOUT_S = 3


#: Seconds an SQLite connection waits for another one's lock before calling the file locked.
SQLITE_BUSY_S = 10.0
#: Seconds the live call's connections (store writer, call-start/end reads) wait for a lock or a
#: statement before calling the store busy: the writer spools and retries instead of holding
#: records in RAM for :data:`SQLITE_BUSY_S`.
LIVE_WAIT_S = 0.5
#: PostgreSQL socket options: a dead peer or cut network is noticed within ~10 s (keepalives
#: every 2 s after 5 s idle, 3 lost probes; unacknowledged data given up after 10,000 ms), so a
#: stuck write ends and the writer reconnects. (A server that is only paused keeps its TCP
#: connection answering: that case is bounded by the writer's own deadline, not by these.)
PG_SOCKET_OPTIONS: dict[str, int] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                                     "keepalives_count": 3, "tcp_user_timeout": 10_000}


def _enable_wal(raw: sqlite3.Connection, busy_s: float = SQLITE_BUSY_S) -> None:
    """Switch the file to WAL. On a brand-new file several connections (the recorder's writer
    thread and its flag reader, two processes) race for the exclusive lock this needs, and SQLite
    answers the losers 'database is locked' at once, without its busy handler: retry until
    :data:`SQLITE_BUSY_S` has passed."""
    deadline = time.monotonic() + busy_s
    while True:
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


class StoreUnavailable(StoreError):
    """The database cannot be reached right now (server down, file locked, network)."""


@dataclass(frozen=True)
class Target:
    """A parsed store URL."""

    dialect: Dialect
    url: str
    #: SQLite file (None for PostgreSQL).
    path: Path | None = None

    @property
    def display(self) -> str:
        """The URL with every password masked, for messages."""
        return mask_url(self.url)


def parse_url(url: str) -> Target:
    """Parse a store URL or raise StoreError saying what a valid one looks like."""
    if url.startswith("sqlite://"):
        rest = url[len("sqlite://"):]
        if not rest or rest == ":memory:":
            raise StoreError(
                f"store URL {url!r} names no file",
                hint="use sqlite:///absolute/path/voiceassist.db",
            )
        return Target("sqlite", url, Path(rest).expanduser())
    if url.startswith(("postgresql://", "postgres://")):
        return Target("postgresql", url)
    raise StoreError(
        f"unsupported store URL {url!r}",
        hint="use sqlite:///path/to/voiceassist.db or postgresql://user@host:5432/dbname",
    )


class Connection:
    """One open database connection (not thread-safe: one per thread)."""

    def __init__(self, target: Target, raw: Any):
        self.target = target
        self.dialect: Dialect = target.dialect
        self._raw = raw

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, target: Target, *, busy_s: float = SQLITE_BUSY_S) -> Connection:
        """``busy_s``: seconds an SQLite connection waits for another one's lock."""
        if target.dialect == "sqlite":
            return cls._open_sqlite(target, busy_s)
        return cls._open_postgres(target)

    @classmethod
    def _open_sqlite(cls, target: Target, busy_s: float = SQLITE_BUSY_S) -> Connection:
        assert target.path is not None
        path = target.path
        try:
            ensure_private_dir(path.parent) if not path.parent.exists() else None
            new = not path.exists()
            if new:
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            raw = sqlite3.connect(str(path), timeout=busy_s, isolation_level=None,
                                  check_same_thread=False)
            _enable_wal(raw, busy_s)
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute(f"PRAGMA busy_timeout={int(busy_s * 1000)}")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(
                f"cannot open the SQLite store {path}: {exc}",
                hint="check that the folder exists and is writable, or set store.url",
            ) from None
        return cls(target, raw)

    @classmethod
    def _open_postgres(cls, target: Target) -> Connection:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - psycopg is a dependency of the postgres extra
            raise StoreError(
                "PostgreSQL support needs psycopg", hint="pip install 'voiceassist[postgres]'"
            ) from None
        try:
            raw = psycopg.connect(
                target.url,
                connect_timeout=CONNECT_TIMEOUT_S,
                autocommit=True,
                application_name="voiceassist",
                **cast(dict[str, Any], PG_SOCKET_OPTIONS),
            )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailable(
                f"cannot connect to {target.display}: {first}",
                hint="check that the server runs and the URL is right (store.url)",
            ) from None
        return cls(target, raw)

    # -- statements ----------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the affected row count."""
        with self._errors():
            cur = self._raw.execute(self._sql(sql), tuple(params))
            count = cur.rowcount
            return int(count) if count is not None else 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a SELECT; returns all rows as tuples."""
        with self._errors():
            cur = self._raw.execute(self._sql(sql), tuple(params))
            return [tuple(row) for row in cur.fetchall()]

    def query_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a SELECT; returns rows as dicts keyed by column name."""
        with self._errors():
            cur = self._raw.execute(self._sql(sql), tuple(params))
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextlib.contextmanager
    def transaction(self, *, lock_key: int | None = None) -> Iterator[Connection]:
        """A write transaction; ``lock_key`` takes a cluster-wide lock (PostgreSQL advisory lock,
        SQLite's write lock) for schema upgrades."""
        with self._errors():
            if self.dialect == "sqlite":
                self._raw.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    self._raw.execute("ROLLBACK")
                    raise
                self._raw.execute("COMMIT")
            else:
                with self._raw.transaction():
                    if lock_key is not None:
                        self._raw.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
                    yield self

    def limit_waits(self, seconds: float) -> None:
        """Bound how long one statement may wait: SQLite's busy timeout (another connection's
        lock), PostgreSQL's ``statement_timeout``. Past it the statement fails as
        :class:`StoreUnavailable` (busy: spool and retry)."""
        ms = max(1, int(seconds * 1000))
        with self._errors():
            if self.dialect == "sqlite":
                self._raw.execute(f"PRAGMA busy_timeout={ms}")
            else:
                self._raw.execute(f"SET statement_timeout = {ms}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._raw.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Map driver exceptions onto the store's error family."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _map_sqlite(exc, self.target) from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg"):
                raise _map_psycopg(exc, self.target) from None
            raise


def _map_sqlite(exc: sqlite3.Error, target: Target) -> StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
        return RecordRejected(f"the store refused a record: {text}")
    low = text.lower()
    if any(s in low for s in ("locked", "busy", "unable to open", "disk i/o", "readonly")):
        return StoreUnavailable(f"SQLite store {target.path} unavailable: {text}")
    if "no such table" in low:
        return StoreError(f"the store at {target.display} has no schema yet: {text}",
                          hint="run `voiceassist db upgrade`")
    return StoreError(f"SQLite store error: {text}")


def _map_psycopg(exc: Exception, target: Target) -> StoreError:
    import psycopg

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError
                  | psycopg.errors.QueryCanceled):
        return StoreUnavailable(f"PostgreSQL at {target.display} unavailable: {first}")
    if isinstance(exc, psycopg.IntegrityError | psycopg.DataError):
        return RecordRejected(f"the store refused a record: {first}")
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return StoreError(f"the store at {target.display} has no schema yet: {first}",
                          hint="run `voiceassist db upgrade`")
    return StoreError(f"PostgreSQL error: {first}")
