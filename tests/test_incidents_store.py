"""Threat incidents on both back-ends: trigger words, +-30 s of transcript in call time, call
metadata, completion, the optional audio clip, and the JSON / HTML reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_store_helpers import Clock, cue, final, recorder, rows, store_url_fixture  # noqa: F401

from voiceassist.cli import main
from voiceassist.errors import ExitCode
from voiceassist.store import Store


def _threat_call(r: object, *, with_end: bool = True) -> None:
    from voiceassist.store import CallRecorder

    assert isinstance(r, CallRecorder)
    r.start_call("threat-1", lang="en", agent="dana", caller_id="+393331234567")
    r.on_event(final(5_000, 8_000, "this is too early to matter"))  # ends 52 s before
    r.on_event(final(40_000, 44_000, "I want my refund today"))  # inside -30 s
    r.on_event(final(44_500, 46_000, "I understand, let me check", speaker="agent"))
    r.on_event(final(58_000, 60_000, "I will kill you, I know where you live"))
    r.on_event(
        cue(
            59_500,
            "call_security",
            "threat",
            rung=1,
            severity="urgent",
            form="violence",
            matched=("kill", "you"),
        )
    )
    r.on_event(final(61_000, 63_000, "please stay calm", speaker="agent"))
    r.on_event(final(85_000, 89_000, "you heard me"))  # inside +30 s
    r.on_event(final(95_000, 97_000, "after the window"))  # starts after +30 s
    if with_end:
        r.end_call(100_000, reason="hangup")


def test_a_threat_opens_an_incident_with_the_surrounding_transcript(store_url: str, tmp_path: Path) -> None:
    r = recorder(store_url, tmp_path, Clock())
    _threat_call(r, with_end=False)
    r.writer.flush()
    # Completed as soon as the transcript passed +30 s, before the call ends.
    assert rows(store_url, "SELECT status FROM incidents") == [("complete",)]
    r.end_call(100_000, reason="hangup")
    r.close()
    with Store.open(store_url) as store:
        (listed,) = store.incidents()
        inc = store.incident(listed["id"][:6])
    assert (inc["category"], inc["form"], inc["cue"], inc["at_ms"]) == (
        "threat",
        "violence",
        "call_security",
        59_500,
    )
    assert inc["triggers"][0]["words"] == ["kill", "you"]
    texts = [s["text"] for s in inc["transcript"]]
    assert texts == [
        "I want my refund today",
        "I understand, let me check",
        "I will kill you, I know where you live",
        "please stay calm",
        "you heard me",
    ]
    assert (inc["window_start_ms"], inc["window_end_ms"]) == (29_500, 89_500)
    assert inc["caller_id"] == "+393331234567" and inc["agent"] == "dana"
    assert inc["call"]["duration_ms"] == 100_000 and inc["call"]["end_reason"] == "hangup"
    assert inc["audio_clip"] is None


def test_a_second_threat_extends_the_same_incident(store_url: str, tmp_path: Path) -> None:
    r = recorder(store_url, tmp_path, Clock())
    r.start_call("c", lang="pl", agent="ola")
    r.on_event(cue(10_000, "report_threat", "threat", form="violence", matched=("zabiję",)))
    r.on_event(cue(30_000, "legal_threat", "threat", form="legal", matched=("pozew",)))
    r.on_event(final(55_000, 56_000, "still inside the extended window"))
    r.on_event(final(70_000, 71_000, "after it"))
    r.end_call(80_000)
    r.close()
    (inc,) = rows(store_url, "SELECT triggers, transcript, window_end_ms FROM incidents")
    assert [t["words"] for t in json.loads(inc[0])] == [["zabiję"], ["pozew"]]
    assert [s["text"] for s in json.loads(inc[1])] == ["still inside the extended window"]
    assert inc[2] == 60_000


def test_the_call_end_completes_an_open_incident_and_no_threat_no_incident(
    store_url: str, tmp_path: Path
) -> None:
    r = recorder(store_url, tmp_path, Clock())
    r.start_call("calm", lang="en", agent="dana")
    r.on_event(cue(1_000, "state_boundary", rung=3))
    r.end_call(5_000)
    r.start_call("short", lang="en", agent="dana")
    r.on_event(cue(1_000, "report_threat", "threat", form="violence"))
    after = r.end_call(3_000)
    r.close()
    assert len(after.incidents) == 1
    assert rows(store_url, "SELECT status FROM incidents") == [("complete",)]


def test_audio_clip_only_when_the_call_is_recorded(store_url: str, tmp_path: Path) -> None:
    wav = tmp_path / "call.wav"
    rate = 16000
    t = np.arange(rate * 100) / rate
    sf.write(wav, (0.1 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16), rate, subtype="PCM_16")
    r = recorder(store_url, tmp_path, Clock())
    r.start_call("rec", lang="en", agent="dana", recording_path=wav)
    r.on_event(cue(50_000, "call_security", "threat", form="violence"))
    r.end_call(100_000)
    r.close()
    (clip,) = rows(store_url, "SELECT audio_clip FROM incidents")[0]
    info = sf.info(clip)
    assert info.frames == 60 * rate  # 20 s .. 80 s of the call
    assert Path(clip).stat().st_mode & 0o077 == 0


def test_reports_for_the_legal_team(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = recorder(store_url, tmp_path, Clock())
    _threat_call(r)
    r.close()
    with Store.open(store_url) as store:
        ident = store.incidents()[0]["id"]
    capsys.readouterr()
    assert main(["incidents", "list", "--db", store_url]) == 0
    listing = capsys.readouterr().out
    assert ident[:8] in listing and "threat/violence" in listing and "kill, you" in listing
    assert main(["incidents", "show", ident[:8], "--db", store_url]) == 0
    assert "I will kill you" in capsys.readouterr().out
    out = tmp_path / "report.html"
    assert (
        main(["incidents", "export", ident[:8], "--format", "html", "-o", str(out), "--db", store_url]) == 0
    )
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_mode & 0o777 == 0o600, "an incident export holds caller data: owner only"
    assert "<mark>kill</mark>" in page and "+393331234567" in page and "00:59.5" in page
    assert not re.search(r"(src|href)=\"(https?:|//)", page) and "<script" not in page
    capsys.readouterr()
    assert main(["incidents", "export", ident[:8], "--format", "json", "--db", store_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == ident and data["call"]["caller_id"] == "+393331234567"
    assert main(["incidents", "show", "ffff0000", "--db", store_url]) == ExitCode.USAGE
