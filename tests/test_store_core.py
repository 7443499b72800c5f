"""The call store against SQLite and PostgreSQL: schema, call records, idempotency, transcripts,
alerts, wellbeing, input checks. Each test runs on both back-ends (``store_url``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_store_helpers import Clock, cue, final, hard_call, pg_url_fixture, recorder, rows, store_url_fixture  # noqa: F401

from voiceassist.errors import ExitCode, StoreError, UsageError
from voiceassist.events import CallEnded, CallStarted
from voiceassist.store import RecordRejected, Store
from voiceassist.store import records as rec
from voiceassist.store.schema import LATEST
from voiceassist.store.validate import normalize_caller_id


def test_schema_upgrades_step_by_step_and_keeps_data(pg_url: str, tmp_path: Path) -> None:
    for url in (f"sqlite://{tmp_path / 'old.db'}", pg_url):
        with Store.open(url, upgrade="none") as store:
            assert store.schema_version() == 0
            with pytest.raises(StoreError, match="db upgrade"):
                store.check_schema()
            assert store.upgrade(1) == [1]
            store.apply(
                [
                    rec.make(
                        "break",
                        {
                            "id": "b1",
                            "agent": "dana",
                            "at": 1,
                            "kind": "taken",
                            "minutes": 5,
                            "hard_calls": 0,
                        },
                    )
                ]
            )
            assert store.upgrade() == list(range(2, LATEST + 1))
            assert store.upgrade() == []
            assert store.schema_version() == LATEST
            assert store.count("agent_breaks") == 1
            store.conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [LATEST + 1, "future", 0])
        with pytest.raises(StoreError, match="newer"):
            Store.open(url, upgrade="check")


def test_postgres_store_is_not_migrated_behind_it_back(pg_url: str) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(pg_url)
    assert err.value.code == ExitCode.STORE and "db upgrade" in str(err.value)


def test_a_call_is_recorded_with_summary_and_cue_events(store_url: str, tmp_path: Path) -> None:
    r = recorder(store_url, tmp_path)
    r.on_event(CallStarted(call_id="call-1", lang="it", source="x.wav"))
    r.on_event(cue(1000, "calm_first"))
    r.on_event(cue(4000, "state_boundary", rung=3, severity="warn", matched=("stronzo", "idiota")))
    r.on_event(CallEnded(call_id="call-1", at_ms=20_000, reason="hangup"))
    r.close()
    (call,) = rows(
        store_url,
        "SELECT call_ref, lang, duration_ms, end_reason, highest_rung, highest_cue,"
        " cue_count, hard, cue_counts, source FROM calls",
    )
    assert call[:8] == ("call-1", "it", 20_000, "hangup", 3, "state_boundary", 2, 1)
    assert json.loads(call[8]) == {"calm_first": 1, "state_boundary": 1}
    cues = rows(store_url, "SELECT at_ms, cue, matched FROM cue_events ORDER BY at_ms")
    assert [(c[0], c[1]) for c in cues] == [(1000, "calm_first"), (4000, "state_boundary")]
    assert json.loads(cues[1][2]) == ["stronzo", "idiota"]


def test_agent_coaching_cues_stay_private_to_the_agent(store_url: str, tmp_path: Path) -> None:
    """Coaching is about the agent's own habits (issue 8: "keep it private to the agent"): the
    shared store never holds the agent's coaching cues, nor counts them in the call record."""
    r = recorder(store_url, tmp_path)
    r.on_event(CallStarted(call_id="call-1", lang="en", source="x.wav"))
    r.on_event(cue(1000, "calm_first", category="anger"))
    r.on_event(cue(3000, "explain_why", category="coaching", rung=2, form="rulebook",
                   matched=("it's our policy",)))
    r.on_event(CallEnded(call_id="call-1", at_ms=10_000, reason="hangup"))
    r.close()
    (call,) = rows(store_url, "SELECT highest_cue, cue_count, cue_counts FROM calls")
    assert call[:2] == ("calm_first", 1)
    assert json.loads(call[2]) == {"calm_first": 1}
    assert [c[0] for c in rows(store_url, "SELECT cue FROM cue_events")] == ["calm_first"]


