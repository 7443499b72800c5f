"""`flags forget` erases every trace of a caller (issue 13 item 9), on both back-ends: records
of the caller's calls still in a spool (they carry only the call id) never come back on `db
replay`, incident clips and call logs on this machine are removed, a second forget says nothing
is left, and the erased rows are not readable from the database files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_store_helpers import store_url_fixture  # noqa: F401

from voiceassist.cli import main
from voiceassist.store import Store
from voiceassist.store import records as rec
from voiceassist.store.spool import Spool, spool_dir_for

CALLER = "+393331234567"
OTHER = "+48601234567"


def _call(uid: str, caller: str, ref: str) -> rec.Record:
    return rec.make("call_start", {"id": uid, "call_ref": ref, "started_at": 1_000, "lang": "en",
                                   "agent": "dana", "caller_id": caller, "workstation": "ws",
                                   "source": ""})


def _cue(uid: str, call: str) -> rec.Record:
    return rec.make("cue", {"id": uid, "call_id": call, "at_ms": 1, "cue": "end_call", "category": "abuse",
                            "form": "insult", "rung": 6, "severity": "urgent", "say": "", "script": "",
                            "matched": "[]", "rule": "", "utterance": 0, "speaker": "caller", "why": ""})


def _text(uid: str, call: str, text: str) -> rec.Record:
    return rec.make("transcript", {"id": uid, "call_id": call, "speaker": "caller", "utterance": 0,
                                   "start_ms": 0, "end_ms": 900, "text": text})


def _incident(uid: str, call: str, caller: str) -> rec.Record:
    return rec.make("incident_open", {
        "id": uid, "call_id": call, "opened_at": 1_000, "at_ms": 1, "window_start_ms": 0,
        "window_end_ms": 9, "caller_id": caller, "agent": "dana", "lang": "en", "workstation": "ws",
        "category": "threat", "form": "violence", "cue": "call_security", "triggers": "[]",
        "transcript": "[]", "status": "open"})


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path))  # spool <data>/spool, logs <data>/calls
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def _spool(data: Path, url: str, records: list[rec.Record], *, keep_open: bool = False) -> Spool:
    spool = Spool(spool_dir_for(data / "spool", url))
    spool.append(records)
    if not keep_open:
        spool.close()
    return spool


def _count(url: str, sql: str, params: list[Any]) -> int:
    with Store.open(url, upgrade="none") as store:
        return int(store.conn.query(sql, params)[0][0])


def test_spooled_records_of_a_forgotten_call_never_come_back(
    store_url: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The call reached the store, its cue and transcript were spooled (database down mid-call):
    they name only the call id. Before the fix they came back on `db replay`."""
    with Store.open(store_url) as store:
        store.apply([_call("c1", CALLER, "20250101-1"), _call("c2", OTHER, "20250101-2")])
    _spool(data_dir, store_url, [_cue("q1", "c1"), _text("t1", "c1", "I know where you live"),
                                 _cue("q2", "c2")])
    # A running process holds this spool file: forget cannot rewrite it.
    live = _spool(data_dir, store_url, [_text("t2", "c1", "you will regret this")], keep_open=True)
    assert main(["flags", "forget", CALLER, "--yes", "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "2 spooled record(s)" in out and "1 spooled record(s) of" in out and "held by running" in out
    live.close()  # the process ends, its spool is orphaned
    assert main(["db", "replay", "--db", store_url]) == 0
    assert _count(store_url, "SELECT COUNT(*) FROM cue_events WHERE call_id = ?", ["c1"]) == 0
    assert _count(store_url, "SELECT COUNT(*) FROM transcripts WHERE call_id = ?", ["c1"]) == 0
    assert _count(store_url, "SELECT COUNT(*) FROM cue_events WHERE call_id = ?", ["c2"]) == 1
    # A late record of the erased call (another workstation's spool) is dropped on arrival.
    with Store.open(store_url) as store:
        store.apply([_call("c1", CALLER, "20250101-1"), _cue("q9", "c1")])
        assert store.count("calls") == 1 and store.caller_trace_count(CALLER, ["c1"]) == 0


def test_a_second_forget_says_nothing_is_left(
    store_url: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(store_url) as store:
        store.apply([_call("c1", CALLER, "r1"), _cue("q1", "c1")])
    assert main(["flags", "forget", CALLER, "--yes", "--db", store_url]) == 0
    first = capsys.readouterr().out
    assert "erased 2 store row(s) (cue_events 1, calls 1)" in first and "nothing is left" in first
    assert main(["flags", "forget", CALLER, "--yes", "--db", store_url]) == 0
    second = capsys.readouterr().out
    assert "erased 0" not in second
    assert f"{CALLER}: nothing to erase" in second and "nothing is left" in second


def test_incident_clips_and_call_logs_are_erased(
    store_url: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clips = data_dir / "incidents"
    clips.mkdir()
    logs = data_dir / "calls"
    logs.mkdir()
    for name in ("i1", "i2"):
        (clips / f"{name}.wav").write_bytes(b"RIFF")
    for ref in ("r1", "r2", "r3"):
        (logs / f"{ref}.jsonl").write_text('{"type":"transcript","text":"my number is 3331234567"}\n')
    with Store.open(store_url) as store:
        store.apply([_call("c1", CALLER, "r1"), _incident("i1", "c1", CALLER),
                     rec.make("incident_clip", {"id": "i1", "audio_clip": str(clips / "i1.wav")}),
                     _call("c2", OTHER, "r2"), _incident("i2", "c2", OTHER)])
    # A whole call still in the spool (the store never saw it): its log goes too.
    _spool(data_dir, store_url, [_call("c3", CALLER, "r3"), _cue("q3", "c3")])
    assert main(["flags", "forget", CALLER, "--yes", "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "1 incident audio clip(s)" in out and "2 call log(s)" in out
    assert sorted(p.name for p in clips.iterdir()) == ["i2.wav"]
    assert sorted(p.name for p in logs.iterdir()) == ["r2.jsonl"]
    assert main(["db", "replay", "--db", store_url]) == 0
    assert _count(store_url, "SELECT COUNT(*) FROM calls WHERE caller_id = ?", [CALLER]) == 0


def test_erased_rows_are_not_readable_from_the_database_files(
    store_url: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite: the freed pages are zeroed and the WAL truncated (Debian's SQLite zeroes them by a
    build option, so this half held before the fix here; forget now asks for it on any build).
    PostgreSQL: forget vacuums the tables it touched (the dead tuples go; failed before)."""
    secret = "+391112223334"
    with Store.open(store_url) as store:
        store.apply([_call(f"c{i}", secret, f"r{i}") for i in range(50)]
                    + [_text(f"t{i}", f"c{i}", f"call me back on {secret}") for i in range(50)]
                    + [_call("keep", OTHER, "rk")])
    assert main(["flags", "forget", secret, "--yes", "--db", store_url]) == 0
    if store_url.startswith("sqlite://"):
        db = Path(store_url[len("sqlite://"):])
        for path in (db, db.with_name(db.name + "-wal")):
            if path.exists():
                assert secret.encode() not in path.read_bytes(), path
    else:
        with Store.open(store_url, upgrade="none") as store:
            rows = store.conn.query("SELECT relname FROM pg_stat_user_tables WHERE relname IN"
                                    " ('calls', 'transcripts') AND schemaname = current_schema()"
                                    " AND last_vacuum IS NOT NULL")
        assert sorted(r[0] for r in rows) == ["calls", "transcripts"]
