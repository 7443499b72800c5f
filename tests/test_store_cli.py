"""The store's commands end to end (SQLite and PostgreSQL): db upgrade/status, supervise --once,
shift, and the exit codes of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_store_helpers import Clock, hard_call, pg_url_fixture, recorder  # noqa: F401

from voiceassist.cli import main
from voiceassist.errors import ExitCode
from voiceassist.store.schema import LATEST


def test_db_upgrade_and_status(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for url in (f"sqlite://{tmp_path / 'a.db'}", pg_url):
        assert main(["db", "status", "--db", url]) == ExitCode.CHECK_FAILED  # schema missing
        assert "pending " + ", ".join(str(v) for v in range(1, LATEST + 1)) in capsys.readouterr().out
        assert main(["db", "upgrade", "--db", url]) == 0
        assert f"schema 0 -> {LATEST}" in capsys.readouterr().out
        assert main(["db", "upgrade", "--db", url]) == 0
        assert f"already at version {LATEST}" in capsys.readouterr().out
        assert main(["db", "status", "--db", url, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["version"] == LATEST and status["pending"] == [] and status["rows"]["calls"] == 0


def test_supervise_once_and_shift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite://{tmp_path / 's.db'}"
    r = recorder(url, tmp_path, Clock())
    for i in range(3):
        hard_call(r, caller="+393331234567", ref=f"c{i}")
    r.close()
    capsys.readouterr()
    assert main(["supervise", "--once", "--db", url]) == 0
    screen = capsys.readouterr().out
    assert screen.count("end_call") == 3 and "URGENT" in screen and "ws-test" in screen
    assert main(["shift", "break", "--minutes", "10", "--agent", "dana", "--db", url]) == 0
    assert main(["shift", "--agent", "dana", "--db", url, "--json"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{") :])
    assert (summary["calls"], summary["hard_calls"]) == (3, 3)
    assert (summary["breaks_suggested"], summary["breaks_taken"], summary["break_minutes_taken"]) == (
        1,
        1,
        10,
    )
    assert summary["cues_by_category"] == {"abuse": 9}
    assert main(["shift", "--agent", "dana", "--db", url]) == 0
    assert "hard calls     3" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["flags", "show", "+12ab"], ExitCode.USAGE, "malformed caller id"),
        (["flags", "forget", "x" * 80, "--yes"], ExitCode.USAGE, "limit is 64"),
        (["flags", "list", "--db", "mysql://x"], ExitCode.STORE, "unsupported store URL"),
        (["flags", "list", "--db", "postgresql://nobody@127.0.0.1:9/none"], ExitCode.STORE, "cannot connect"),
        (["shift", "--agent", "a" * 101], ExitCode.STORE, "limit is 100"),
        (["incidents", "show", "zz"], ExitCode.USAGE, "hex"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code(
    argv: list[str],
    code: int,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path))
    assert main(argv) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["flags", "export", "--csv", "-o", "{dir}"],  # a folder, not a file
        ["flags", "export", "--csv", "-o", "{blocked}/flags.csv"],  # parent is a file
        ["incidents", "export", "{incident}", "--format", "json", "-o", "{dir}"],
        ["incidents", "export", "{incident}", "--format", "html", "-o", "{blocked}/report.html"],
    ],
)
def test_an_unwritable_output_file_is_a_clear_error(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_store_helpers import cue, final

    url = f"sqlite://{tmp_path / 'o.db'}"
    r = recorder(url, tmp_path, Clock())
    r.start_call("t", lang="en", agent="dana", caller_id="+393331234567")
    r.on_event(final(1_000, 2_000, "I will hurt you"))
    r.on_event(cue(1_500, "call_security", "threat", severity="urgent", form="violence"))
    r.end_call(3_000)
    r.close()
    assert main(["incidents", "list", "--json", "--db", url]) == 0
    incident = json.loads(capsys.readouterr().out)[0]["id"]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file")
    args = [a.format(dir=tmp_path, blocked=blocked, incident=incident) for a in argv]
    assert main([*args, "--db", url]) == ExitCode.FILE_NOT_FOUND
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["incidents", "list", "--limit", "0"], "--limit"),
        (["supervise", "--once", "--minutes", "-1"], "--minutes"),
        (["supervise", "--once", "--limit", "-5"], "--limit"),
    ],
)
def test_nonsense_counts_are_refused(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--db", f"sqlite://{tmp_path / 'n.db'}"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["flags", "list"], ["flags", "show", "+393331234567"], ["incidents", "list"], ["supervise", "--once"],
     ["shift"]],
)
def test_reading_a_store_that_does_not_exist_creates_nothing(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db path is an error that names it, not an empty database made on the spot."""
    target = tmp_path / "no" / "such" / "dir" / "calls.db"
    assert main([*argv, "--db", f"sqlite://{target}"]) == ExitCode.STORE
    err = capsys.readouterr().err
    assert "no store at" in err and str(target) in err
    assert not (tmp_path / "no").exists()


def test_live_supervise_view_survives_the_database_going_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team lead's screen says the database is unreachable and keeps retrying (a PostgreSQL
    restart), instead of ending the view; Ctrl-C still ends it, with exit 130 (issue 13 item 15)."""
    from voiceassist.commands import supervise
    from voiceassist.store.backend import StoreUnavailable

    url = f"sqlite://{tmp_path / 'v.db'}"
    r = recorder(url, tmp_path, Clock())
    hard_call(r, caller="+393331234567", ref="c0")
    r.close()
    real_render = supervise.render
    script = iter(["down", "ok", "stop"])

    def render(store: object, minutes: int, limit: int) -> str:
        step = next(script)
        if step == "down":
            raise StoreUnavailable("cannot connect to the store: connection refused")
        if step == "stop":
            raise KeyboardInterrupt
        return real_render(store, minutes, limit)  # type: ignore[arg-type]

    monkeypatch.setattr(supervise, "render", render)
    monkeypatch.setattr(supervise.time, "sleep", lambda s: None)
    assert main(["supervise", "--db", url, "--interval", "0.2"]) == 130
    out = capsys.readouterr().out
    assert "unreachable" in out and "retrying" in out
    assert out.index("retrying") < out.index("end_call")