def test_writing_the_same_records_twice_changes_nothing(store_url: str) -> None:
    batch = [
        rec.make(
            "call_start",
            {
                "id": "k1",
                "call_ref": "r",
                "started_at": 1,
                "lang": "en",
                "agent": "a",
                "caller_id": "+391234567",
                "workstation": "w",
                "source": "",
            },
        ),
        rec.make(
            "flag_hit",
            {
                "id": "h1",
                "call_id": "k1",
                "caller_id": "+391234567",
                "category": "abuse",
                "reason": "end_call",
                "seen_at": 10,
                "expiry_days": 180,
            },
        ),
        rec.make(
            "alert",
            {
                "id": "a1",
                "created_at": 1,
                "call_id": "k1",
                "at_ms": 5,
                "kind": "cue",
                "cue": "end_call",
                "category": "abuse",
                "severity": "urgent",
                "agent": "a",
                "workstation": "w",
                "caller_id": None,
                "message": "m",
            },
        ),
    ]
    with Store.open(store_url) as store:
        store.apply(batch)
        store.apply(batch)
        store.apply(list(reversed(batch)))
        assert (store.count("calls"), store.count("flag_hits"), store.count("alerts")) == (1, 1, 1)
        (flag,) = store.flags("+391234567", at_ms=11)
        assert flag.count == 1


def test_transcripts_are_stored_only_when_configured_and_redacted(store_url: str, tmp_path: Path) -> None:
    said = "my card is 4111 1111 1111 1111 and mail me at ann@example.com you idiot"
    r = recorder(store_url, tmp_path)
    r.start_call("off", lang="en", agent="dana")
    r.on_event(final(0, 3000, said))
    r.end_call(4000)
    r.close()
    assert rows(store_url, "SELECT COUNT(*) FROM transcripts") == [(0,)]
    r = recorder(store_url, tmp_path, transcripts=True)
    r.start_call("on", lang="en", agent="dana")
    r.on_event(final(0, 3000, said, utterance=0))
    r.on_event(final(3500, 4000, "hello", speaker="agent", utterance=0))
    r.end_call(5000)
    r.close()
    texts = [t[0] for t in rows(store_url, "SELECT text FROM transcripts ORDER BY start_ms")]
    assert texts == ["my card is [number] and mail me at [email] you idiot", "hello"]
    assert "4111" not in json.dumps(texts)


def test_urgent_cues_and_end_call_raise_supervisor_alerts(store_url: str, tmp_path: Path) -> None:
    from voiceassist.commands.supervise import render

    clock = Clock()
    r = recorder(store_url, tmp_path, clock)
    r.start_call("c1", lang="en", agent="dana", caller_id="+48 601 234 567")
    r.on_event(cue(1000, "state_boundary", rung=3, severity="warn"))
    r.on_event(cue(2000, "call_security", "threat", rung=1, severity="urgent", form="violence"))
    r.on_event(cue(2500, "call_security", "threat", rung=1, severity="urgent", form="violence"))
    r.on_event(cue(9000, "end_call", rung=6, severity="warn"))
    r.end_call(10_000)
    r.close()
    alerts = rows(store_url, "SELECT cue, severity, caller_id, workstation FROM alerts ORDER BY at_ms")
    assert alerts == [
        ("call_security", "urgent", "+48601234567", "ws-test"),
        ("end_call", "warn", "+48601234567", "ws-test"),
    ]
    with Store.open(store_url) as store:
        screen = render(store, minutes=60, limit=10, now=int(clock() * 1000) + 5000)
    assert "call_security" in screen and "end_call" in screen and "+48601234567" in screen
    assert "2 alert(s)" in screen


