"""The HTML report: self-contained, renders in headless Chromium without console errors, one
section per call, and a screenshot is kept in test-artifacts/ for people to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from voiceassist.events import Cue, Transcript, Word
from voiceassist.qa.evalrun import CallRun, Span, build_summary
from voiceassist.qa.expectations import Expectations, Expected
from voiceassist.qa.report import render_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def utt(speaker: str, start: int, text: str, n: int) -> Transcript:
    words = []
    t = start
    for w in text.split():
        words.append(Word(w, t, t + 80 * len(w)))
        t += 80 * len(w) + 60
    return Transcript(speaker=speaker, kind="final", text=text, start_ms=start, end_ms=t, words=tuple(words),  # type: ignore[arg-type]
                      utterance=n)  # fmt: skip


def cue(at: int, cue_id: str, category: str, why: str, matched: tuple[str, ...]) -> Cue:
    return Cue(at_ms=at, cue=cue_id, category=category, form="insult", rung=3, severity="warn",
               say="Set the boundary", script="I want to help you, as soon as we keep this respectful.",
               matched=matched, rule="rules/en/lexicon/abuse.toml:12", why=why)  # fmt: skip


def runs() -> list[CallRun]:
    finals = (
        utt("agent", 500, "Good morning, billing, how can I help?", 0),
        utt("caller", 4000, "You are a useless idiot <b>fix</b> my bill", 0),
        utt("agent", 9000, "I want to help, as soon as we keep this respectful.", 1),
        utt("caller", 14000, "Fine, my name is Robert & the bill is wrong", 1),
    )
    speech = tuple(Span(t.speaker, t.start_ms, t.end_ms) for t in finals)
    exp = Expectations(
        expected=(
            Expected("state_boundary", 4000, 10000, "abuse", 6200, "turn 2"),
            Expected("last_warning", 14000, 19000, "abuse", 16000, "turn 4"),
        ),
        quiet=((0, 3500),),
    )
    first = CallRun(
        call="calls/en/abuse.wav", lang="en", mode="ref", duration_ms=20000, finals=finals, speech=speech,
        cues=(cue(6300, "state_boundary", "abuse", "insult 'idiot' aimed at the agent", ("idiot",)),
              cue(2000, "calm_first", "anger", "frustration <script>alert(1)</script>", ("ugh",))),
        expectations=exp, expect_file="calls/en/abuse.expect.toml",
    )  # fmt: skip
    second = CallRun(
        call="calls/en/benign.wav", lang="en", mode="ref", duration_ms=240000, finals=finals[:2],
        speech=speech[:2], cues=(), expectations=Expectations(quiet=((0, 240000),), max_cues=0),
        expect_file="calls/en/benign.expect.toml",
    )  # fmt: skip
    return [first, second]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rs = runs()
    html = render_report(rs, build_summary(rs))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_is_self_contained_and_escapes_text(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"<(link|img|iframe)\b", html)
    assert not re.search(r"<script[^>]+src=", html)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html)) - {"http://www.w3.org/2000/svg"}
    assert urls == set()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>fix</b>" not in html
    # the same runs give the same bytes
    rs = runs()
    assert render_report(rs, build_summary(rs)) == html


def test_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "eval-report.png"
    shot.unlink(missing_ok=True)
    res = chromium(
        [
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,1600",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        tmp_path / "profile1",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert console_lines(res.stderr) == []
    assert shot.exists() and shot.stat().st_size > 20_000

    dom = chromium(["--dump-dom", "--virtual-time-budget=2000", report.as_uri()], tmp_path / "profile2")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the page's own script ran to the end and counted what it rendered
    assert 'data-selfcheck="sections=2;timelines=2"' in dom.stdout
    assert dom.stdout.count('<section class="call') == 2
    assert (
        'class="cue hit"' in dom.stdout
        and 'class="cue false"' in dom.stdout
        and 'class="cue miss"' in dom.stdout
    )
    (ARTIFACTS / "eval-report.html").write_text(report.read_text(encoding="utf-8"), encoding="utf-8")


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    """The console check above can fail: a page with a script error is reported."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    res = chromium(["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()], tmp_path / "profile")
    assert any("undefinedFunction" in line for line in console_lines(res.stderr)), res.stderr[-2000:]
