"""Versioned schema migrations for both back-ends.

Each :class:`Migration` has a version (1, 2, ...), a description and its SQL statements (the same
text for SQLite and PostgreSQL: only portable types are used: TEXT, BIGINT, INTEGER; times are
epoch ms (wall clock) or ms of call time, booleans are 0/1, JSON is TEXT). Applied versions are
rows of ``schema_version``. Never edit a released migration: add a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


BOOTSTRAP = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "calls, cue events, transcripts, caller flags, incidents, alerts, agent breaks",
        (
            """CREATE TABLE calls (
                id TEXT PRIMARY KEY,
                call_ref TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                duration_ms BIGINT,
                lang TEXT NOT NULL,
                agent TEXT NOT NULL,
                caller_id TEXT,
                workstation TEXT NOT NULL,
                source TEXT NOT NULL DEFAULT '',
                end_reason TEXT,
                highest_rung INTEGER NOT NULL DEFAULT 0,
                highest_cue TEXT,
                cue_count INTEGER NOT NULL DEFAULT 0,
                urgent_count INTEGER NOT NULL DEFAULT 0,
                hard INTEGER NOT NULL DEFAULT 0,
                cue_counts TEXT NOT NULL DEFAULT '{}')""",
            "CREATE INDEX calls_agent_started ON calls (agent, started_at)",
            """CREATE TABLE cue_events (
                id TEXT PRIMARY KEY,
                call_id TEXT NOT NULL,
                at_ms BIGINT NOT NULL,
                cue TEXT NOT NULL,
                category TEXT NOT NULL,
                form TEXT NOT NULL,
                rung INTEGER NOT NULL,
                severity TEXT NOT NULL,
                say TEXT NOT NULL,
                script TEXT NOT NULL,
                matched TEXT NOT NULL,
                rule TEXT NOT NULL,
                utterance INTEGER NOT NULL,
                speaker TEXT NOT NULL,
                why TEXT NOT NULL)""",
            "CREATE INDEX cue_events_call ON cue_events (call_id, at_ms)",
            """CREATE TABLE transcripts (
                id TEXT PRIMARY KEY,
                call_id TEXT NOT NULL,
                speaker TEXT NOT NULL,
                utterance INTEGER NOT NULL,
                start_ms BIGINT NOT NULL,
                end_ms BIGINT NOT NULL,
                text TEXT NOT NULL)""",
            "CREATE INDEX transcripts_call ON transcripts (call_id, start_ms)",
            """CREATE TABLE flag_hits (
                id TEXT PRIMARY KEY,
                call_id TEXT NOT NULL,
                caller_id TEXT NOT NULL,
                category TEXT NOT NULL,
                reason TEXT NOT NULL,
                seen_at BIGINT NOT NULL,
                UNIQUE (call_id, category))""",
            """CREATE TABLE caller_flags (
                caller_id TEXT NOT NULL,
                category TEXT NOT NULL,
                count INTEGER NOT NULL,
                first_seen BIGINT NOT NULL,
                last_seen BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_reason TEXT NOT NULL,
                PRIMARY KEY (caller_id, category))""",
            """CREATE TABLE incidents (
                id TEXT PRIMARY KEY,
                call_id TEXT NOT NULL,
                opened_at BIGINT NOT NULL,
                at_ms BIGINT NOT NULL,
                window_start_ms BIGINT NOT NULL,
                window_end_ms BIGINT NOT NULL,
                caller_id TEXT,
                agent TEXT NOT NULL,
                lang TEXT NOT NULL,
                workstation TEXT NOT NULL,
                category TEXT NOT NULL,
                form TEXT NOT NULL,
                cue TEXT NOT NULL,
                triggers TEXT NOT NULL,
                transcript TEXT NOT NULL,
                status TEXT NOT NULL,
                audio_clip TEXT,
                completed_at BIGINT)""",
            "CREATE INDEX incidents_opened ON incidents (opened_at)",
            """CREATE TABLE alerts (
                id TEXT PRIMARY KEY,
                created_at BIGINT NOT NULL,
                call_id TEXT NOT NULL,
                at_ms BIGINT NOT NULL,
                kind TEXT NOT NULL,
                cue TEXT NOT NULL,
                category TEXT NOT NULL,
                severity TEXT NOT NULL,
                agent TEXT NOT NULL,
                workstation TEXT NOT NULL,
                caller_id TEXT,
                message TEXT NOT NULL)""",
            "CREATE INDEX alerts_created ON alerts (created_at)",
            """CREATE TABLE agent_breaks (
                id TEXT PRIMARY KEY,
                agent TEXT NOT NULL,
                at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                minutes INTEGER NOT NULL,
                hard_calls INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX agent_breaks_agent ON agent_breaks (agent, at)",
        ),
    ),
    Migration(
        2,
        "indexes by caller id (flags, forget) and by call (alerts, incidents)",
        (
            "CREATE INDEX calls_caller ON calls (caller_id)",
            "CREATE INDEX flag_hits_caller ON flag_hits (caller_id)",
            "CREATE INDEX incidents_caller ON incidents (caller_id)",
            "CREATE INDEX alerts_call ON alerts (call_id)",
        ),
    ),
    Migration(
        3,
        "cue feedback from the agent's panel (\"this cue was wrong\", for QA)",
        (
            """CREATE TABLE cue_feedback (
                id TEXT PRIMARY KEY,
                created_at BIGINT NOT NULL,
                call_id TEXT NOT NULL,
                call_ref TEXT NOT NULL,
                at_ms BIGINT NOT NULL,
                cue TEXT NOT NULL,
                verdict TEXT NOT NULL,
                note TEXT NOT NULL DEFAULT '',
                agent TEXT NOT NULL,
                workstation TEXT NOT NULL)""",
            "CREATE INDEX cue_feedback_call ON cue_feedback (call_id)",
        ),
    ),
    Migration(
        4,
        "ids of erased calls and incidents (flags forget): records of them arriving later from a"
        " spool are dropped",
        (
            """CREATE TABLE forgotten (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                ref TEXT NOT NULL DEFAULT '',
                forgotten_at BIGINT NOT NULL)""",
        ),
    ),
)

#: The schema version this code needs.
LATEST = MIGRATIONS[-1].version
