"""The records the writer thread stores, and how each kind is written idempotently.

A :class:`Record` is ``(kind, data)`` with a JSON-ready ``data`` dict; every record carries its own
key (a UUID made when the record is created), so writing it twice, e.g. when a spool is replayed
after a crash, changes nothing: inserts use ``ON CONFLICT DO NOTHING``, updates set absolute
values, and a caller flag is bumped only when its ``flag_hits`` row (keyed by call and category)
is new.

Times: ``*_at`` fields are wall-clock epoch ms (needed across calls: flags, shifts, alerts);
``*_ms`` fields are ms of call time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from voiceassist.store.backend import Connection
from voiceassist.store.validate import RecordRejected, check_field

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Record:
    """One thing to store. ``kind`` is a key of :data:`WRITERS`."""

    kind: str
    data: Mapping[str, Any]

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "data": dict(self.data)}, ensure_ascii=False,
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Record:
        obj = json.loads(line)
        ok = isinstance(obj, dict) and obj.get("kind") in WRITERS and isinstance(obj.get("data"), dict)
        if not ok:
            raise ValueError("not a store record")
        return cls(str(obj["kind"]), obj["data"])


def new_id() -> str:
    """A fresh record key."""
    return uuid.uuid4().hex


def make(kind: str, data: Mapping[str, Any]) -> Record:
    """Build a record after checking its text fields against the size limits."""
    if kind not in WRITERS:
        raise RecordRejected(f"unknown record kind {kind!r}")
    for name, value in data.items():
        if isinstance(value, str) and name not in ("id", "call_id", "caller_id", "triggers",
                                                    "transcript", "cue_counts", "audio_clip"):
            check_field(name, value)
    return Record(kind, dict(data))


# --- writers: one function per kind, run inside a transaction ------------------------------------

def _insert(conn: Connection, table: str, data: Mapping[str, Any], columns: tuple[str, ...]) -> int:
    cols = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return conn.execute(
        f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        [data.get(c) for c in columns],
    )


def _call_start(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "calls", d, ("id", "call_ref", "started_at", "lang", "agent", "caller_id",
                               "workstation", "source"))


def _call_end(conn: Connection, d: Mapping[str, Any]) -> None:
    conn.execute(
        "UPDATE calls SET ended_at = ?, duration_ms = ?, end_reason = ?, highest_rung = ?,"
        " highest_cue = ?, cue_count = ?, urgent_count = ?, hard = ?, cue_counts = ? WHERE id = ?",
        [d["ended_at"], d["duration_ms"], d["end_reason"], d["highest_rung"], d.get("highest_cue"),
         d["cue_count"], d["urgent_count"], d["hard"], d["cue_counts"], d["id"]],
    )


CUE_COLUMNS = ("id", "call_id", "at_ms", "cue", "category", "form", "rung", "severity", "say",
               "script", "matched", "rule", "utterance", "speaker", "why")


def _cue(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "cue_events", d, CUE_COLUMNS)


def _transcript(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "transcripts", d, ("id", "call_id", "speaker", "utterance", "start_ms", "end_ms", "text"))


def _flag_hit(conn: Connection, d: Mapping[str, Any]) -> None:
    new = _insert(conn, "flag_hits", d, ("id", "call_id", "caller_id", "category", "reason", "seen_at"))
    if new != 1:
        return  # already counted (replay) or the same call flagged twice for this category
    seen = int(d["seen_at"])
    expires = seen + int(d["expiry_days"]) * DAY_MS
    conn.execute(
        "INSERT INTO caller_flags (caller_id, category, count, first_seen, last_seen, expires_at,"
        " last_reason) VALUES (?, ?, 1, ?, ?, ?, ?)"
        " ON CONFLICT (caller_id, category) DO UPDATE SET"
        " count = CASE WHEN caller_flags.expires_at < excluded.last_seen THEN 1"
        "   ELSE caller_flags.count + 1 END,"
        " first_seen = CASE WHEN caller_flags.expires_at < excluded.last_seen THEN excluded.first_seen"
        "   ELSE caller_flags.first_seen END,"
        " last_seen = CASE WHEN excluded.last_seen > caller_flags.last_seen THEN excluded.last_seen"
        "   ELSE caller_flags.last_seen END,"
        " expires_at = CASE WHEN excluded.expires_at > caller_flags.expires_at THEN excluded.expires_at"
        "   ELSE caller_flags.expires_at END,"
        " last_reason = excluded.last_reason",
        [d["caller_id"], d["category"], seen, seen, expires, d["reason"]],
    )


INCIDENT_COLUMNS = ("id", "call_id", "opened_at", "at_ms", "window_start_ms", "window_end_ms",
                    "caller_id", "agent", "lang", "workstation", "category", "form", "cue",
                    "triggers", "transcript", "status")


def _incident_open(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "incidents", d, INCIDENT_COLUMNS)


def _incident_update(conn: Connection, d: Mapping[str, Any]) -> None:
    conn.execute(
        "UPDATE incidents SET window_end_ms = ?, triggers = ?, transcript = ?, status = ?,"
        " completed_at = ? WHERE id = ?",
        [d["window_end_ms"], d["triggers"], d["transcript"], d["status"], d.get("completed_at"), d["id"]],
    )


def _incident_clip(conn: Connection, d: Mapping[str, Any]) -> None:
    conn.execute("UPDATE incidents SET audio_clip = ? WHERE id = ?", [d["audio_clip"], d["id"]])


ALERT_COLUMNS = ("id", "created_at", "call_id", "at_ms", "kind", "cue", "category", "severity",
                 "agent", "workstation", "caller_id", "message")


def _alert(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "alerts", d, ALERT_COLUMNS)


def _break(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "agent_breaks", d, ("id", "agent", "at", "kind", "minutes", "hard_calls"))


FEEDBACK_COLUMNS = ("id", "created_at", "call_id", "call_ref", "at_ms", "cue", "verdict", "note",
                    "agent", "workstation")


def _cue_feedback(conn: Connection, d: Mapping[str, Any]) -> None:
    _insert(conn, "cue_feedback", d, FEEDBACK_COLUMNS)


def _close_interrupted(conn: Connection, d: Mapping[str, Any]) -> None:
    """Calls of this workstation left open by a process that died (kill -9, power loss): ended
    as ``interrupted`` at ``ended_at``, the moment the next start noticed (idempotent)."""
    conn.execute(
        "UPDATE calls SET ended_at = ?, end_reason = 'interrupted' WHERE workstation = ?"
        " AND ended_at IS NULL AND started_at < ?",
        [d["ended_at"], d["workstation"], d["before"]],
    )


WRITERS: dict[str, Callable[[Connection, Mapping[str, Any]], None]] = {
    "call_start": _call_start,
    "call_end": _call_end,
    "cue": _cue,
    "transcript": _transcript,
    "flag_hit": _flag_hit,
    "incident_open": _incident_open,
    "incident_update": _incident_update,
    "incident_clip": _incident_clip,
    "alert": _alert,
    "break": _break,
    "cue_feedback": _cue_feedback,
    "close_interrupted": _close_interrupted,
}


#: Record kinds whose ``data["id"]`` is the key of a call or an incident; every other kind that
#: belongs to a call names it in ``data["call_id"]``.
_OWN_KEY = frozenset({"call_start", "call_end", "incident_update", "incident_clip"})


def owner_key(record: Record) -> str | None:
    """The call or incident id ``record`` belongs to (None for records of no call: breaks,
    closing interrupted calls). A forgotten call's or incident's records are dropped by this key."""
    if record.kind in ("break", "close_interrupted"):
        return None
    value = record.data.get("id" if record.kind in _OWN_KEY else "call_id")
    return str(value) if value else None


def apply_record(conn: Connection, record: Record) -> None:
    """Write one record (inside the caller's transaction)."""
    try:
        WRITERS[record.kind](conn, record.data)
    except KeyError as exc:
        raise RecordRejected(f"{record.kind} record lacks field {exc}") from None
