"""Shared fixtures and builders for the store tests (test_store_*, test_flags_*, test_incidents_*).

The PostgreSQL half needs ``VOICEASSIST_TEST_PG_URL`` (``source scripts/pg_ci.sh`` exports it).
When it is missing the PostgreSQL tests FAIL, they never skip: CI must run them.
Each test gets its own PostgreSQL schema (``search_path``), dropped afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from voiceassist.escalation.engine import load_engine
from voiceassist.events import CallEnded, Cue, Transcript
from voiceassist.session.after_call import AfterCallPolicy, decide_after_call
from voiceassist.store import CallRecorder, Store, StoreConfig
from voiceassist.store.writer import Writer

PG_ENV = "VOICEASSIST_TEST_PG_URL"
PG_CTL_ENV = "VOICEASSIST_TEST_PG_CTL"
T0 = float(int(time.time()))  # the fake clock starts now (CLI commands read the real clock)


def pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.fail(f"{PG_ENV} is not set: start the test server with `source scripts/pg_ci.sh`")
    return url


def pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _pg_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@pytest.fixture(name="pg_url")
def pg_url_fixture() -> Iterator[str]:
    base = pg_base_url()
    schema = "t_" + uuid.uuid4().hex[:12]
    _pg_admin(base, f"CREATE SCHEMA {schema}")
    try:
        yield pg_schema_url(base, schema)
    finally:
        _pg_admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(name="store_url", params=["sqlite", "postgresql"])
def store_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against SQLite and PostgreSQL (schema already upgraded)."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'store.db'}"
        Store.open(url).close()
        yield url
    else:
        base = pg_base_url()
        schema = "t_" + uuid.uuid4().hex[:12]
        _pg_admin(base, f"CREATE SCHEMA {schema}")
        url = pg_schema_url(base, schema)
        with Store.open(url, upgrade="none") as store:
            store.upgrade()
        try:
            yield url
        finally:
            _pg_admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class Clock:
    """A wall clock the test moves by hand (epoch seconds)."""

    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def config(url: str, tmp_path: Path, **changes: Any) -> StoreConfig:
    changes.setdefault("read_deadline_ms", 10_000)  # loaded CI machines; the fault tests set a short one
    return StoreConfig(url=url, spool_dir=tmp_path / "spool", retry_s=0.1, **changes)


def recorder(url: str, tmp_path: Path, clock: Clock | None = None, **changes: Any) -> CallRecorder:
    cfg = config(url, tmp_path, **changes)
    writer = Writer(
        cfg.effective_url,
        cfg.effective_spool_dir,
        queue_max=cfg.queue_max,
        batch_max=cfg.batch_max,
        retry_s=cfg.retry_s,
    ).start()
    return DecidingRecorder(cfg, writer, clock=clock or Clock(), workstation="ws-test")


class DecidingRecorder(CallRecorder):
    """The recorder as the call assembly drives it: the call's cues go to the after-call
    decision (shipped policy, English pack texts, the recorder's recent hard calls) and the
    store records its result. ``end_call(decision=...)`` still takes an explicit one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: list[Cue] = []
        self._agent = "agent"

    def start_call(self, call_id: str, **kwargs: Any) -> Any:
        self._seen = []
        self._agent = kwargs.get("agent") or "agent"
        return super().start_call(call_id, **kwargs)

    def on_event(self, event: Any) -> None:
        if isinstance(event, Cue):
            self._seen.append(event)
        if isinstance(event, CallEnded):
            self.end_call(event.at_ms, reason=event.reason)
            return
        super().on_event(event)

    def end_call(self, at_ms: int, reason: str = "eof", decision: Any | None = None) -> Any:
        if decision is None and self.call_uid is not None:
            engine = load_engine("en")
            decision = decide_after_call(self._seen, AfterCallPolicy.from_policy(engine.policy, {
                "wellbeing.break_after_hard_calls": self.config.break_after_hard_calls,
                "wellbeing.break_window_min": self.config.break_window_min,
                "wellbeing.break_minutes": self.config.break_minutes}),
                engine.cue_text, at_ms=at_ms, hard_calls_before=self.recent_hard_calls(self._agent))
        return super().end_call(at_ms, reason, decision=decision)


def cue(
    at_ms: int,
    name: str = "calm_first",
    category: str = "abuse",
    *,
    rung: int = 1,
    severity: str = "info",
    form: str = "insult",
    matched: tuple[str, ...] = ("idiot",),
    say: str = "Stay calm",
) -> Cue:
    return Cue(
        at_ms=at_ms,
        cue=name,
        category=category,
        form=form,
        rung=rung,
        severity=severity,  # type: ignore[arg-type]
        say=say,
        script="A sentence for the agent.",
        matched=matched,
        rule="abuse.toml:3",
    )


def final(start_ms: int, end_ms: int, text: str, speaker: str = "caller", utterance: int = 0) -> Transcript:
    return Transcript(
        speaker=speaker,
        kind="final",
        text=text,
        start_ms=start_ms,
        end_ms=end_ms,  # type: ignore[arg-type]
        utterance=utterance,
    )


def hard_call(
    rec: CallRecorder,
    caller: str | None = "+393331234567",
    *,
    top: str = "end_call",
    category: str = "abuse",
    ref: str = "c",
) -> Any:
    """Start, escalate to ``top`` and end a call; returns the AfterCall."""
    rec.start_call(ref, lang="en", agent="dana", caller_id=caller)
    rec.on_event(cue(1000, "calm_first", category))
    rec.on_event(cue(5000, "state_boundary", category, rung=3, severity="warn"))
    rec.on_event(cue(9000, top, category, rung=6, severity="urgent"))
    return rec.end_call(12_000, reason="hangup")


def rows(url: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with Store.open(url, upgrade="none") as store:
        return store.conn.query(sql, params or [])
