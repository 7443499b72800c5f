"""The call store: schema upgrades, idempotent record writes, and the queries behind the
``db``, ``flags``, ``incidents``, ``supervise`` and ``shift`` commands.

One :class:`Store` wraps one connection (use one per thread). It is synchronous: the audio path
never calls it directly, it goes through :class:`~voiceassist.store.writer.Writer`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from voiceassist.errors import StoreError, UsageError
from voiceassist.store.backend import SQLITE_BUSY_S, Connection, StoreUnavailable, Target, parse_url
from voiceassist.store.records import Record, apply_record, owner_key
from voiceassist.store.schema import BOOTSTRAP, LATEST, MIGRATIONS
from voiceassist.store.validate import RecordRejected, normalize_caller_id

#: PostgreSQL advisory lock key for schema upgrades ("vaSTORE1").
_UPGRADE_LOCK = 0x7661_5354_4F52_4531 & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Flag:
    """One caller flag (per caller and category)."""

    caller_id: str
    category: str
    count: int
    #: Wall-clock epoch ms.
    first_seen: int
    last_seen: int
    expires_at: int
    last_reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Forgotten:
    """What :meth:`Store.forget` erased."""

    #: Rows deleted per table.
    counts: dict[str, int]
    #: Store keys of the caller's calls and incidents (now in ``forgotten``).
    call_ids: tuple[str, ...]
    #: The calls' log ids (``call_ref``: the JSONL call log ``<call_ref>.jsonl``).
    call_refs: tuple[str, ...]
    incident_ids: tuple[str, ...]
    #: Audio clip paths the incidents named (on the workstation that recorded them).
    clips: tuple[str, ...]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _rows_in(conn: Connection, sql: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """``sql`` + `` (?, ?, ...)`` over ``ids`` in chunks (an empty list: no rows)."""
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        out += conn.query(f"{sql} ({', '.join('?' for _ in chunk)})", chunk)
    return out


def _delete_in(conn: Connection, table: str, column: str, ids: Sequence[str]) -> int:
    """Delete the rows of ``table`` whose ``column`` is one of ``ids``; returns rows deleted."""
    done = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        done += conn.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' for _ in chunk)})",
                             chunk)
    return done


def now_ms() -> int:
    """Wall-clock epoch ms (used only for cross-call times: flags, shifts, alerts)."""
    return int(time.time() * 1000)


def incident_prefix(ident: str) -> str:
    """An incident id or id prefix as typed, normalised; a usage error unless 4+ hex characters."""
    ident = ident.strip().lower()
    if len(ident) < 4 or not all(c in "0123456789abcdef" for c in ident):
        raise UsageError(f"incident id {ident!r} must be at least 4 hex characters",
                         hint="see `voiceassist incidents list`")
    return ident


class Store:
    """A connection to the call store plus the product's queries."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.target: Target = conn.target

    @classmethod
    def open(
        cls, url: str, *, upgrade: Literal["auto", "check", "none"] = "auto", create: bool = True,
        busy_s: float = SQLITE_BUSY_S,
    ) -> Store:
        """Connect. ``upgrade="auto"`` migrates a SQLite store (one workstation) automatically but
        only *checks* a PostgreSQL one (shared: IT runs ``voiceassist db upgrade``); ``"check"``
        raises StoreError when the schema is not current; ``"none"`` skips the check.
        ``create=False`` (commands that only read) refuses a SQLite file that does not exist
        instead of creating it and its folders (a mistyped ``--db`` path)."""
        target = parse_url(url)
        if not create and target.path is not None and not target.path.exists():
            raise StoreError(
                f"no store at {target.path}",
                hint="check --db / store.url; a workstation's store is created by its first call "
                "(or `voiceassist db upgrade --db URL`)",
            )
        store = cls(Connection.open(target, busy_s=busy_s))
        try:
            if upgrade == "auto" and target.dialect == "sqlite":
                store.upgrade()
            elif upgrade != "none":
                store.check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------
    def schema_version(self) -> int:
        """Highest applied migration (0 for an empty database)."""
        exists = self._table_exists("schema_version")
        if not exists:
            return 0
        rows = self.conn.query("SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)

    def applied_migrations(self) -> list[tuple[int, str, int]]:
        if not self._table_exists("schema_version"):
            return []
        rows = self.conn.query("SELECT version, description, applied_at FROM schema_version ORDER BY version")
        return [(int(v), str(d), int(a)) for v, d, a in rows]

    def _table_exists(self, name: str) -> bool:
        if self.conn.dialect == "sqlite":
            rows = self.conn.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name])
        else:
            rows = self.conn.query("SELECT to_regclass(?) IS NOT NULL", [name])
            return bool(rows and rows[0][0])
        return bool(rows)

    def check_schema(self) -> None:
        version = self.schema_version()
        if version < LATEST:
            raise StoreError(
                f"the store at {self.target.display} has schema version {version}, "
                f"this voiceassist needs {LATEST}",
                hint="run `voiceassist db upgrade`",
            )
        if version > LATEST:
            raise StoreError(
                f"the store at {self.target.display} has schema version {version}, newer than this "
                f"voiceassist understands ({LATEST})",
                hint="upgrade voiceassist on this workstation",
            )

    def upgrade(self, target: int = LATEST) -> list[int]:
        """Apply pending migrations up to ``target`` in one locked transaction; returns the versions
        applied (empty when already current). Safe to run from many workstations at once."""
        if not 0 <= target <= LATEST:
            raise UsageError(f"schema version must be between 0 and {LATEST}, not {target}")
        with self.conn.transaction(lock_key=_UPGRADE_LOCK) as conn:
            conn.execute(BOOTSTRAP)
            rows = conn.query("SELECT MAX(version) FROM schema_version")
            current = int(rows[0][0] or 0)
            if current > LATEST:
                raise StoreError(
                    f"the store has schema version {current}, newer than this voiceassist ({LATEST})",
                    hint="upgrade voiceassist on this workstation",
                )
            done: list[int] = []
            for migration in MIGRATIONS:
                if current < migration.version <= target:
                    for statement in migration.statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                        [migration.version, migration.description, now_ms()],
                    )
                    done.append(migration.version)
        return done

    # -- writes ---------------------------------------------------------------------------------
    def apply(self, records: Sequence[Record]) -> None:
        """Write ``records`` in order in one transaction (all or nothing).

        Raises StoreUnavailable (retry later), RecordRejected (a record can never be stored) or
        StoreError."""
        if not records:
            return
        with self.conn.transaction() as conn:
            gone = self._forgotten(conn, {k for r in records if (k := owner_key(r)) is not None})
            for record in records:
                if gone and owner_key(record) in gone:
                    continue  # a call erased by `flags forget`: its late records stay erased
                apply_record(conn, record)

    @staticmethod
    def _forgotten(conn: Connection, keys: set[str]) -> set[str]:
        """Which of these call / incident ids were erased by :meth:`forget`."""
        if not keys:
            return set()
        ordered = sorted(keys)
        marks = ", ".join("?" for _ in ordered)
        rows = conn.query(f"SELECT id FROM forgotten WHERE id IN ({marks})", ordered)
        return {str(r[0]) for r in rows}

    # -- caller flags ---------------------------------------------------------------------------
    def flags(self, caller_id: str | None = None, *, include_expired: bool = False,
              at_ms: int | None = None) -> list[Flag]:
        """Flags, newest first; only unexpired ones unless ``include_expired``."""
        now = now_ms() if at_ms is None else at_ms
        where: list[str] = []
        params: list[Any] = []
        if caller_id is not None:
            where.append("caller_id = ?")
            params.append(normalize_caller_id(caller_id))
        if not include_expired:
            where.append("expires_at > ?")
            params.append(now)
        sql = ("SELECT caller_id, category, count, first_seen, last_seen, expires_at, last_reason"
               " FROM caller_flags")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY last_seen DESC, caller_id, category"
        return [Flag(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), str(r[6]))
                for r in self.conn.query(sql, params)]

    def clear_flags(self, caller_id: str, category: str | None = None) -> int:
        """Remove a caller's flags (all, or one category); past calls are kept. Returns rows removed."""
        cid = normalize_caller_id(caller_id)
        with self.conn.transaction() as conn:
            if category is None:
                return conn.execute("DELETE FROM caller_flags WHERE caller_id = ?", [cid])
            return conn.execute("DELETE FROM caller_flags WHERE caller_id = ? AND category = ?",
                                [cid, category])

    def forget(self, caller_id: str, *, calls: Sequence[str] = (),
               incidents: Sequence[str] = ()) -> Forgotten:
        """Erase every trace of a caller id in the store: their calls and everything recorded in
        those calls (cue events, transcripts, feedback, incidents, alerts), flag hits and flags.

        ``calls`` / ``incidents``: more ids of the caller's calls and incidents, found in spool
        files (their records carry only the call id). Every id is kept in ``forgotten`` (random
        keys, nothing about the caller), so records of these calls that arrive later from a
        spool are dropped instead of bringing the call back. On SQLite the freed pages are
        zeroed (``secure_delete``) and the WAL is checkpointed and truncated; on PostgreSQL the
        touched tables are vacuumed (see docs/store.md)."""
        cid = normalize_caller_id(caller_id)
        counts: dict[str, int] = {}
        if self.conn.dialect == "sqlite":
            self.conn.execute("PRAGMA secure_delete = ON")
        with self.conn.transaction() as conn:
            found = conn.query("SELECT id, call_ref FROM calls WHERE caller_id = ?", [cid])
            call_ids = sorted({str(r[0]) for r in found} | {c for c in calls if c})
            refs = sorted({str(r[1]) for r in found})
            inc_rows = conn.query("SELECT id, audio_clip, call_id FROM incidents WHERE caller_id = ?", [cid])
            inc_rows += _rows_in(conn, "SELECT id, audio_clip, call_id FROM incidents WHERE call_id IN",
                                 call_ids)
            inc_ids = sorted({str(r[0]) for r in inc_rows} | {i for i in incidents if i})
            clips = sorted({str(r[1]) for r in inc_rows if r[1]})
            now = now_ms()
            ref_of = {str(r[0]): str(r[1]) for r in found}
            for kind, ids in (("call", call_ids), ("incident", inc_ids)):
                for ident in ids:
                    conn.execute("INSERT INTO forgotten (id, kind, ref, forgotten_at) VALUES (?, ?, ?, ?)"
                                 " ON CONFLICT DO NOTHING", [ident, kind, ref_of.get(ident, ""), now])
            for table in ("cue_events", "transcripts", "cue_feedback"):
                counts[table] = _delete_in(conn, table, "call_id", call_ids)
            for table in ("incidents", "alerts"):
                counts[table] = (conn.execute(f"DELETE FROM {table} WHERE caller_id = ?", [cid])
                                 + _delete_in(conn, table, "call_id", call_ids))
            counts["flag_hits"] = (conn.execute("DELETE FROM flag_hits WHERE caller_id = ?", [cid])
                                   + _delete_in(conn, "flag_hits", "call_id", call_ids))
            counts["caller_flags"] = conn.execute("DELETE FROM caller_flags WHERE caller_id = ?", [cid])
            counts["calls"] = (conn.execute("DELETE FROM calls WHERE caller_id = ?", [cid])
                               + _delete_in(conn, "calls", "id", call_ids))
        self._reclaim([t for t, n in counts.items() if n])
        return Forgotten(counts, tuple(call_ids), tuple(refs), tuple(inc_ids), tuple(clips))

    def _reclaim(self, tables: Sequence[str]) -> None:
        """Make erased rows unreadable from the database files as far as the back-end allows:
        SQLite zeroed them already (secure_delete); checkpoint the WAL and truncate it. On
        PostgreSQL a plain VACUUM of the touched tables removes the dead tuples and their index
        entries (it waits for no lock that writers hold; rows still visible to an older open
        transaction survive until the next vacuum). Failures are ignored: the rows are deleted."""
        try:
            if self.conn.dialect == "sqlite":
                self.conn.query("PRAGMA wal_checkpoint(TRUNCATE)")
            elif tables:
                self.conn.execute("VACUUM " + ", ".join(sorted({*tables, "forgotten"})))
        except StoreError:
            pass

    def forgotten_files(self) -> list[tuple[str, str, str]]:
        """``(id, kind, call log ref)`` of every erased call and incident: the files they left
        on a workstation (call log ``<ref>.jsonl``, clip ``<incident id>.wav``) are erased by
        ``flags forget`` run there."""
        return [(str(a), str(b), str(c)) for a, b, c in
                self.conn.query("SELECT id, kind, ref FROM forgotten ORDER BY forgotten_at, id")]

    def forgotten_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these call / incident ids were erased by :meth:`forget`."""
        return self._forgotten(self.conn, set(ids))

    def caller_trace_count(self, caller_id: str, call_ids: Sequence[str] = ()) -> int:
        """Rows anywhere that still mention ``caller_id`` or belong to one of ``call_ids``
        (0 after :meth:`forget`)."""
        cid = normalize_caller_id(caller_id)
        total = 0
        for table in ("cue_events", "transcripts", "cue_feedback", "incidents", "alerts", "flag_hits"):
            total += sum(int(r[0]) for r in _rows_in(
                self.conn, f"SELECT COUNT(*) FROM {table} WHERE call_id IN", list(call_ids)))
        for table in ("calls", "flag_hits", "caller_flags", "incidents", "alerts"):
            total += int(self.conn.query(f"SELECT COUNT(*) FROM {table} WHERE caller_id = ?", [cid])[0][0])
        like = "%" + cid + "%"
        for table, col in (("transcripts", "text"), ("incidents", "transcript"), ("alerts", "message")):
            total += int(self.conn.query(f"SELECT COUNT(*) FROM {table} WHERE {col} LIKE ?", [like])[0][0])
        return total

    # -- incidents ------------------------------------------------------------------------------
    def incidents(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.query_dicts(
            "SELECT id, call_id, opened_at, at_ms, caller_id, agent, category, form, cue, status, triggers"
            " FROM incidents ORDER BY opened_at DESC, id LIMIT ?", [limit])
        for row in rows:
            row["triggers"] = json.loads(row["triggers"])
        return rows

    def incident(self, ident: str) -> dict[str, Any]:
        """One incident by id or unique id prefix (at least 4 characters), with its call."""
        ident = incident_prefix(ident)
        rows = self.conn.query_dicts("SELECT * FROM incidents WHERE id LIKE ? ORDER BY id LIMIT 2",
                                     [ident + "%"])
        if not rows:
            raise UsageError(f"no incident {ident}", hint="see `voiceassist incidents list`")
        if len(rows) > 1:
            raise UsageError(f"incident id {ident} is ambiguous", hint="give more characters")
        inc = rows[0]
        inc["triggers"] = json.loads(inc["triggers"])
        inc["transcript"] = json.loads(inc["transcript"])
        calls = self.conn.query_dicts(
            "SELECT id, call_ref, started_at, ended_at, duration_ms, lang, agent, caller_id, workstation,"
            " source, end_reason, highest_rung, highest_cue, cue_count FROM calls WHERE id = ?",
            [inc["call_id"]])
        inc["call"] = calls[0] if calls else None
        inc["cues"] = self.conn.query_dicts(
            "SELECT at_ms, cue, category, form, rung, severity, matched FROM cue_events"
            " WHERE call_id = ? ORDER BY at_ms, id", [inc["call_id"]])
        for cue in inc["cues"]:
            cue["matched"] = json.loads(cue["matched"])
        return inc

    # -- alerts ---------------------------------------------------------------------------------
    def alerts(self, since_ms: int, limit: int = 50) -> list[dict[str, Any]]:
        """Alerts created at or after ``since_ms`` (wall epoch ms), newest first."""
        return self.conn.query_dicts(
            "SELECT id, created_at, call_id, at_ms, kind, cue, category, severity, agent, workstation,"
            " caller_id, message FROM alerts WHERE created_at >= ? ORDER BY created_at DESC, id LIMIT ?",
            [since_ms, limit])

    # -- wellbeing / shift ----------------------------------------------------------------------
    def hard_call_ids(self, agent: str, since_ms: int) -> set[str]:
        rows = self.conn.query("SELECT id FROM calls WHERE agent = ? AND hard = 1 AND ended_at >= ?",
                               [agent, since_ms])
        return {str(r[0]) for r in rows}

    def hard_calls_since(self, agent: str, since_ms: int) -> list[tuple[str, int]]:
        """``(call id, ended_at epoch ms)`` of this agent's hard calls ended at or after ``since_ms``."""
        rows = self.conn.query("SELECT id, ended_at FROM calls WHERE agent = ? AND hard = 1"
                               " AND ended_at >= ?", [agent, since_ms])
        return [(str(r[0]), int(r[1])) for r in rows]

    def last_break_at(self, agent: str) -> int | None:
        rows = self.conn.query("SELECT MAX(at) FROM agent_breaks WHERE agent = ?", [agent])
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def shift_summary(self, agent: str, start_ms: int, end_ms: int) -> dict[str, Any]:
        """Calls, hard calls, talk time, cues by category, breaks and flags of one agent between
        two wall-clock epoch ms."""
        calls = self.conn.query_dicts(
            "SELECT id, started_at, ended_at, duration_ms, hard, highest_cue, caller_id FROM calls"
            " WHERE agent = ? AND started_at >= ? AND started_at < ? ORDER BY started_at",
            [agent, start_ms, end_ms])
        ids = [c["id"] for c in calls]
        by_category: dict[str, int] = {}
        incidents = 0
        if ids:
            marks = ", ".join("?" for _ in ids)
            for cat, n in self.conn.query(
                f"SELECT category, COUNT(*) FROM cue_events WHERE call_id IN ({marks})"
                " GROUP BY category ORDER BY category", ids):
                by_category[str(cat)] = int(n)
            incidents = int(self.conn.query(
                f"SELECT COUNT(*) FROM incidents WHERE call_id IN ({marks})", ids)[0][0])
        breaks = self.conn.query_dicts(
            "SELECT at, kind, minutes, hard_calls FROM agent_breaks WHERE agent = ? AND at >= ? AND at < ?"
            " ORDER BY at", [agent, start_ms, end_ms])
        return {
            "agent": agent,
            "from": start_ms,
            "to": end_ms,
            "calls": len(calls),
            "hard_calls": sum(1 for c in calls if c["hard"]),
            "talk_ms": sum(int(c["duration_ms"] or 0) for c in calls),
            "cues_by_category": by_category,
            "incidents": incidents,
            "breaks_suggested": sum(1 for b in breaks if b["kind"] == "suggested"),
            "breaks_taken": sum(1 for b in breaks if b["kind"] == "taken"),
            "break_minutes_taken": sum(int(b["minutes"]) for b in breaks if b["kind"] == "taken"),
            "flagged_callers": len({c["caller_id"] for c in calls if c["caller_id"]} & self._flagged_ids()),
            "call_list": calls,
        }

    def _flagged_ids(self) -> set[str]:
        return {str(r[0]) for r in self.conn.query("SELECT DISTINCT caller_id FROM flag_hits")}

    def count(self, table: str) -> int:
        """Rows in one of the store's tables (for status and tests)."""
        if table not in {"calls", "cue_events", "transcripts", "flag_hits", "caller_flags", "incidents",
                         "alerts", "agent_breaks", "cue_feedback"}:
            raise UsageError(f"unknown table {table}")
        return int(self.conn.query(f"SELECT COUNT(*) FROM {table}")[0][0])


__all__ = ["Flag", "Forgotten", "RecordRejected", "Store", "StoreUnavailable", "now_ms"]
