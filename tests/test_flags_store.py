"""Caller flags on both back-ends: created by end_call / call_security / repeated boundary,
bumped per call, heads-up and thresholds at the next call, expiry, clear, forget, CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from test_store_helpers import Clock, cue, final, hard_call, recorder, rows, store_url_fixture  # noqa: F401

from voiceassist.cli import main
from voiceassist.store import Store
from voiceassist.store import records as rec
from voiceassist.store.spool import Spool, read_spool_file, spool_dir_for

CALLER = "+393331234567"


def test_end_call_flags_the_caller_and_the_next_call_gets_a_heads_up(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    r = recorder(store_url, tmp_path, clock)
    assert r.start_call("first", lang="it", agent="dana", caller_id=CALLER) is None
    r.on_event(cue(9000, "end_call", rung=6, severity="urgent"))
    after = r.end_call(10_000)
    assert after.flagged == ("abuse",)
    r.writer.flush()
    clock.advance(86_400)
    heads_up = hard_call(r, caller="+39 333 123 4567", ref="second")  # same caller, other spelling
    r.writer.flush()
    clock.advance(60)
    h = r.start_call("third", lang="it", agent="ola", caller_id=CALLER)
    assert heads_up.flagged == ("abuse",)
    assert h is not None
    say, adjustments = h
    assert say == "caller flagged: abusive, 2 calls"
    assert adjustments == {"threshold_scale": 0.75}
    # The heads-up cue speaks the agent's pack (an Italian agent: "Chiamante già segnalato").
    from voiceassist.escalation.engine import load_engine
    from voiceassist.session.after_call import heads_up_cue

    flag_cue = heads_up_cue(h, load_engine("it").cue_text, at_ms=0)
    assert flag_cue.cue == "caller_flagged" and flag_cue.say == "Chiamante già segnalato"
    assert "abusive, 2 calls" in flag_cue.why
    r.end_call(1000)
    r.close()
    (flag,) = Store.open(store_url).flags(CALLER, at_ms=int(clock() * 1000))
    assert (flag.category, flag.count, flag.last_reason) == ("abuse", 2, "end_call")
    assert flag.expires_at - flag.last_seen == 180 * 86_400_000


def test_strong_policy_after_many_flagged_calls(store_url: str, tmp_path: Path) -> None:
    r = recorder(store_url, tmp_path, Clock(), flag_strong_count=3, flag_strong_scale=0.5)
    for i in range(3):
        hard_call(r, caller=CALLER, top="call_security", category="threat", ref=str(i))
    r.writer.flush()
    h = r.flag_heads_up(CALLER)
    assert h is not None and h.adjustments == {"threshold_scale": 0.5}
    assert h.say == "caller flagged: threatening, 3 calls"
    r.close()


def test_flags_follow_the_after_call_policy(store_url: str, tmp_path: Path) -> None:
    """The store records the after-call decision (rules/policy.toml [after_call]): a warn cue of
    a flag category flags the caller, as the caller_flagged cue says; info cues do not."""
    r = recorder(store_url, tmp_path, Clock())
    r.start_call("mild", lang="en", agent="dana", caller_id="+15550001111")
    r.on_event(cue(1000, "calm_first", rung=1))
    assert r.end_call(2000).flagged == ()
    r.start_call("boundary", lang="en", agent="dana", caller_id="+15550002222")
    r.on_event(cue(1000, "state_boundary", "sexism", rung=3, form="aggressive", severity="warn"))
    after = r.end_call(9000)
    assert after.flagged == ("sexism",) and "caller_flagged" in [c.cue for c in after.cues]
    r.start_call("anonymous", lang="en", agent="dana")
    r.on_event(cue(1000, "end_call", rung=6, severity="urgent"))
    assert r.end_call(2000).flagged == ()
    r.close()
    assert rows(store_url, "SELECT caller_id, category, last_reason FROM caller_flags") == [
        ("+15550002222", "sexism", "state_boundary")
    ]


def test_flags_expire_and_restart_their_count(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    r = recorder(store_url, tmp_path, clock, flag_expiry_days=30)
    hard_call(r, caller=CALLER, ref="a")
    hard_call(r, caller=CALLER, ref="b")
    r.writer.flush()
    assert r.flag_heads_up(CALLER) is not None
    clock.advance(31 * 86_400)
    assert r.flag_heads_up(CALLER) is None
    hard_call(r, caller=CALLER, ref="c")
    r.writer.flush()
    h = r.flag_heads_up(CALLER)
    assert h is not None and h.flags[0].count == 1
    r.close()


def test_clear_and_forget(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = recorder(store_url, tmp_path, Clock(), transcripts=True)
    for caller in (CALLER, "+48601234567"):
        r.start_call("c", lang="en", agent="dana", caller_id=caller)
        r.on_event(final(0, 2000, "you will regret this, I know where you live"))
        r.on_event(cue(2000, "call_security", "threat", rung=1, severity="urgent", form="violence"))
        r.on_event(cue(2500, "end_call", rung=6, severity="urgent"))
        r.end_call(5000)
    r.close()
    assert main(["flags", "clear", CALLER, "--db", store_url, "--category", "abuse"]) == 0
    with Store.open(store_url) as store:
        assert {f.category for f in store.flags(CALLER)} == {"threat"}
        assert store.count("calls") == 2
    assert main(["flags", "forget", CALLER, "--db", store_url]) == 2  # needs --yes
    # Something still waiting in a spool (database was down) is erased too.
    spool = Spool(spool_dir_for(tmp_path / "spool", store_url))
    spool.append(
        [
            rec.make(
                "call_start",
                {
                    "id": "sp1",
                    "call_ref": "x",
                    "started_at": 1,
                    "lang": "en",
                    "agent": "a",
                    "caller_id": CALLER,
                    "workstation": "w",
                    "source": "",
                },
            ),
            rec.make(
                "cue",
                {
                    "id": "sp2",
                    "call_id": "sp1",
                    "at_ms": 1,
                    "cue": "end_call",
                    "category": "abuse",
                    "form": "f",
                    "rung": 1,
                    "severity": "warn",
                    "say": "",
                    "script": "",
                    "matched": "[]",
                    "rule": "",
                    "utterance": 0,
                    "speaker": "caller",
                    "why": "",
                },
            ),
        ]
    )
    spool.close()
    capsys.readouterr()
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path))  # the CLI's spool dir: <data>/spool
    assert main(["flags", "forget", CALLER, "--yes", "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert f"{CALLER}: erased" in out and "2 spooled record(s)" in out
    with Store.open(store_url) as store:
        assert store.caller_trace_count(CALLER) == 0
        assert store.count("calls") == 1
        assert store.flags("+48601234567")
        assert store.count("incidents") == 1 and store.count("transcripts") == 1
    assert all(
        CALLER not in r.to_json() for p in (tmp_path / "spool").glob("*/*.jsonl") for r in read_spool_file(p)
    )


def test_export_csv(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = recorder(store_url, tmp_path, Clock())
    hard_call(r, caller=CALLER, ref="a")
    hard_call(r, caller="crm:42", top="call_security", category="threat", ref="b")
    r.close()
    capsys.readouterr()
    assert main(["flags", "export", "--csv", "--db", store_url, "--all"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(t["caller_id"], t["category"], t["count"]) for t in table} == {
        (CALLER, "abuse", "1"),
        ("crm:42", "threat", "1"),
    }
    assert all(t["expires_at"].endswith("Z") for t in table)
