"""The HTML eval report as a person sees it (issue 13 item 18), measured in headless Chromium at
two widths with getBoundingClientRect: no cue marker hidden under another, no window labels on
top of one another, nothing cut off at a timeline's right edge, Korean text drawn with a real
font (not tofu boxes), and a header whose counts agree with the failing-runs card."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
from pathlib import Path

import pytest
from test_report_chromium import chromium, cue, utt

from voiceassist.qa.evalrun import CallRun, Span, build_summary
from voiceassist.qa.expectations import Expectations, Expected
from voiceassist.qa.report import render_report

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                                reason="chromium is installed by scripts/setup.sh")

#: Runs in the page after load; its findings go to <body data-probe="...">.
PROBE = r"""
<script>
window.addEventListener("load", () => {
  const r = (el) => el.getBoundingClientRect();
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const pairs = (els) => { let n = 0;
    for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++)
      if (hit(r(els[i]), r(els[j]))) n++;
    return n; };
  const out = {markers: 0, markerOverlaps: 0, labelOverlaps: 0, pastRight: [], cjk: null, sub: "", card: ""};
  for (const svg of document.querySelectorAll("svg.timeline")) {
    const markers = [...svg.querySelectorAll("g.cue circle, g.cue rect")];
    out.markers += markers.length;
    out.markerOverlaps += pairs(markers);
    out.labelOverlaps += pairs([...svg.querySelectorAll("g.window text")]);
    const edge = r(svg).right + 0.5;
    for (const el of svg.querySelectorAll("g.cue circle, g.window .chip"))
      if (r(el).right > edge) out.pastRight.push(el.closest("g").getAttribute("data-tip"));
  }
  // Korean in the page's font vs a code point no font has (drawn as the missing-glyph box)
  const font = getComputedStyle(document.body).font;
  const draw = (text) => { const c = document.createElement("canvas"); c.width = 120; c.height = 40;
    const g = c.getContext("2d"); g.font = font; g.fillText(text, 4, 28);
    return [c.toDataURL(), g.measureText(text).width]; };
  const none = "\u{10FFFD}";
  const [ko, koW] = draw("안녕하세요"), [box, boxW] = draw(none.repeat(5));
  out.cjk = {width: koW, tofu: ko === box || koW === boxW};
  out.sub = document.querySelector("header .sub").textContent.replace(/\s+/g, " ").trim();
  out.card = document.querySelector(".cards .card").textContent.replace(/\s+/g, " ").trim();
  document.body.setAttribute("data-probe", JSON.stringify(out));
});
</script>
"""


def _runs() -> list[CallRun]:
    ko_finals = (utt("caller", 1000, "정말 화가 나네요 당신 바보예요", 0),
                 utt("agent", 6000, "네 알겠습니다 확인해 드리겠습니다", 0))
    speech = tuple(Span(t.speaker, t.start_ms, t.end_ms) for t in ko_finals)
    exp = Expectations(expected=(
        Expected("state_boundary", 1000, 9000, "abuse", 3000, "turn 1"),
        Expected("use_their_name", 1000, 9000, "abuse", 3000, "turn 1b"),  # same window, same time
        Expected("take_a_breath", 11_500, 14_000, None, 12_000, "after the call"),  # after the end
    ))
    cues = (cue(3200, "state_boundary", "abuse", "insult", ("바보예요",)),
            cue(3300, "calm_first", "anger", "a false cue 100 ms after the hit", ("화가",)))
    out = []
    for mode in ("ref", "asr"):
        out.append(CallRun(call="calls/ko/abuse.wav", lang="ko", mode=mode, duration_ms=12_000,
                           finals=ko_finals, speech=speech, cues=cues, expectations=exp,
                           expect_file="calls/ko/abuse.expect.toml"))
        out.append(CallRun(call="calls/ko/quiet.wav", lang="ko", mode=mode, duration_ms=12_000,
                           finals=ko_finals, speech=speech, cues=(),
                           expectations=Expectations(quiet=((0, 12_000),), max_cues=0)))
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rs = _runs()
    html = render_report(rs, build_summary(rs)).replace("</body>", PROBE + "</body>")
    path = tmp_path_factory.mktemp("layout") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 820])
def test_report_layout_as_seen_in_chromium(page: Path, tmp_path: Path, width: int) -> None:
    dom = chromium(["--dump-dom", "--virtual-time-budget=3000", f"--window-size={width},1400", page.as_uri()],
                   tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert m, "the probe did not run"
    probe = json.loads(htmllib.unescape(m.group(1)))
    assert probe["markers"] >= 4
    assert probe["markerOverlaps"] == 0, "a cue marker is hidden under another"
    assert probe["labelOverlaps"] == 0, "window labels drawn on top of each other"
    assert probe["pastRight"] == [], "cut off at the timeline's right edge"
    assert probe["cjk"]["width"] > 0 and not probe["cjk"]["tofu"], "Korean drawn as boxes"
    # 2 calls, each run in 2 modes: the header and the card count the same things
    assert probe["sub"].startswith("2 calls (4 runs: each call once per mode)")
    assert probe["card"] == "runs failing 2 / 4"


def test_report_declares_a_cjk_font_fallback(page: Path) -> None:
    css = page.read_text(encoding="utf-8")
    assert css.count('"Noto Sans CJK KR"') >= 2  # the page and the timelines