def test_take_a_breath_after_a_hard_call_and_a_break_after_three(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    r = recorder(store_url, tmp_path, clock)
    r.start_call("easy", lang="en", agent="dana")
    r.on_event(cue(1000, "calm_first"))
    easy = r.end_call(5000)
    assert not easy.hard and easy.cues == ()
    results = []
    for i in range(4):
        clock.advance(600)  # ten minutes apart
        results.append(hard_call(r, caller=None, top="state_boundary", ref=f"h{i}"))
    assert [a.cues[-1].cue for a in results] == ["take_a_breath"] * 4
    assert [a.suggest_break for a in results] == [False, False, True, False]
    assert results[2].hard_calls_in_window == 3 and results[2].cues[-1].form == "break"
    assert "3 hard calls" in results[2].cues[-1].why and results[2].cues[-1].say == "Take a breath"
    assert results[0].cues[-1].category == "wellbeing"
    r.close()
    # A new session (another process) sees the earlier calls in the store.
    clock.advance(600)
    r2 = recorder(store_url, tmp_path, clock)
    more = [hard_call(r2, caller=None, ref=f"n{i}") for i in range(2)]
    assert [a.suggest_break for a in more] == [False, True]
    # An hour later the old calls no longer count.
    clock.advance(3 * 3600)
    assert hard_call(r2, caller=None, ref="late").hard_calls_in_window == 1
    r2.close()
    kinds = rows(store_url, "SELECT kind, hard_calls FROM agent_breaks ORDER BY at")
    assert kinds == [("suggested", 3), ("suggested", 3)]


def test_a_break_taken_resets_the_count(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    r = recorder(store_url, tmp_path, clock, break_after_hard_calls=2)
    hard_call(r, caller=None, ref="a")
    clock.advance(60)
    r.record_break("dana", 5)
    clock.advance(60)
    assert not hard_call(r, caller=None, ref="b").suggest_break
    clock.advance(60)
    assert hard_call(r, caller=None, ref="c").suggest_break
    r.close()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "+39",
        "+39 abc 123",
        "+1234567890123456",
        "hello world",
        "x" * 65,
        "'; DROP TABLE calls; --",
        "caller\x00id",
        "-leading-dash",
        "ñandú",
    ],
)
def test_malformed_caller_ids_are_rejected(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        normalize_caller_id(bad)
    assert err.value.code == ExitCode.USAGE and "caller id" in err.value.message


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("+39 333-123 4567", "+393331234567"),
        ("+1 (555) 010.9999", "+15550109999"),
        ("crm:48213", "crm:48213"),
        ("4711", "4711"),
    ],
)
def test_caller_ids_are_normalised(raw: str, canonical: str) -> None:
    assert normalize_caller_id(raw) == canonical


def test_oversized_fields_are_rejected_and_the_call_goes_on(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(RecordRejected) as err:
        rec.make("cue", {"id": "x", "say": "w" * 201})
    assert err.value.code == ExitCode.STORE and "limit is 200" in err.value.message
    r = recorder(store_url, tmp_path)
    with pytest.raises(UsageError):
        r.start_call("c", lang="en", agent="dana", caller_id="not a caller id")
    with pytest.raises(RecordRejected, match="agent"):
        r.start_call("c", lang="en", agent="a" * 101)
    r.start_call("c", lang="en", agent="dana")
    r.on_event(cue(1000, "calm_first", say="x" * 5000))  # never raises into the pipeline
    r.on_event(final(0, 1000, "y" * 30_000))
    r.on_event(cue(2000, "calm_first"))
    r.end_call(3000)
    r.close()
    assert r.rejected == 2
    assert rows(store_url, "SELECT at_ms FROM cue_events") == [(2000,)]


def test_a_new_sqlite_store_opened_by_several_connections_at_once_is_never_locked(tmp_path: Path) -> None:
    """The recorder's writer thread and its flag reader open a fresh database at the same moment
    (first call on a new workstation); switching it to WAL must wait for the other, not fail with
    'database is locked' and send the first call's records to the spool."""
    import threading

    for attempt in range(15):
        url = f"sqlite://{tmp_path / f'fresh{attempt}.db'}"
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def open_it(url: str = url, errors: list[BaseException] = errors,
                    start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with Store.open(url) as store:
                    store.schema_version()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], f"attempt {attempt}: {errors[0]}"
        with Store.open(url) as store:
            assert store.schema_version() == LATEST


def test_highest_cue_is_the_most_severe_not_the_highest_rung(store_url: str, tmp_path: Path) -> None:
    """Issue 13 item 16: rungs of different ladders are not comparable; an urgent call_security
    (rung 1 of the threat ladder) outranks an info cue on rung 2 of the anger ladder."""
    r = recorder(store_url, tmp_path)
    r.on_event(CallStarted(call_id="call-1", lang="en", source="x.wav"))
    r.on_event(cue(1000, "call_security", category="threat", rung=1, severity="urgent"))
    r.on_event(cue(9000, "acknowledge", category="anger", rung=2, severity="info"))
    r.on_event(CallEnded(call_id="call-1", at_ms=20_000, reason="hangup"))
    r.close()
    (call,) = rows(store_url, "SELECT highest_cue, highest_rung FROM calls")
    assert call == ("call_security", 1)
